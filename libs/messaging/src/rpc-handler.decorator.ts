import { MessagePattern } from '@nestjs/microservices';
import type { ZodTypeAny } from 'zod';

export const CONTRACT_EXTRA = 'cinderflowContract';

/** The part of a contract method the server needs: its name, kind and payload schema. */
export interface HandledMethod {
  readonly name: string;
  readonly kind: 'cast' | 'call';
  readonly payload: ZodTypeAny;
}

/**
 * Marks a controller method as the handler of one contract method. The server validates each
 * payload against the contract's schema before the handler sees it.
 */
export function RpcHandler(method: HandledMethod): MethodDecorator {
  return MessagePattern(method.name, { [CONTRACT_EXTRA]: method });
}
