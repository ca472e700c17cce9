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
    /** webob's `detail` (Glance's positional argument): shown after the explanation. */
    readonly detail?: string,
    /** For webob classes with a template of their own (415): the body fragment. */
    readonly template?: (escape: (text: string) => string) => string,
  ) {
    super(message);
    this.name = 'GlanceHttpError';
  }
}

/** webob's own explanation of each status Glance raises without one. */
const EXPLANATIONS: Record<number, string> = {
  400: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  403: 'Access was denied to this resource.',
  404: 'The resource could not be found.',
  409: 'There was a conflict when trying to complete your request.',
  413: 'The body of your request was too large for this server.',
};

/**
 * `webob.exc.HTTPxxx(msg)`: Glance's positional message is webob's detail, which follows the
 * class's own explanation ("Access was denied to this resource." ...).
 */
export const withDetail = (status: 400 | 403 | 404 | 409 | 413, detail: string) =>
  new GlanceHttpError(status, EXPLANATIONS[status], {}, detail);

/** webob's HTTPUnsupportedMediaType: its template names the request's media type. */
export const unsupportedMediaType = (
  contentType: string,
  detail: string,
  headers: Record<string, string> = {},
) =>
  new GlanceHttpError(
    415,
    `The request media type ${contentType} is not supported by this server.`,
    headers,
    detail,
    (escape) =>
      `The request media type ${escape(contentType)} is not supported by this server.\n<br /><br />\n${escape(detail)}`,
  );

export const badRequest = (message: string) => new GlanceHttpError(400, message);
export const tooLarge = (message: string) => new GlanceHttpError(413, message);
export const forbidden = (message: string) => new GlanceHttpError(403, message);
export const notFound = (message: string) => new GlanceHttpError(404, message);
export const conflict = (message: string) => new GlanceHttpError(409, message);

/** Glance's messages for an image it cannot find or may not show. */
export const imageNotFound = (id: string) => notFound(`No image found with ID ${id}`);

/** webob's html_escape (Python's html.escape with quotes), which glanceclient prints as is. */
const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}

/** webob's choice among text/html (also for no Accept header), application/json, text/plain. */
function preferred(req: Request): 'html' | 'json' | 'plain' {
  const accept = req.header('accept');
  if (!accept) return 'html';
  const kind = req.accepts(['text/html', 'application/json', 'text/plain']);
  return kind === 'application/json' ? 'json' : kind === 'text/plain' ? 'plain' : 'html';
}

/** What webob fills its body template with. */
export interface ErrorBody {
  explanation: string;
  detail?: string;
  template?: (escape: (text: string) => string) => string;
}

/** webob's strip_tags, for the plain-text body. */
function stripTags(html: string): string {
  return html
    .replace(/\n/g, ' ')
    .replace(/\r/g, '')
    .replace(/<br.*?>/gis, '\n')
    .replace(/<!--|-->/g, '')
    .replace(/<.*?>/gs, '');
}

/**
 * Writes an error as webob does: an HTML page by default (glanceclient reads its lines into
 * "404 Not Found: <message>"), JSON `{message, code, title}` or plain text when asked for.
 */
export function renderError(
  req: Request,
  res: Response,
  status: number,
  error: string | ErrorBody,
): void {
  const { explanation, detail, template } =
    typeof error === 'string' ? { explanation: error } : error;
  const fragment = (escape: (text: string) => string) =>
    template ? template(escape) : `${escape(explanation)}<br /><br />\n${escape(detail ?? '')}\n\n`;
  const title = WEBOB_TITLES[status] ?? STATUS_CODES[status] ?? 'Error';
  const statusLine = `${status} ${title}`;
  const kind = preferred(req);
  if (kind === 'json') {
    // webob's body, less the template's empty tail when there is no detail.
    const message =
      detail === undefined && !template ? explanation : fragment((text) => text).trimEnd();
    res.status(status).json({ message, code: statusLine, title });
  } else if (kind === 'plain') {
    res
      .status(status)
      .type('text/plain')
      .send(`${statusLine}\n\n${stripTags(fragment((text) => text))}`);
  } else {
    res
      .status(status)
      .type('text/html')
      .send(
        `<html>\n <head>\n  <title>${statusLine}</title>\n </head>\n <body>\n  <h1>${statusLine}</h1>\n` +
          `  ${fragment(escapeHtml)}\n </body>\n</html>`,
      );
  }
}

/** webob's titles where Node's differ (Glance's clients print them). */
export const WEBOB_TITLES: Record<number, string> = {
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  416: 'Request Range Not Satisfiable',
};
