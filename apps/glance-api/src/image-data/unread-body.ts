import { PassThrough, type Readable } from 'node:stream';
import type { Request, Response } from 'express';

/** How long a refused upload's remaining body is read (and dropped) after the answer. */
const DISCARD_FOR_MS = 30_000;

/** The client went away before its upload's body ended. */
export class ClientDisconnectedError extends Error {
  constructor() {
    super('Client disconnected before sending all data to backend');
    this.name = 'ClientDisconnectedError';
  }
}

/**
 * The body of an upload as a stream of its own. A failed upload destroys the stream it read,
 * and destroying the request itself would leave the rest of its body unread on the connection:
 * a keep-alive connection whose body is left half-read never parses its next request. A client
 * that goes away fails the stream.
 */
export function uploadBody(req: Request): Readable {
  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  // The upload reads the body only after some awaits (the image, the quota): a client gone
  // before then errors it with no reader listening, which would crash the process. Whoever
  // reads it later (a pipeline) finds it errored and fails with that error.
  body.on('error', () => undefined);
  const disconnected = () => {
    if (!req.complete) body.destroy(new ClientDisconnectedError());
  };
  req.on('close', disconnected);
  req.on('error', disconnected);
  req.pipe(body);
  return body;
}

/**
 * After an upload failed part-way, the rest of its body is read and dropped, so that the client,
 * still sending, then reads the error instead of a broken pipe and the connection stays usable;
 * for a while: a client that goes on sending past that loses its connection.
 */
export function discardUnreadBody(req: Request, res: Response): void {
  if (req.readableEnded || req.destroyed) return;
  req.unpipe();
  req.resume();
  res.once('finish', () => {
    if (req.readableEnded) return;
    const timer = setTimeout(() => {
      if (!req.readableEnded) req.socket?.destroy();
    }, DISCARD_FOR_MS);
    timer.unref();
    req.once('end', () => clearTimeout(timer));
  });
}
