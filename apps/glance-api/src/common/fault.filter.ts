import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Inject,
  NotFoundException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from '@cinderflow/logging';
import { isTransientError } from '@cinderflow/messaging';
import { RecordNotFoundError, StatusConflictError } from '@cinderflow/persistence';
import { LOGGER, noteServerError } from '@cinderflow/service-runtime';
import { GlanceHttpError, renderError } from './glance-errors';
import { rejectedMethod } from './reject-method';

/** Every error as webob would answer it, with Glance's code. */
@Catch()
export class FaultFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      // A download cut short: nothing can be said any more but closing the connection.
      this.logger.warn({ err: (error as Error).message }, 'response failed after its headers');
      res.destroy();
      return;
    }
    // No handler took the request: on one of Glance's paths, a method it does not take.
    if (error instanceof NotFoundException && error.message.startsWith('Cannot ')) {
      error = rejectedMethod(req.method, req.path) ?? error;
    }
    const [status, message] = this.describe(error);
    if (error instanceof GlanceHttpError) {
      for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    }
    noteServerError(this.logger, res, status, error);
    renderError(
      req,
      res,
      status,
      error instanceof GlanceHttpError
        ? { explanation: message, detail: error.detail, template: error.template }
        : message,
    );
  }

  private describe(error: unknown): [number, string] {
    if (error instanceof GlanceHttpError) return [error.status, error.message];
    if (error instanceof RecordNotFoundError) {
      return [404, `No ${error.resource} found with ID ${error.id}`];
    }
    if (error instanceof StatusConflictError) {
      // Glance's InvalidImageStatusTransition, answered 409 by the controllers.
      return [
        409,
        `Image status transition from ${error.current} to ${error.event} is not allowed`,
      ];
    }
    if (isTransientError(error)) {
      return [503, 'The service is temporarily unavailable; try again later.'];
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      return [status, status === 404 ? 'The resource could not be found.' : error.message];
    }
    return [
      500,
      'The server has either erred or is incapable of performing the requested operation.',
    ];
  }
}
