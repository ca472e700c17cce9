import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Inject,
} from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from '@cinderflow/logging';
import { isTransientError, RemoteError, RpcTimeoutError } from '@cinderflow/messaging';
import { RecordNotFoundError, StatusConflictError } from '@cinderflow/persistence';
import { LOGGER } from '@cinderflow/service-runtime';
import { CinderHttpError, faultBody } from './cinder-errors';

const RESOURCE_NAMES: Record<string, string> = {
  volume: 'Volume',
  attachment: 'Attachment',
  backup: 'Backup',
  image: 'Image',
  task: 'Task',
};

/** Seconds a client is told to wait after a 503. */
const RETRY_AFTER_S = 2;

/** Turns every error into Cinder's fault body with the right status. */
@Catch()
export class FaultFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const [status, message] = this.describe(error);
    if (status === 503) {
      // The database or the broker is away for a moment: the client may try again.
      res.setHeader('Retry-After', String(RETRY_AFTER_S));
      this.logger.warn({ err: (error as Error).message }, 'dependency unavailable');
    } else if (status >= 500) {
      this.logger.error(
        { err: (error as Error).message, stack: (error as Error).stack },
        'request failed',
      );
    }
    res.status(status).json(faultBody(status, message));
  }

  private describe(error: unknown): [number, string] {
    if (error instanceof CinderHttpError) {
      return [error.status, error.message];
    }
    if (error instanceof RecordNotFoundError) {
      return [
        404,
        `${RESOURCE_NAMES[error.resource] ?? error.resource} ${error.id} could not be found.`,
      ];
    }
    if (error instanceof StatusConflictError) {
      return [
        400,
        `Invalid ${error.machine}: ${RESOURCE_NAMES[error.machine] ?? error.machine} ${error.id} status must be ` +
          `${error.allowedFrom.join(' or ')} to ${error.event.replace(/_/g, ' ')}, but it is ${error.current}.`,
      ];
    }
    if (error instanceof RpcTimeoutError) {
      return [503, `The ${error.destination} service did not answer in time; try again later.`];
    }
    if (isTransientError(error)) {
      return [
        503,
        'The service is temporarily unavailable (database or message broker unreachable); try again later.',
      ];
    }
    if (error instanceof RemoteError) {
      return [500, `The request failed in a backing service: ${error.message}`];
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
