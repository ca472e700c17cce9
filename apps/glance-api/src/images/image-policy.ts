import type { RequestContext } from '@cinderflow/request-context';
import type { ImageEvent, ImageStatus } from '@cinderflow/status-machines';
import { GlanceHttpError, withDetail } from '../common/glance-errors';
import { hasRole, isAdminOrOwningMember, notAuthorized } from '../common/policy';

/**
 * Glance's default policies for the images API (glance/policies/image.py), from the shared
 * parts in common/policy.
 */

/** What the policies look at in an image. */
export interface ImageTarget {
  owner: string | null;
  visibility: string;
}

/** `get_images`: admin or reader (of the caller's own project). */
export function enforceGetImages(caller: RequestContext): void {
  if (!hasRole(caller, 'reader')) throw notAuthorized('get_images');
}

/**
 * `get_image` of an image the database already let the caller see (owner, public, community,
 * or shared with it): admin, or reader.
 */
export function mayGetImage(caller: RequestContext): boolean {
  return hasRole(caller, 'reader');
}

/**
 * ImageAPIPolicy._enforce for an existing image: a refusal is 403 when the caller may see the
 * image, else 404 (not to reveal it).
 */
export function enforceOnImage(caller: RequestContext, action: string, allowed: boolean): void {
  if (allowed) return;
  if (!mayGetImage(caller)) throw new GlanceHttpError(404, 'The resource could not be found.');
  throw notAuthorized(action);
}

/** `modify_image`. */
export function enforceModify(caller: RequestContext, image: ImageTarget): void {
  enforceOnImage(caller, 'modify_image', isAdminOrOwningMember(caller, image));
}

/**
 * policy._enforce_image_visibility: making an image public takes `publicize_image` (admin),
 * community `communitize_image` (admin or member of the owning project).
 */
export function enforceVisibility(
  caller: RequestContext,
  visibility: unknown,
  image: ImageTarget,
): void {
  if (visibility === 'public' && !caller.isAdmin) throw notAuthorized('publicize_image');
  if (visibility === 'community' && !isAdminOrOwningMember(caller, image)) {
    throw notAuthorized('communitize_image');
  }
}

/**
 * `add_image` (admin, or member creating in its own project) and the visibility asked for;
 * ImageAPIPolicy.add_image words a refused owner its own way.
 */
export function enforceAddImage(
  caller: RequestContext,
  owner: string | null,
  visibility: unknown,
): void {
  const target = { owner, visibility: typeof visibility === 'string' ? visibility : 'private' };
  if (!isAdminOrOwningMember(caller, target)) {
    if (owner !== caller.projectId) {
      throw withDetail(403, `You are not permitted to create images owned by '${owner ?? 'None'}'`);
    }
    throw notAuthorized('add_image');
  }
  enforceVisibility(caller, target.visibility, target);
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
