import type { Request } from 'express';

/** The API's own base URL as the client reached it (`http://host:port`). */
export function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
}

/** Cinder's resource links: a versioned `self` and an unversioned `bookmark`. */
export function resourceLinks(req: Request, projectId: string, collection: string, id: string) {
  const base = baseUrl(req);
  return [
    { href: `${base}/v3/${projectId}/${collection}/${id}`, rel: 'self' },
    { href: `${base}/${projectId}/${collection}/${id}`, rel: 'bookmark' },
  ];
}

/** Naive ISO-8601 with microseconds, as Cinder prints timestamps. */
export function timestamp(date: Date | null | undefined): string | null {
  if (!date) return null;
  return date
    .toISOString()
    .replace('Z', '')
    .replace(/\.(\d{3})$/, '.$1000');
}
