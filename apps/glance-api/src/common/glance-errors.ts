import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';

/**
 * An error glance-api answers with. Glance raises webob's HTTP exceptions with the message as
 * their explanation; `render` writes them the way webob does.
 */
export class GlanceHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GlanceHttpError';
  }
}

export const badRequest = (message: string) => new GlanceHttpError(400, message);
export const forbidden = (message: string) => new GlanceHttpError(403, message);
export const notFound = (message: string) => new GlanceHttpError(404, message);
export const conflict = (message: string) => new GlanceHttpError(409, message);

/** Glance's messages for an image it cannot find or may not show. */
export const imageNotFound = (id: string) => notFound(`No image found with ID ${id}`);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** webob's choice among text/html (also for no Accept header), application/json, text/plain. */
function preferred(req: Request): 'html' | 'json' | 'plain' {
  const accept = req.header('accept');
  if (!accept) return 'html';
  const kind = req.accepts(['text/html', 'application/json', 'text/plain']);
  return kind === 'application/json' ? 'json' : kind === 'text/plain' ? 'plain' : 'html';
}

/**
 * Writes an error as webob does: an HTML page by default (glanceclient reads its lines into
 * "404 Not Found: <message>"), JSON `{message, code, title}` or plain text when asked for.
 */
export function renderError(req: Request, res: Response, status: number, message: string): void {
  const title = WEBOB_TITLES[status] ?? STATUS_CODES[status] ?? 'Error';
  const statusLine = `${status} ${title}`;
  const kind = preferred(req);
  if (kind === 'json') {
    res.status(status).json({ message, code: statusLine, title });
  } else if (kind === 'plain') {
    res.status(status).type('text/plain').send(`${statusLine}\n\n${message}\n\n   `);
  } else {
    res
      .status(status)
      .type('text/html')
      .send(
        `<html>\n <head>\n  <title>${statusLine}</title>\n </head>\n <body>\n  <h1>${statusLine}</h1>\n` +
          `  ${escapeHtml(message)}<br /><br />\n\n\n\n </body>\n</html>`,
      );
  }
}

/** webob's titles where Node's differ (Glance's clients print them). */
export const WEBOB_TITLES: Record<number, string> = {
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  416: 'Request Range Not Satisfiable',
};
