import type { RequestContext } from '@cinderflow/request-context';
import type { ImageEvent, ImageStatus } from '@cinderflow/status-machines';

/**
 * Glance's default `delete_image` rule (ADMIN_OR_PROJECT_MEMBER): an admin, or a member of the
 * project that owns the image.
 */
export function mayDeleteImage(
  caller: Pick<RequestContext, 'isAdmin' | 'roles' | 'projectId'>,
  owner: string | null,
): boolean {
  return caller.isAdmin || (caller.roles.includes('member') && owner === caller.projectId);
}

/** What oslo.policy answers when a rule refuses (Glance's exception.Forbidden). */
export function policyRefusal(action: string): string {
  return `You are not authorized to complete ${action} action.`;
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
