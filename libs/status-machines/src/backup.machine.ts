import { defineMachine } from './machine';

/** Cinder's backup statuses (cinder/objects/fields.py BackupStatus). */
export const BACKUP_STATUSES = [
  'creating',
  'available',
  'deleting',
  'deleted',
  'error',
  'error_deleting',
  'restoring',
] as const;

export type BackupStatus = (typeof BACKUP_STATUSES)[number];

/**
 * Cinder's backup machine (cinder/backup/api.py and backup/manager.py). A restore always leaves
 * the backup `available`, whatever became of the volume; a restart settles `creating` as
 * `error` and `restoring` as `available`.
 */
export const backupMachine = defineMachine({
  name: 'backup',
  statuses: BACKUP_STATUSES,
  initial: 'creating',
  terminal: ['deleted'],
  events: {
    create_succeeded: { from: ['creating'], to: 'available' },
    create_failed: { from: ['creating'], to: 'error', requires: ['fail_reason'] },
    cleanup_creating: { from: ['creating'], to: 'error', requires: ['fail_reason'] },
    restore_start: { from: ['available'], to: 'restoring' },
    restore_finished: { from: ['restoring'], to: 'available' },
    delete: { from: ['available', 'error'], to: 'deleting' },
    force_delete: {
      from: ['creating', 'available', 'error', 'error_deleting', 'restoring'],
      to: 'deleting',
    },
    delete_succeeded: { from: ['deleting'], to: 'deleted' },
    delete_failed: { from: ['deleting'], to: 'error_deleting' },
    reset_to_available: {
      from: ['creating', 'available', 'deleting', 'error', 'error_deleting', 'restoring'],
      to: 'available',
      label: 'reset-status',
      undrawn: true,
    },
    reset_to_error: {
      from: ['creating', 'available', 'deleting', 'error', 'error_deleting', 'restoring'],
      to: 'error',
      label: 'reset-status',
      undrawn: true,
    },
  },
});

export type BackupEvent = (typeof backupMachine.eventNames)[number];
