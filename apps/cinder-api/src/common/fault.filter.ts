import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Inject,
} from '@nestjs/common';
import type { Response } from 'express';
import { QueryFailedError } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import { isTransientError, RemoteError, RpcTimeoutError } from '@cinderflow/messaging';
import { RecordNotFoundError, StatusConflictError } from '@cinderflow/persistence';
import { LOGGER, noteServerError } from '@cinderflow/service-runtime';
import { CinderHttpError, faultBody } from './cinder-errors';

const RESOURCE_NAMES: Record<string, string> = {
  volume: 'Volume',
  attachment: 'Attachment',
  backup: 'Backup',
  image: 'Image',
  task: 'Task',
};

/**
 * Errors a backing service answers a call with when the request does not fit the state of
 * what it names (a row gone, a status that changed since the API looked): the caller's 4xx.
 * Any other remote error is the service failing: 500.
 */
export function isRemoteRefusal(error: unknown): boolean {
  return (
    error instanceof RemoteError &&
    ['StatusConflictError', 'InvalidTransitionError', 'RecordNotFoundError'].includes(error.type)
  );
}

function describeRemoteRefusal(error: RemoteError): [number, string] {
  if (error.type === 'RecordNotFoundError') {
    // "<resource> <id> could not be found.", as RecordNotFoundError words it.
    const [resource, ...rest] = error.message.split(' ');
    return [404, [RESOURCE_NAMES[resource] ?? resource, ...rest].join(' ')];
  }
  // "<machine>: event '<event>' is not allowed from status '<status>' (...)".
  const match = /^(\w+): (.*)$/s.exec(error.message);
  return match ? [400, `Invalid ${match[1]}: ${match[2]}`] : [400, error.message];
}

/**
 * PostgreSQL's data exceptions (SQLSTATE class 22: a malformed uuid, a NUL byte, a number out
 * of range...) are about a value, and values come from the request: its 400, never a 500.
 */
function isDataException(error: unknown): error is QueryFailedError {
  return (
    error instanceof QueryFailedError &&
    /^22/.test(String((error.driverError as { code?: unknown } | undefined)?.code ?? ''))
  );
}

/** Turns every error into Cinder's fault body with the right status. */
@Catch()
export class FaultFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const [status, message] = this.describe(error);
    noteServerError(this.logger, res, status, error);
    if (isDataException(error)) {
      // The answer is right (the value is bad), but the API should have said so itself.
      this.logger.error(
        { err: error.message, stack: error.stack },
        'input reached the database unchecked',
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
    if (isDataException(error)) {
      return [400, 'Invalid input received: a value in the request cannot be stored or compared.'];
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
    if (isRemoteRefusal(error)) {
      return describeRemoteRefusal(error as RemoteError);
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
