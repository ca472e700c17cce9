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

/**
 * A collection's `<name>_links` (Cinder's _get_collection_links): a `next` link, to the same
 * path with the same query and the last item as `marker`, when the page holds as many items as
 * were allowed (`limit`, already capped at osapi_max_limit); none on a short or empty page.
 */
export function nextLinks(
  req: Request,
  query: Record<string, unknown>,
  items: readonly { id: string }[],
  limit: number,
): { href: string; rel: 'next' }[] | undefined {
  const last = items[items.length - 1];
  if (!last || items.length < limit) return undefined;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (key !== 'marker') params.set(key, String(value));
  }
  params.set('limit', String(limit));
  params.set('marker', last.id);
  const path = req.path.replace(/\/$/, '');
  return [{ href: `${baseUrl(req)}${path}?${params.toString()}`, rel: 'next' }];
}

/**
 * A list's body as Cinder's views build it: `{"<name>": [...], "<name>_links": [next]}` (the
 * link only while the page is full), and `count` when it was asked for.
 */
export function collectionBody(
  name: string,
  req: Request,
  query: Record<string, unknown>,
  page: { rows: readonly { id: string }[]; limit: number; count?: number },
  items: unknown[],
): Record<string, unknown> {
  const body: Record<string, unknown> = { [name]: items };
  const links = nextLinks(req, query, page.rows, page.limit);
  if (links) body[`${name}_links`] = links;
  if (page.count !== undefined) body.count = page.count;
  return body;
}

/** Naive ISO-8601 with microseconds, as Cinder prints timestamps. */
export function timestamp(date: Date | null | undefined): string | null {
  if (!date) return null;
  return date
    .toISOString()
    .replace('Z', '')
    .replace(/\.(\d{3})$/, '.$1000');
}
