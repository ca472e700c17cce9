import { badRequest, GlanceHttpError } from '../common/glance-errors';

/** The part of an image a download sends: `length` bytes from `offset`, `last` included. */
export interface DataWindow {
  offset: number;
  length: number;
  last: number;
}

const notSatisfiable = (message: string) => new GlanceHttpError(416, message);

// webob's byterange patterns, matched from the start as Python's re.match does.
const RANGE = /^bytes *= *(\d*) *- *(\d*)/i;
const CONTENT_RANGE = /^bytes (?:(\d+)-(\d+)|[*])\/(?:(\d+)|[*])/;

/**
 * webob's Range.parse: `start` negative for a suffix (`bytes=-N`), `end` exclusive or null;
 * null when the header is not a satisfiable single range.
 */
export function parseRange(header: string): { start: number; end: number | null } | null {
  const match = RANGE.exec(header);
  if (!match) return null;
  const [, startText, endText] = match;
  if (!startText) {
    // `bytes=-`: webob fails to read it; it is no range.
    return endText ? { start: -Number(endText) || 0, end: null } : null;
  }
  const start = Number(startText);
  if (!endText) return { start, end: null };
  const end = Number(endText) + 1;
  return start >= end ? null : { start, end };
}

/** webob's ContentRange.parse (a response's header, which Glance also takes in requests). */
function parseContentRange(
  header: string,
): { start: number | null; stop: number | null; length: number | null } | null {
  const match = CONTENT_RANGE.exec(header);
  if (!match) return null;
  const start = match[1] === undefined ? null : Number(match[1]);
  const stop = match[2] === undefined ? null : Number(match[2]) + 1;
  const length = match[3] === undefined ? null : Number(match[3]);
  let valid: boolean;
  if (start === null || stop === null) valid = start === stop && (length === null || length >= 0);
  else if (length === null) valid = 0 <= start && start < stop;
  else if (start >= stop || stop > length) valid = false;
  else valid = 0 <= start && start < length;
  return valid ? { start, stop, length } : null;
}

/**
 * What Glance's download serves for a request's `Range` (or, for old clients, `Content-Range`)
 * on an image of `size` bytes: null for the whole image, else the window of a 206; Glance's
 * 400 for several ranges and 416 for one it can't satisfy (wsgi.get_range_from_request and the
 * image data serializer).
 */
export function requestedWindow(
  range: string | undefined,
  contentRange: string | undefined,
  size: number,
): DataWindow | null {
  if (range !== undefined) {
    if (range.includes(',')) {
      throw badRequest(
        'Requests with multiple ranges are not supported in Glance. You may make multiple ' +
          'single-range requests instead.',
      );
    }
    const parsed = parseRange(range);
    if (!parsed) throw notSatisfiable('Invalid Range header.');
    if (parsed.start >= size) {
      throw notSatisfiable(
        `Invalid start position in Range header. Start position MUST be in the inclusive ` +
          `range [0, ${size - 1}].`,
      );
    }
    let offset = 0;
    if (parsed.start >= 0) offset = parsed.start;
    else if (-parsed.start < size) offset = size + parsed.start;
    if (parsed.end !== null && parsed.end < size) {
      return { offset, length: parsed.end - offset, last: parsed.end - 1 };
    }
    return { offset, length: size - offset, last: size - 1 };
  }
  if (contentRange !== undefined) {
    const parsed = parseContentRange(contentRange);
    // `bytes */N` names no bytes at all (Glance fails on it).
    if (!parsed || parsed.start === null || parsed.stop === null) {
      throw notSatisfiable('Invalid Content-Range header.');
    }
    if (parsed.length === null && parsed.stop > size) {
      throw notSatisfiable(
        `Invalid stop position in Content-Range header. The stop position MUST be in the ` +
          `inclusive range [0, ${size - 1}].`,
      );
    }
    if (parsed.start >= size) {
      throw notSatisfiable(
        `Invalid start position in Content-Range header. Start position MUST be in the ` +
          `inclusive range [0, ${size - 1}].`,
      );
    }
    // A stated length lets the stop pass the image's end; only what exists is sent.
    const last = Math.min(parsed.stop, size) - 1;
    return { offset: parsed.start, length: last - parsed.start + 1, last };
  }
  return null;
}
