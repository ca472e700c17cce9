import type { Request, Response } from 'express';
import type { Logger } from '@cinderflow/logging';
import {
  isValidRequestId,
  newRequestId,
  REQUEST_ID_HEADER,
  type RequestContext,
  runWithContext,
} from '@cinderflow/request-context';

/** Seconds a client is told to wait after a 503. */
export const RETRY_AFTER_S = 2;

/**
 * What every HTTP API (cinder-api, glance-api) does first with a request, before its own
 * checks: the request id (the client's when it is a valid one, else a new one) set on the
 * response at once, so that error answers carry it too, and one access-log line when the
 * response is finished, logged in the caller's context (`callerOf`, known only after auth)
 * or the anonymous one.
 */
export function startRequest(
  logger: Logger,
  req: Request,
  res: Response,
  callerOf: () => RequestContext | undefined,
): { requestId: string; anonymous: RequestContext } {
  const inbound = req.header(REQUEST_ID_HEADER);
  const requestId = isValidRequestId(inbound) ? inbound : newRequestId();
  res.setHeader(REQUEST_ID_HEADER, requestId);
  const anonymous: RequestContext = {
    requestId,
    userId: '-',
    projectId: '-',
    roles: [],
    isAdmin: false,
  };
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    runWithContext(callerOf() ?? anonymous, () =>
      logger.info(
        {
          method: req.method,
          path: req.originalUrl,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      ),
    );
  });
  return { requestId, anonymous };
}

/**
 * The server side of an error answer, whatever the API's error format: a 503 (the database or
 * the broker away for a moment) tells the client when to try again and is a warning; any other
 * 5xx is logged as an error with its stack.
 */
export function noteServerError(
  logger: Logger,
  res: Response,
  status: number,
  error: unknown,
): void {
  if (status === 503) {
    res.setHeader('Retry-After', String(RETRY_AFTER_S));
    logger.warn({ err: (error as Error).message }, 'dependency unavailable');
  } else if (status >= 500) {
    logger.error(
      { err: (error as Error).message, stack: (error as Error).stack },
      'request failed',
    );
  }
}
