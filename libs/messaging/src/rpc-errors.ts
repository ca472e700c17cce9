/** A call got no reply in time: the peer is down, overloaded, or the request was lost. */
export class RpcTimeoutError extends Error {
  readonly transient = true;
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

/** RabbitMQ did not take a message in time, or the connection a call waited on dropped. */
export class BrokerUnavailableError extends Error {
  readonly transient = true;
  constructor(message: string) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}
