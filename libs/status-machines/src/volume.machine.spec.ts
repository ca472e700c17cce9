import { InvalidTransitionError } from './machine';
import {
  VOLUME_STATUSES,
  volumeMachine,
  type VolumeEvent,
  type VolumeStatus,
} from './volume.machine';

const expected: Record<VolumeEvent, [readonly VolumeStatus[], VolumeStatus]> = {
  create_succeeded: [['creating'], 'available'],
  create_failed: [['creating'], 'error'],
  delete: [['available', 'error', 'error_restoring', 'error_extending'], 'deleting'],
  force_delete: [
    VOLUME_STATUSES.filter(
      (s) => !['reserved', 'attaching', 'in-use', 'detaching', 'deleted'].includes(s),
    ),
    'deleting',
  ],
  delete_succeeded: [['deleting'], 'deleted'],
  delete_failed: [['deleting'], 'error_deleting'],
  cleanup_creating: [['creating'], 'error'],
};

describe('volume machine', () => {
  it('has exactly the expected events', () => {
    expect([...volumeMachine.eventNames].sort()).toEqual(Object.keys(expected).sort());
  });

  describe.each(Object.entries(expected) as [VolumeEvent, [VolumeStatus[], VolumeStatus]][])(
    '%s',
    (event, [from, to]) => {
      it.each(VOLUME_STATUSES.map((s) => [s]))('from %s', (status) => {
        if (from.includes(status)) {
          expect(volumeMachine.next(status, event)).toBe(to);
        } else {
          expect(() => volumeMachine.next(status, event)).toThrow(InvalidTransitionError);
        }
      });
    },
  );

  it('names the machine, status, event and allowed statuses when it refuses', () => {
    let error: unknown;
    try {
      volumeMachine.next('in-use', 'delete');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error).toMatchObject({
      machine: 'volume',
      current: 'in-use',
      event: 'delete',
      allowedFrom: ['available', 'error', 'error_restoring', 'error_extending'],
    });
  });

  it('nothing leaves deleted', () => {
    for (const event of volumeMachine.eventNames) {
      expect(volumeMachine.can('deleted', event)).toBe(false);
    }
  });
});
