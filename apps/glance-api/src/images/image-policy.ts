import type { ImageEvent, ImageStatus } from '@cinderflow/status-machines';
import { glanceProposedImageTarget } from '@cinderflow/policy';
import { withDetail } from '../common/glance-errors';
import {
  allows,
  allowsOnImage,
  authorize,
  authorizeOnImage,
  notAuthorized,
  type PolicyCaller,
} from '../common/policy';

/** The images API's policy checks (glance/api/v2/policy.py ImageAPIPolicy), by Glance's rules. */

/** What the policies look at in an image. */
export interface ImageTarget {
  owner: string | null;
  visibility: string;
}

/** `get_images`, on the caller's own project. */
export function enforceGetImages(caller: PolicyCaller): void {
  authorize(caller, 'get_images', glanceProposedImageTarget({}, caller.projectId));
}

/** `modify_image`. */
export function enforceModify(caller: PolicyCaller, image: ImageTarget): void {
  authorizeOnImage(caller, 'modify_image', image);
}

/**
 * policy._enforce_image_visibility: making an image public takes `publicize_image`, community
 * `communitize_image`, both on the image's target.
 */
export function enforceVisibility(
  caller: PolicyCaller,
  visibility: unknown,
  image: ImageTarget,
): void {
  const rule =
    visibility === 'public'
      ? 'publicize_image'
      : visibility === 'community'
        ? 'communitize_image'
        : undefined;
  if (rule && !allowsOnImage(caller, rule, image)) throw notAuthorized(rule);
}

/**
 * `add_image` on the proposed image and the visibility asked for; ImageAPIPolicy.add_image
 * words a refused foreign owner its own way.
 */
export function enforceAddImage(
  caller: PolicyCaller,
  owner: string | null,
  visibility: unknown,
): void {
  const target = glanceProposedImageTarget(
    { owner, visibility: typeof visibility === 'string' ? visibility : undefined },
    caller.projectId,
  );
  if (!allows(caller, 'add_image', target)) {
    if (owner !== caller.projectId) {
      throw withDetail(403, `You are not permitted to create images owned by '${owner ?? 'None'}'`);
    }
    throw notAuthorized('add_image');
  }
  enforceVisibility(caller, target.visibility, {
    owner: target.owner as string | null,
    visibility: target.visibility as string,
  });
}

export type ActivationAction = 'deactivate' | 'reactivate';

/**
 * Glance's Image.deactivate / Image.reactivate: the event to apply, nothing to do when the image
 * already is where the action leads (a repeated action is a no-op), or Glance's refusal.
 */
export function activationStep(
  action: ActivationAction,
  status: ImageStatus,
): { event: ImageEvent } | { noop: true } | { refused: string } {
  const [from, to] =
    action === 'deactivate'
      ? (['active', 'deactivated'] as const)
      : (['deactivated', 'active'] as const);
  if (status === from) return { event: action };
  if (status === to) return { noop: true };
  return { refused: `Not allowed to ${action} image in status '${status}'` };
}
