import fc from 'fast-check';
import { attachmentMachine } from './attachment.machine';
import { backupMachine } from './backup.machine';
import { imageLocationMachine } from './image-location.machine';
import { imageMemberMachine } from './image-member.machine';
import { imageMachine } from './image.machine';
import { InvalidTransitionError, type StatusMachine } from './machine';
import { SNAPSHOT_STATUSES, snapshotMachine } from './snapshot.machine';
import { taskMachine } from './task.machine';
import { volumeAttachMachine } from './volume-attach.machine';
import { VOLUME_STATUSES, volumeMachine } from './volume.machine';

type Table = Record<string, [from: readonly string[], to: string | readonly string[]]>;

const notDeleted = VOLUME_STATUSES.filter((s) => s !== 'deleted');
const previous = ['available', 'in-use'];
const snapshotNotDeleted = SNAPSHOT_STATUSES.filter((s) => s !== 'deleted');
const anyAttach = ['detached', 'reserved', 'attaching', 'attached'];

/** What each machine must allow, written out independently of the machines themselves. */
const expected: Record<string, [StatusMachine<string, string>, Table]> = {
  volume: [
    volumeMachine as unknown as StatusMachine<string, string>,
    {
      download_image: [['creating'], 'downloading'],
      create_succeeded: [['creating', 'downloading'], 'available'],
      create_failed: [['creating', 'downloading'], 'error'],
      cleanup_creating: [['creating', 'downloading'], 'error'],
      attachment_reserve: [['available', 'downloading'], 'reserved'],
      attachment_reserve_multiattach: [['available', 'downloading', 'in-use'], 'reserved'],
      attachment_update: [['reserved', 'attaching', 'in-use'], 'attaching'],
      attachment_complete: [['attaching', 'reserved', 'in-use'], 'in-use'],
      last_attachment_gone: [['reserved', 'attaching', 'in-use', 'detaching'], 'available'],
      attachments_remain: [['reserved', 'attaching', 'in-use', 'detaching'], 'in-use'],
      connections_pending: [['reserved', 'attaching', 'in-use', 'detaching'], 'attaching'],
      reservations_remain: [['reserved', 'attaching', 'in-use', 'detaching'], 'reserved'],
      reserve: [['available'], 'attaching'],
      reserve_multiattach: [['available', 'in-use'], 'attaching'],
      unreserve: [['attaching'], 'available'],
      unreserve_attached: [['attaching'], 'in-use'],
      attach: [['attaching', 'reserved', 'in-use'], 'in-use'],
      begin_detaching: [['in-use'], 'detaching'],
      roll_detaching: [['detaching'], 'in-use'],
      backup_start: [['available'], 'backing-up'],
      backup_start_forced: [['available', 'in-use'], 'backing-up'],
      backup_finished: [['backing-up'], previous],
      restore_start: [['available'], 'restoring-backup'],
      restore_succeeded: [['restoring-backup', 'creating'], 'available'],
      restore_failed: [['restoring-backup'], 'error_restoring'],
      restore_new_volume_failed: [['creating', 'restoring-backup'], 'error'],
      extend: [['available'], 'extending'],
      extend_attached: [['available', 'in-use'], 'extending'],
      extend_succeeded: [['extending'], previous],
      extend_failed: [['extending'], 'error_extending'],
      extend_refused: [['extending'], previous],
      upload_start: [['available'], 'uploading'],
      upload_start_forced: [['available', 'in-use'], 'uploading'],
      upload_finished: [['uploading'], previous],
      retype: [['available', 'in-use'], 'retyping'],
      migrate_lock: [['available'], 'maintenance'],
      migrate_unlocked: [['available'], 'available'],
      migrate_unlocked_finished: [['available'], 'available'],
      retype_or_migrate_finished: [['retyping', 'maintenance'], previous],
      transfer_create: [['available'], 'awaiting-transfer'],
      transfer_end: [['awaiting-transfer'], 'available'],
      revert_start: [['available'], 'reverting'],
      revert_succeeded: [['reverting'], 'available'],
      revert_failed: [['reverting'], 'error'],
      delete: [['available', 'error', 'error_restoring', 'error_extending'], 'deleting'],
      force_delete: [notDeleted, 'deleting'],
      delete_succeeded: [['deleting'], 'deleted'],
      delete_failed: [['deleting'], 'error_deleting'],
      delete_busy: [['deleting'], 'available'],
      ...Object.fromEntries(
        notDeleted
          .filter((s) => s !== 'deleting')
          .map((to) => [`reset_to_${to}`, [notDeleted, to]]),
      ),
    },
  ],
  'volume attach': [
    volumeAttachMachine as unknown as StatusMachine<string, string>,
    {
      connect: [anyAttach, 'attaching'],
      complete: [['attaching'], 'attached'],
      attach: [anyAttach, 'attached'],
      attachments_remain: [anyAttach, 'attached'],
      connections_pending: [anyAttach, 'attaching'],
      reservations_remain: [anyAttach, 'reserved'],
      last_attachment_gone: [anyAttach, 'detached'],
      reset_to_attached: [anyAttach, 'attached'],
      reset_to_detached: [anyAttach, 'detached'],
    },
  ],
  attachment: [
    attachmentMachine as unknown as StatusMachine<string, string>,
    {
      connect: [['reserved', 'attaching'], 'attaching'],
      connect_failed: [['reserved', 'attaching'], 'error_attaching'],
      complete: [['attaching'], 'attached'],
      begin_detaching: [['attached'], 'detaching'],
      roll_detaching: [['detaching'], 'attached'],
      detach_failed: [['detaching'], 'error_detaching'],
      detach: [
        ['reserved', 'attaching', 'attached', 'detaching', 'error_attaching', 'error_detaching'],
        'detached',
      ],
    },
  ],
  snapshot: [
    snapshotMachine as unknown as StatusMachine<string, string>,
    {
      create_succeeded: [['creating'], 'available'],
      create_failed: [['creating'], 'error'],
      cleanup_creating: [['creating'], 'error'],
      delete: [['available', 'error'], 'deleting'],
      force_delete: [
        ['creating', 'available', 'error', 'error_deleting', 'backing-up', 'restoring'],
        'deleting',
      ],
      delete_succeeded: [['deleting'], 'deleted'],
      delete_failed: [['deleting'], 'error_deleting'],
      backup_start: [['available'], 'backing-up'],
      backup_finished: [['backing-up'], 'available'],
      revert_start: [['available'], 'restoring'],
      revert_finished: [['restoring'], 'available'],
      unmanage: [['available', 'error'], 'unmanaging'],
      unmanage_succeeded: [['unmanaging'], 'deleted'],
      unmanage_failed: [['unmanaging'], 'error'],
      update_status_creating: [['creating'], 'creating'],
      update_status_available: [['creating'], 'available'],
      update_status_error: [['creating'], 'error'],
      update_status_deleting: [['deleting'], 'deleting'],
      update_status_error_deleting: [['deleting'], 'error_deleting'],
      ...Object.fromEntries(
        [
          'available',
          'error',
          'creating',
          'deleting',
          'error_deleting',
          'unmanaging',
          'backing-up',
          'restoring',
        ].map((to) => [`reset_to_${to}`, [snapshotNotDeleted, to]]),
      ),
    },
  ],
  backup: [
    backupMachine as unknown as StatusMachine<string, string>,
    {
      create_succeeded: [['creating'], 'available'],
      create_failed: [['creating'], 'error'],
      cleanup_creating: [['creating'], 'error'],
      restore_start: [['available'], 'restoring'],
      restore_finished: [['restoring'], 'available'],
      delete: [['available', 'error'], 'deleting'],
      force_delete: [['creating', 'available', 'error', 'error_deleting', 'restoring'], 'deleting'],
      delete_succeeded: [['deleting'], 'deleted'],
      delete_failed: [['deleting'], 'error_deleting'],
      reset_to_available: [
        ['creating', 'available', 'deleting', 'error', 'error_deleting', 'restoring'],
        'available',
      ],
      reset_to_error: [
        ['creating', 'available', 'deleting', 'error', 'error_deleting', 'restoring'],
        'error',
      ],
    },
  ],
  image: [
    imageMachine as unknown as StatusMachine<string, string>,
    {
      add_location: [['queued'], 'active'],
      upload: [['queued'], 'saving'],
      upload_succeeded: [['saving'], 'active'],
      upload_failed_v1: [['saving'], 'killed'],
      upload_failed_v2: [['saving'], 'queued'],
      delete: [['queued', 'saving', 'active', 'deactivated'], 'deleted'],
      delete_killed: [['killed'], 'deleted'],
      delayed_delete: [['active'], 'pending_delete'],
      deactivate: [['active'], 'deactivated'],
      reactivate: [['deactivated'], 'active'],
      scrub: [['pending_delete'], 'deleted'],
    },
  ],
  'image location': [
    imageLocationMachine as unknown as StatusMachine<string, string>,
    {
      delete: [['active'], 'deleted'],
      delayed_delete: [['active'], 'pending_delete'],
      scrub: [['pending_delete'], 'deleted'],
    },
  ],
  'image member': [
    imageMemberMachine as unknown as StatusMachine<string, string>,
    {
      accept: [['pending', 'accepted', 'rejected'], 'accepted'],
      reject: [['pending', 'accepted', 'rejected'], 'rejected'],
      reset: [['pending', 'accepted', 'rejected'], 'pending'],
    },
  ],
  task: [
    taskMachine as unknown as StatusMachine<string, string>,
    {
      start: [['pending'], 'processing'],
      succeed: [['processing'], 'success'],
      fail: [['pending', 'processing'], 'failure'],
    },
  ],
};

describe.each(Object.entries(expected))('%s machine', (_name, [machine, table]) => {
  it('has exactly the expected events', () => {
    expect([...machine.eventNames].sort()).toEqual(Object.keys(table).sort());
  });

  // Every (status, event) pair: the allowed ones give the listed status, every other is refused.
  it('decides every (status, event) pair as the table says', () => {
    for (const event of machine.eventNames) {
      const [from, to] = table[event];
      for (const status of machine.statuses) {
        if (!from.includes(status)) {
          expect(() => machine.next(status, event, 'available')).toThrow(InvalidTransitionError);
        } else if (typeof to === 'string') {
          expect(machine.next(status, event)).toBe(to);
        } else {
          for (const before of to) expect(machine.next(status, event, before)).toBe(before);
          expect(() => machine.next(status, event, 'error')).toThrow(InvalidTransitionError);
          expect(() => machine.next(status, event, null)).toThrow(InvalidTransitionError);
        }
      }
    }
  });

  it('never leaves a terminal status', () => {
    for (const status of machine.terminal) {
      for (const event of machine.eventNames) expect(machine.can(status, event)).toBe(false);
    }
  });

  it('random event sequences never reach a status outside the table', () => {
    const events = fc.constantFrom(...machine.eventNames);
    fc.assert(
      fc.property(fc.array(events, { maxLength: 60 }), (sequence) => {
        let status = machine.initial;
        let saved: string | null = null;
        let ended = false;
        for (const event of sequence) {
          const transition = machine.transition(event);
          if (!machine.can(status, event)) {
            expect(() => machine.next(status, event, saved)).toThrow(InvalidTransitionError);
            continue;
          }
          expect(ended).toBe(false); // nothing is allowed once terminal
          let next: string;
          try {
            next = machine.next(status, event, saved);
          } catch {
            // Only a return to a previous status that was never saved may be refused here.
            expect(typeof transition.to).not.toBe('string');
            continue;
          }
          if (transition.savePrevious) saved = status;
          status = next;
          expect(machine.statuses).toContain(status);
          if (machine.terminal.includes(status)) ended = true;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('errors', () => {
  it('name the machine, the status, the event and what was allowed', () => {
    const error = (() => {
      try {
        volumeMachine.next('in-use', 'delete');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error).toMatchObject({
      machine: 'volume',
      current: 'in-use',
      event: 'delete',
      allowedFrom: ['available', 'error', 'error_restoring', 'error_extending'],
    });
  });

  it('a task that fails must say why, one that succeeds must say what', () => {
    expect(() => taskMachine.checkRequired('fail', {})).toThrow("event 'fail' needs message");
    expect(() => taskMachine.checkRequired('fail', { message: 'disk full' })).not.toThrow();
    expect(() => taskMachine.checkRequired('succeed', { result: null })).toThrow('needs result');
  });
});
