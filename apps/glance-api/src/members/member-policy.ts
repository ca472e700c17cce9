import type { ImageEntity } from '@cinderflow/persistence';
import { allowsOnImage, type PolicyCaller } from '../common/policy';

/** Glance's member policies (glance/policies/image.py). */
export type MemberRule =
  'add_member' | 'get_member' | 'get_members' | 'modify_member' | 'delete_member';

/** `not_found`: the caller may not even get the image (Glance then answers a bare 404). */
export type MemberPolicyOutcome = 'allowed' | 'forbidden' | 'not_found';

/**
 * MemberAPIPolicy._enforce: ImageAPIPolicy.get_image on the image first, then the member rule,
 * both on the image's target (its owner, and the caller's project as `member_id` when it found
 * a shared image as its member).
 */
export function memberPolicy(
  rule: MemberRule,
  caller: PolicyCaller,
  image: Pick<ImageEntity, 'owner' | 'visibility'>,
): MemberPolicyOutcome {
  if (!allowsOnImage(caller, 'get_image', image)) return 'not_found';
  return allowsOnImage(caller, rule, image) ? 'allowed' : 'forbidden';
}
