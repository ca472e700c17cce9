import { IMAGE_STATUSES, imageMachine } from '@cinderflow/status-machines';
import type { RequestContext } from '@cinderflow/request-context';
import { activationStep, isAdminOrOwningMember, notAuthorized } from './image-policy';

describe('isAdminOrOwningMember (delete_image, modify_image: admin or a member of the owning project)', () => {
  it.each([
    [{ isAdmin: true, roles: ['admin'], projectId: 'other' }, 'p', true],
    [{ isAdmin: false, roles: ['member', 'reader'], projectId: 'p' }, 'p', true],
    [{ isAdmin: false, roles: ['reader'], projectId: 'p' }, 'p', false],
    [{ isAdmin: false, roles: ['member'], projectId: 'other' }, 'p', false],
    [{ isAdmin: false, roles: ['member'], projectId: 'p' }, null, false],
  ])('%o on an image of %s → %s', (caller, owner, allowed) => {
    const context = { ...caller, requestId: 'req-x', userId: 'u' } as RequestContext;
    expect(isAdminOrOwningMember(context, { owner, visibility: 'private' })).toBe(allowed);
  });

  it('words a refusal as oslo.policy does', () => {
    expect(notAuthorized('deactivate').message).toBe(
      'You are not authorized to complete deactivate action.',
    );
  });
});

describe('activationStep (Glance Image.deactivate / reactivate)', () => {
  it('deactivates an active image and reactivates a deactivated one, through the machine', () => {
    expect(activationStep('deactivate', 'active')).toEqual({ event: 'deactivate' });
    expect(activationStep('reactivate', 'deactivated')).toEqual({ event: 'reactivate' });
    expect(imageMachine.next('active', 'deactivate')).toBe('deactivated');
    expect(imageMachine.next('deactivated', 'reactivate')).toBe('active');
  });

  it('does nothing when repeated', () => {
    expect(activationStep('deactivate', 'deactivated')).toEqual({ noop: true });
    expect(activationStep('reactivate', 'active')).toEqual({ noop: true });
  });

  it.each(IMAGE_STATUSES.filter((s) => s !== 'active' && s !== 'deactivated'))(
    'refuses %s with Glance’s message',
    (status) => {
      expect(activationStep('deactivate', status)).toEqual({
        refused: `Not allowed to deactivate image in status '${status}'`,
      });
      expect(activationStep('reactivate', status)).toEqual({
        refused: `Not allowed to reactivate image in status '${status}'`,
      });
    },
  );
});
