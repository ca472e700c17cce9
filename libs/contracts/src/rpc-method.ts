import { z, type ZodType } from 'zod';

/**
 * How each RPC method is used, following Cinder's rpcapi modules: a cast is fire-and-forget (the
 * sender learns the outcome from the database), a call waits for a reply within a timeout.
 */
export interface CastMethod<P> {
  readonly kind: 'cast';
  readonly name: string;
  readonly payload: ZodType<P>;
}

export interface CallMethod<P, R> {
  readonly kind: 'call';
  readonly name: string;
  readonly payload: ZodType<P>;
  readonly reply: ZodType<R>;
  /** How long a caller waits for the reply before it gives up with a timeout error. */
  readonly timeoutMs: number;
}

export type RpcMethod = CastMethod<unknown> | CallMethod<unknown, unknown>;

export function castMethod<S extends ZodType>(name: string, payload: S): CastMethod<z.infer<S>> {
  return { kind: 'cast', name, payload };
}

export function callMethod<S extends ZodType, R extends ZodType>(
  name: string,
  payload: S,
  reply: R,
  timeoutMs = 30_000,
): CallMethod<z.infer<S>, z.infer<R>> {
  return { kind: 'call', name, payload, reply, timeoutMs };
}
