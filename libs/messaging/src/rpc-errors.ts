/** A call got no reply in time: the peer is down, overloaded, or the request was lost. */
export class RpcTimeoutError extends Error {
  constructor(
    readonly method: string,
    readonly destination: string,
    readonly timeoutMs: number,
  ) {
    super(`Timed out after ${timeoutMs} ms waiting for a reply to ${method} from ${destination}`);
    this.name = 'RpcTimeoutError';
  }
}

/** The peer handled a call and failed; carries the remote error's type and message. */
export class RemoteError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly method: string,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}
