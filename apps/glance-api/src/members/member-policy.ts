import type { ImageEntity } from '@cinderflow/persistence';
import { hasRole, isOwner, type PolicyCaller } from '../common/policy';

/** Glance's member policies (glance/policies/image.py). */
export type MemberRule =
  'add_member' | 'get_member' | 'get_members' | 'modify_member' | 'delete_member';

/** `not_found`: the caller may not even get the image (Glance then answers a bare 404). */
export type MemberPolicyOutcome = 'allowed' | 'forbidden' | 'not_found';

type Target = Pick<ImageEntity, 'owner' | 'visibility'>;

/**
 * The image's `member` as Glance's ImageRepo sets it for policy checks: a shared image the
 * caller does not own was found because the caller is its member.
 */
function isSharedMember(caller: PolicyCaller, image: Target): boolean {
  return image.visibility === 'shared' && image.owner !== caller.projectId;
}

/** get_image: admin, or a reader of the owner, a member, or of a public/community/shared image. */
function mayGetImage(caller: PolicyCaller, image: Target): boolean {
  if (caller.isAdmin) return true;
  return (
    hasRole(caller, 'reader') &&
    (isOwner(caller, image) ||
      isSharedMember(caller, image) ||
      ['community', 'public', 'shared'].includes(image.visibility))
  );
}

/**
 * Glance's secure-RBAC defaults (enforce_new_defaults, on since oslo.policy 4.4), as
 * MemberAPIPolicy applies them: get_image first, then the rule.
 * - add_member, delete_member: admin, or a member of the owning project;
 * - get_member, get_members: admin, or a reader of the owner or of a member project;
 * - modify_member: admin, or a member of the member project (never the owner).
 */
export function memberPolicy(
  rule: MemberRule,
  caller: PolicyCaller,
  image: Target,
): MemberPolicyOutcome {
  if (!mayGetImage(caller, image)) return 'not_found';
  if (caller.isAdmin) return 'allowed';
  let allowed: boolean;
  switch (rule) {
    case 'add_member':
    case 'delete_member':
      allowed = hasRole(caller, 'member') && isOwner(caller, image);
      break;
    case 'get_member':
    case 'get_members':
      allowed =
        hasRole(caller, 'reader') && (isOwner(caller, image) || isSharedMember(caller, image));
      break;
    case 'modify_member':
      allowed = hasRole(caller, 'member') && isSharedMember(caller, image);
      break;
  }
  return allowed ? 'allowed' : 'forbidden';
}
