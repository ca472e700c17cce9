import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { notFound } from './cinder-errors';
import { isUuid } from './validation';

const NOT_FOUND_MESSAGE = 'cinderflow:not-found-message';

/**
 * Cinder's not-found message for the resource a controller's `:id` names, e.g.
 * `@NotFoundMessage((id) => \`Volume ${id} could not be found.\`)`.
 */
export const NotFoundMessage = (message: (id: string) => string) =>
  SetMetadata(NOT_FOUND_MESSAGE, message);

/**
 * Every `:id` in a route is a UUID or names nothing: Cinder answers 404 with the resource's
 * not-found message. Checked once here, before any handler can hand it to PostgreSQL (whose
 * uuid columns refuse it with an error).
 */
@Injectable()
export class ResourceIdGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const id = (context.switchToHttp().getRequest<Request>().params as Record<string, unknown>).id;
    if (typeof id === 'string' && !isUuid(id)) {
      const message = this.reflector.get<((id: string) => string) | undefined>(
        NOT_FOUND_MESSAGE,
        context.getClass(),
      );
      throw notFound(message ? message(id) : 'The resource could not be found.');
    }
    return true;
  }
}
