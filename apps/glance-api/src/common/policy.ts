import type { RequestContext } from '@cinderflow/request-context';
import { forbidden, type GlanceHttpError } from './glance-errors';

/**
 * What Glance's default policies (glance/policies/*.py, the secure RBAC defaults Glance enforces
 * since oslo.policy made enforce_new_defaults the default) are built from, for every API of
 * glance-api: images, image data and locations, members, tasks, stores.
 *
 * Roles imply one another as Keystone's default implied roles do (admin → member → reader):
 * a token carries the roles implied by its own, so `X-Roles: member` acts as member and reader.
 */
export type Role = 'admin' | 'member' | 'reader';

export type PolicyCaller = Pick<RequestContext, 'projectId' | 'roles' | 'isAdmin'>;

const IMPLIED: Record<Role, readonly string[]> = {
  admin: ['admin'],
  member: ['member', 'admin'],
  reader: ['reader', 'member', 'admin'],
};

export function hasRole(caller: PolicyCaller, role: Role): boolean {
  return caller.isAdmin || caller.roles.some((held) => IMPLIED[role].includes(held));
}

/** oslo.policy's refusal, as Glance words it (exception.Forbidden with the rule's name). */
export const notAuthorized = (action: string): GlanceHttpError =>
  forbidden(`You are not authorized to complete ${action} action.`);

/** The image's owner is the caller's project (`project_id:%(owner)s`). */
export function isOwner(caller: PolicyCaller, image: { owner: string | null }): boolean {
  return image.owner !== null && image.owner === caller.projectId;
}

/**
 * Admin, or a member of the project owning the image: modify_image, delete_image, upload_image,
 * set_image_location, add_member, ...
 */
export function isAdminOrOwningMember(
  caller: PolicyCaller,
  image: { owner: string | null },
): boolean {
  return caller.isAdmin || (hasRole(caller, 'member') && isOwner(caller, image));
}
