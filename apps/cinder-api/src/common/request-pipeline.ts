import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import {
  type KeystoneTokenValidator,
  KeystoneUnavailableError,
  wwwAuthenticate,
} from '@cinderflow/keystone-auth';
import type { Logger } from '@cinderflow/logging';
import { type RequestContext, runWithContext } from '@cinderflow/request-context';
import { startRequest } from '@cinderflow/service-runtime';
import type { ApiRequest } from './api-request';
import { CinderHttpError, faultBody } from './cinder-errors';
import { checkBody, checkUrl } from './input-checks';
import { negotiate, VERSION_HEADER } from './microversion';
import { isAdminByPolicy } from './policy';

export function sendFault(res: Response, status: number, message: string): void {
  res.status(status).json(faultBody(status, message));
}

/**
 * Cinder's noauth middleware: `X-Auth-Token: <user>:<project>` (project defaults to the user);
 * every caller is an admin. This is the one place a request context is built, so real tokens
 * and roles only have to change this function.
 */
export function contextFromHeaders(req: Request, requestId: string): RequestContext | undefined {
  const token = req.header('x-auth-token');
  if (!token) {
    return undefined;
  }
  const [user, project] = token.split(':', 2);
  const userId = user.trim();
  const projectId = project?.trim() || userId;
  // Keystone ids are at most 64 characters; the database holds 255.
  if (userId.length > 255 || projectId.length > 255) {
    throw new CinderHttpError(401, 'The request you have made requires authentication.');
  }
  return {
    requestId,
    userId,
    projectId,
    roles: ['admin'],
    isAdmin: true,
    authToken: token,
  };
}

const UNAUTHENTICATED = 'The request you have made requires authentication.';

/**
 * keystonemiddleware's auth_token in front of Cinder: the caller is whoever Keystone says the
 * token belongs to, with the token's project and roles; an admin if `context_is_admin` says so.
 */
export async function contextFromToken(
  req: Request,
  requestId: string,
  keystone: KeystoneTokenValidator,
): Promise<RequestContext> {
  const token = req.header('x-auth-token')?.trim();
  const info = token ? await keystone.validate(token) : null;
  if (!token || !info) throw new CinderHttpError(401, UNAUTHENTICATED);
  const caller = { userId: info.userId, projectId: info.projectId, roles: info.roles };
  return { requestId, ...caller, isAdmin: isAdminByPolicy(caller), authToken: token };
}

const VERSION_DOCUMENT = /^\/(v3\/?)?$/;

/**
 * Runs before routing: request id, microversion and caller for every request, with their
 * response headers set first so that error responses carry them too.
 */
export function requestPipeline(logger: Logger, keystone?: KeystoneTokenValidator) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const { requestId, anonymous } = startRequest(
      logger,
      req,
      res,
      () => (req as Partial<ApiRequest>).cinder?.context,
    );

    const badUrl = checkUrl(req.path, req.query as Record<string, string>);
    if (badUrl) {
      sendFault(res, badUrl.status, badUrl.message);
      return;
    }
    if (VERSION_DOCUMENT.test(req.path) || !req.path.startsWith('/v3/')) {
      runWithContext(anonymous, next);
      return;
    }
    try {
      const version = negotiate(req.header(VERSION_HEADER));
      res.setHeader(VERSION_HEADER, `volume ${version.toString()}`);
      res.setHeader('Vary', VERSION_HEADER);
      if (keystone) {
        contextFromToken(req, requestId, keystone).then(
          (context) => {
            (req as ApiRequest).cinder = { context, version };
            runWithContext(context, next);
          },
          (error: unknown) => {
            if (error instanceof CinderHttpError) {
              res.setHeader('WWW-Authenticate', wwwAuthenticate(keystone.authUrl));
              sendFault(res, error.status, error.message);
            } else if (error instanceof KeystoneUnavailableError) {
              logger.error({ err: error }, 'token validation failed');
              sendFault(
                res,
                503,
                'The server is currently unavailable. Please try again at a later time.',
              );
            } else {
              next(error);
            }
          },
        );
        return;
      }
      const context = contextFromHeaders(req, requestId);
      if (!context) {
        // noauth's answer to a request without a token: here is the token to use.
        const user = req.header('x-auth-user') ?? 'admin';
        const project = req.header('x-auth-project-id') ?? 'admin';
        res.setHeader('X-Auth-Token', `${user}:${project}`);
        res.setHeader(
          'X-Server-Management-Url',
          `${req.protocol}://${req.get('host') ?? ''}${req.originalUrl}`,
        );
        res.status(204).type('text/plain').end();
        return;
      }
      (req as ApiRequest).cinder = { context, version };
      runWithContext(context, next);
    } catch (error) {
      if (error instanceof CinderHttpError) {
        sendFault(res, error.status, error.message);
        return;
      }
      throw error;
    }
  };
}

/** Parsed bodies no handler should see: nested too deep, or strings PostgreSQL can't hold. */
export function bodyChecks() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const error = req.body === undefined ? undefined : checkBody(req.body);
    if (error) {
      sendFault(res, error.status, error.message);
      return;
    }
    next();
  };
}

/**
 * Node's answer to a request it cannot parse (a URL or header with bytes HTTP forbids, headers
 * too large), in Cinder's fault format instead of an empty body.
 */
export function clientErrorHandler() {
  return (error: Error & { code?: string }, socket: Duplex): void => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify(
      faultBody(status, status === 431 ? 'Request headers are too large.' : 'Malformed request'),
    );
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}

/** Body-parser failures in Cinder's words. */
export function bodyErrorHandler() {
  return (
    error: Error & { type?: string; status?: number },
    _req: Request,
    res: Response,
    next: NextFunction,
  ): void => {
    if (error.type === 'entity.parse.failed') {
      sendFault(res, 400, 'Malformed request body');
    } else if (error.type === 'entity.too.large') {
      sendFault(res, 413, 'Request is too large.');
    } else if (error.status && error.status < 500) {
      sendFault(res, error.status, error.message);
    } else {
      next(error);
    }
  };
}
