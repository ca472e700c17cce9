import { GlanceHttpError } from './glance-errors';

/**
 * Glance's v2 router (glance/api/v2/router.py) for the paths glance-api serves: the methods
 * each takes. Any other method on one of them is its RejectMethodController's 405, which
 * names them in `Allow`; a path that is none of them is a 404.
 */
const ROUTES: ReadonlyArray<[RegExp, string]> = [
  [/^\/v2\/schemas\/(image|images|member|members|task|tasks)$/, 'GET'],
  [/^\/v2\/images$/, 'GET, POST'],
  [/^\/v2\/images\/[^/]+$/, 'GET, PATCH, DELETE'],
  [/^\/v2\/images\/[^/]+\/actions\/(deactivate|reactivate)$/, 'POST'],
  [/^\/v2\/images\/[^/]+\/file$/, 'GET, PUT'],
  [/^\/v2\/images\/[^/]+\/tags\/[^/]+$/, 'PUT, DELETE'],
  [/^\/v2\/images\/[^/]+\/members$/, 'GET, POST'],
  [/^\/v2\/images\/[^/]+\/members\/[^/]+$/, 'GET, PUT, DELETE'],
  [/^\/v2\/tasks$/, 'GET, POST'],
  [/^\/v2\/tasks\/[^/]+$/, 'GET, DELETE'],
  [/^\/v2\/info\/stores(\/detail)?$/, 'GET'],
];

/** webob's 405 for a method a route does not take. */
export function methodNotAllowed(method: string, allowed: string): GlanceHttpError {
  return new GlanceHttpError(405, `The method ${method} is not allowed for this resource.`, {
    Allow: allowed,
  });
}

/** The 405 for a request no handler took, when its path is one of Glance's routes. */
export function rejectedMethod(method: string, path: string): GlanceHttpError | undefined {
  const route = ROUTES.find(([pattern]) => pattern.test(path.replace(/\/+$/, '')));
  return route && methodNotAllowed(method, route[1]);
}
