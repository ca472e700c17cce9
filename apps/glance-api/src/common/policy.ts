import {
  type Credentials,
  Enforcer,
  GLANCE_DEFAULT_RULES,
  type GlanceImageFields,
  glanceImageTarget,
  type Target,
} from '@cinderflow/policy';
import type { RequestContext } from '@cinderflow/request-context';
import { forbidden, GlanceHttpError } from './glance-errors';

/**
 * The one enforcer of the process (glance.api.policy.Enforcer), with Glance's default rules;
 * main.ts installs the one built from GLANCE_POLICY_FILE before the first request.
 */
let enforcer = new Enforcer(GLANCE_DEFAULT_RULES);

export function installEnforcer(next: Enforcer): void {
  enforcer = next;
}

export type PolicyCaller = Pick<RequestContext, 'projectId' | 'roles'> & { userId?: string };

/**
 * Keystone's default implied roles: a token carries the roles its own imply, so a caller sending
 * `X-Roles: member` (noauth) acts as member and reader, as with a Keystone token.
 */
const IMPLIED: Readonly<Record<string, readonly string[]>> = {
  admin: ['member', 'reader'],
  member: ['reader'],
};

/** oslo.context's to_policy_values for a caller. */
export function credentialsOf(caller: PolicyCaller): Credentials {
  const roles = new Set(caller.roles.map((role) => role.toLowerCase()));
  for (const role of [...roles]) IMPLIED[role]?.forEach((implied) => roles.add(implied));
  return {
    user_id: caller.userId ?? null,
    project_id: caller.projectId,
    roles: [...roles],
    system_scope: null,
    domain_id: null,
  };
}

/** Glance's RequestContext.is_admin: `context_is_admin` with the caller's own values. */
export function isAdminByPolicy(caller: PolicyCaller): boolean {
  const credentials = credentialsOf(caller);
  return enforcer.enforce('context_is_admin', credentials, credentials);
}

/** Whether the rule lets the caller act on the target. */
export function allows(caller: PolicyCaller, rule: string, target: Target = {}): boolean {
  return enforcer.enforce(rule, target, credentialsOf(caller));
}

/** oslo.policy's refusal, as Glance words it (exception.Forbidden with the rule's name). */
export const notAuthorized = (action: string): GlanceHttpError =>
  forbidden(`You are not authorized to complete ${action} action.`);

/** APIPolicyBase._enforce: a refusal is a 403 naming the rule. */
export function authorize(caller: PolicyCaller, rule: string, target: Target = {}): void {
  if (!allows(caller, rule, target)) throw notAuthorized(rule);
}

/** Whether the rule lets the caller act on an existing image (its ImageTarget). */
export function allowsOnImage(caller: PolicyCaller, rule: string, image: GlanceImageFields) {
  return allows(caller, rule, glanceImageTarget(image, caller.projectId));
}

/**
 * ImageAPIPolicy._enforce on an existing image: a refusal is 403 when the caller may get the
 * image, else 404, not to reveal it.
 */
export function authorizeOnImage(
  caller: PolicyCaller,
  rule: string,
  image: GlanceImageFields,
): void {
  if (allowsOnImage(caller, rule, image)) return;
  if (rule === 'get_image' || !allowsOnImage(caller, 'get_image', image)) {
    throw new GlanceHttpError(404, 'The resource could not be found.');
  }
  throw notAuthorized(rule);
}
