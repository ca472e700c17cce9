import type { NextFunction, Request, Response } from 'express';
import {
  type KeystoneTokenValidator,
  KeystoneUnavailableError,
  wwwAuthenticate,
} from '@cinderflow/keystone-auth';
import type { Logger } from '@cinderflow/logging';
import { type RequestContext, runWithContext } from '@cinderflow/request-context';
import { startRequest } from '@cinderflow/service-runtime';
import { renderError } from './glance-errors';
import type { GlanceRequest } from './glance-request';
import { isAdminByPolicy } from './policy';

/**
 * The caller, from the same noauth tokens cinder-api takes: `X-Auth-Token: <user>:<project>`
 * (project defaults to the user), an admin. Glance's context middleware reads the roles
 * keystonemiddleware passes in `X-Roles`; a request may send them itself to act as a
 * non-admin (admin is whoever `context_is_admin` says, by default the `admin` role).
 */
export function contextFromHeaders(req: Request, requestId: string): RequestContext | undefined {
  const header = req.header('x-auth-token');
  if (!header) return undefined;
  // glanceclient %-encodes its token (the colon too): Keystone tokens have none to lose.
  let token = header;
  if (!header.includes(':')) {
    try {
      token = decodeURIComponent(header);
    } catch {
      // Not %-encoded after all: the token as sent.
    }
  }
  const [user, project] = token.split(':', 2);
  const userId = user.trim();
  const projectId = project?.trim() || userId;
  if (!userId || userId.length > 255 || projectId.length > 255) return undefined;
  const rolesHeader = req.header('x-roles');
  const roles = rolesHeader
    ? rolesHeader
        .split(',')
        .map((role) => role.trim().toLowerCase())
        .filter((role) => role.length > 0)
    : ['admin'];
  return {
    requestId,
    userId,
    projectId,
    roles,
    isAdmin: isAdminByPolicy({ userId, projectId, roles }),
    authToken: token,
  };
}

/** keystonemiddleware's auth_token in front of Glance: the token's holder, or undefined. */
export async function contextFromToken(
  req: Request,
  requestId: string,
  keystone: KeystoneTokenValidator,
): Promise<RequestContext | undefined> {
  const token = req.header('x-auth-token')?.trim();
  const info = token ? await keystone.validate(token) : null;
  if (!token || !info) return undefined;
  return {
    requestId,
    userId: info.userId,
    projectId: info.projectId,
    roles: info.roles,
    isAdmin: isAdminByPolicy(info),
    authToken: token,
  };
}

const UNAUTHORIZED =
  'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.';

const PUBLIC_PATHS = /^\/(versions\/?)?$|^\/healthcheck$/;

/** Request id, caller and access log for every request, before routing. */
export function requestPipeline(logger: Logger, keystone?: KeystoneTokenValidator) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const { requestId, anonymous } = startRequest(
      logger,
      req,
      res,
      () => (req as Partial<GlanceRequest>).glance?.context,
    );
    if (PUBLIC_PATHS.test(req.path)) {
      runWithContext(anonymous, next);
      return;
    }
    if (keystone) {
      contextFromToken(req, requestId, keystone).then(
        (context) => {
          if (!context) {
            res.setHeader('WWW-Authenticate', wwwAuthenticate(keystone.authUrl));
            renderError(req, res, 401, UNAUTHORIZED);
            return;
          }
          (req as GlanceRequest).glance = { context };
          runWithContext(context, next);
        },
        (error: unknown) => {
          if (!(error instanceof KeystoneUnavailableError)) {
            next(error);
            return;
          }
          logger.error({ err: error }, 'token validation failed');
          renderError(
            req,
            res,
            503,
            'The server is currently unavailable. Please try again at a later time.',
          );
        },
      );
      return;
    }
    const context = contextFromHeaders(req, requestId);
    if (!context) {
      res.setHeader('WWW-Authenticate', 'Keystone uri="http://127.0.0.1/identity"');
      renderError(req, res, 401, UNAUTHORIZED);
      return;
    }
    (req as GlanceRequest).glance = { context };
    runWithContext(context, next);
  };
}
