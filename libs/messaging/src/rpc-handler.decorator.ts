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

export function deadLetterPattern(method: string): string {
  return `dead-letter:${method}`;
}

/**
 * Marks the method that settles the resource of a message about to be dead-lettered (it failed
 * twice for a reason no retry helps, or broke its contract). It gets a `DeadLetter`: the payload
 * as sent (unchecked) and the reason; it should leave the resource in an error status with a
 * user message, and must tolerate a resource that already moved on.
 */
export function RpcDeadLetter(method: HandledMethod): MethodDecorator {
  return MessagePattern(deadLetterPattern(method.name));
}
