import { IMAGE_STATUSES, imageMachine } from '@cinderflow/status-machines';
import { activationStep } from './image-policy';

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
