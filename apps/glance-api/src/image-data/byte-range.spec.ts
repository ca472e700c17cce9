import { GlanceHttpError } from '../common/glance-errors';
import { parseRange, requestedWindow } from './byte-range';

function refusal(run: () => unknown): { status: number; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof GlanceHttpError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

describe('Range as webob parses it and Glance serves it', () => {
  it('parses single ranges with an exclusive end, suffixes as negative starts', () => {
    expect(parseRange('bytes=0-4')).toEqual({ start: 0, end: 5 });
    expect(parseRange('BYTES = 3 -')).toEqual({ start: 3, end: null });
    expect(parseRange('bytes=-2')).toEqual({ start: -2, end: null });
    expect(parseRange('bytes=5-4')).toBeNull();
    expect(parseRange('bytes=-')).toBeNull();
    expect(parseRange('items=0-4')).toBeNull();
  });

  it('serves a window of a 10-byte image with Content-Range bounds', () => {
    expect(requestedWindow(undefined, undefined, 10)).toBeNull();
    expect(requestedWindow('bytes=0-4', undefined, 10)).toEqual({ offset: 0, length: 5, last: 4 });
    expect(requestedWindow('bytes=7-', undefined, 10)).toEqual({ offset: 7, length: 3, last: 9 });
    expect(requestedWindow('bytes=-3', undefined, 10)).toEqual({ offset: 7, length: 3, last: 9 });
    // An end past the image is cut to it; a suffix longer than the image is all of it.
    expect(requestedWindow('bytes=8-100', undefined, 10)).toEqual({
      offset: 8,
      length: 2,
      last: 9,
    });
    expect(requestedWindow('bytes=-50', undefined, 10)).toEqual({
      offset: 0,
      length: 10,
      last: 9,
    });
  });

  it('refuses several ranges with 400 and unsatisfiable ones with 416', () => {
    expect(refusal(() => requestedWindow('bytes=0-1,3-4', undefined, 10))).toEqual({
      status: 400,
      message:
        'Requests with multiple ranges are not supported in Glance. You may make multiple single-range requests instead.',
    });
    expect(refusal(() => requestedWindow('bytes=10-', undefined, 10))).toEqual({
      status: 416,
      message:
        'Invalid start position in Range header. Start position MUST be in the inclusive range [0, 9].',
    });
    expect(refusal(() => requestedWindow('bytes=4-2', undefined, 10)).message).toBe(
      'Invalid Range header.',
    );
  });

  it('takes a legacy Content-Range request header when there is no Range', () => {
    expect(requestedWindow(undefined, 'bytes 2-5/10', 10)).toEqual({
      offset: 2,
      length: 4,
      last: 5,
    });
    expect(requestedWindow(undefined, 'bytes 2-5/*', 10)).toEqual({
      offset: 2,
      length: 4,
      last: 5,
    });
    expect(refusal(() => requestedWindow(undefined, 'bytes 2-20/*', 10)).message).toBe(
      'Invalid stop position in Content-Range header. The stop position MUST be in the inclusive range [0, 9].',
    );
    expect(refusal(() => requestedWindow(undefined, 'bytes 5-2/10', 10)).message).toBe(
      'Invalid Content-Range header.',
    );
  });
});
