import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  CINDER_DEFAULT_RULES,
  type Credentials,
  Enforcer,
  PolicyNotAuthorized,
} from '@cinderflow/policy';
import type { RequestContext } from '@cinderflow/request-context';
import type { ApiRequest } from './api-request';
import { forbidden } from './cinder-errors';

/**
 * The one enforcer of the process, as Cinder's cinder/policy.py keeps one `_ENFORCER`: views,
 * services and guards all ask it. main.ts installs the one built from POLICY_FILE before the
 * first request; until then (unit tests) it is Cinder's defaults.
 */
let enforcer = new Enforcer(CINDER_DEFAULT_RULES);

export function installEnforcer(next: Enforcer): void {
  enforcer = next;
}

/** oslo.context's to_policy_values for a caller, with Cinder's `is_admin`. */
export function credentialsOf(caller: {
  userId: string;
  projectId: string;
  roles: readonly string[];
  isAdmin?: boolean;
}): Credentials {
  return {
    user_id: caller.userId,
    project_id: caller.projectId,
    roles: caller.roles,
    is_admin: caller.isAdmin ?? false,
    // keystonemiddleware says True unless Keystone names an admin project the token is not in.
    is_admin_project: true,
    system_scope: null,
    domain_id: null,
  };
}

/**
 * Cinder's check_is_admin: `context_is_admin` with the caller's own values as the target. This
 * is what `is_admin` (admin views, all_tenants, reading any project) means.
 */
export function isAdminByPolicy(caller: {
  userId: string;
  projectId: string;
  roles: readonly string[];
}): boolean {
  const credentials = credentialsOf(caller);
  return enforcer.enforce('context_is_admin', credentials, credentials);
}

/** What an action is on: a resource's project and user (Cinder's target_obj), or the caller's. */
export type PolicyTarget = {
  project_id: string;
  user_id?: string | null;
};

function targetOf(caller: RequestContext, resource?: PolicyTarget): PolicyTarget {
  return resource
    ? { project_id: resource.project_id, user_id: resource.user_id ?? null }
    : { project_id: caller.projectId, user_id: caller.userId };
}

/** Whether the rule lets the caller act on the resource (by default: on its own project). */
export function allows(caller: RequestContext, rule: string, resource?: PolicyTarget): boolean {
  return enforcer.enforce(rule, targetOf(caller, resource), credentialsOf(caller));
}

/**
 * Cinder's context.authorize: refused is a 403 with PolicyNotAuthorized's message. Resource
 * routes call it after the lookup, so that another project's resource stays a 404.
 */
export function authorize(caller: RequestContext, rule: string, resource?: PolicyTarget): void {
  if (!allows(caller, rule, resource)) throw forbidden(new PolicyNotAuthorized(rule).message);
}

const RULE = 'cinderflow:policy-rule';

/**
 * `@Authorize('volume:create')`: the route's rule, checked against the caller's own project
 * before the handler runs (creates, lists, admin APIs that name no resource).
 */
export const Authorize = (rule: string) => SetMetadata(RULE, rule);

/** Checks the `@Authorize` rule of a route; runs after the URL's project and ids are checked. */
@Injectable()
export class PolicyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const rule = this.reflector.getAllAndOverride<string | undefined>(RULE, [
      context.getHandler(),
      context.getClass(),
    ]);
    const req = context.switchToHttp().getRequest<Partial<ApiRequest>>();
    if (rule && req.cinder) authorize(req.cinder.context, rule);
    return true;
  }
}
