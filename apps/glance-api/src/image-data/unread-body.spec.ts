import type { IncomingMessage } from 'node:http';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import { ClientDisconnectedError, uploadBody } from './unread-body';

/** A request whose body the test writes, and which it can make go away. */
function fakeRequest(): Request & PassThrough {
  const req = new PassThrough() as unknown as Request & PassThrough;
  (req as unknown as IncomingMessage).complete = false;
  return req;
}

describe('uploadBody', () => {
  it('a client gone before anything reads the body: no crash; the reader later fails with why', async () => {
    const req = fakeRequest();
    const body = uploadBody(req);
    req.write(Buffer.alloc(10));
    // The client goes away while the upload is still awaiting something else.
    req.emit('close');
    await new Promise((resolve) => setImmediate(resolve));
    expect(body.errored).toBeInstanceOf(ClientDisconnectedError);
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    await expect(pipeline(body, sink)).rejects.toBeInstanceOf(ClientDisconnectedError);
  });

  it('passes a whole body through', async () => {
    const req = fakeRequest();
    const body = uploadBody(req);
    const parts: Buffer[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        parts.push(chunk);
        done();
      },
    });
    const done = pipeline(body, sink);
    req.end(Buffer.from('whole'));
    await done;
    expect(Buffer.concat(parts).toString()).toBe('whole');
  });
});
