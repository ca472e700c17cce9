import { defineMachine, type Transition } from './machine';

/** Cinder's volume statuses (cinder/objects/fields.py VolumeStatus) plus the soft-deleted end. */
export const VOLUME_STATUSES = [
  'creating',
  'available',
  'reserved',
  'attaching',
  'in-use',
  'detaching',
  'maintenance',
  'deleting',
  'error',
  'error_deleting',
  'backing-up',
  'restoring-backup',
  'error_backing-up',
  'error_restoring',
  'error_extending',
  'downloading',
  'uploading',
  'retyping',
  'extending',
  'awaiting-transfer',
  'reverting',
  'deleted',
] as const;

export type VolumeStatus = (typeof VOLUME_STATUSES)[number];

/** Statuses from which the API may delete without force (cinder/volume/api.py delete). */
export const VOLUME_DELETABLE_STATUSES = [
  'available',
  'error',
  'error_restoring',
  'error_extending',
] as const satisfies readonly VolumeStatus[];

/**
 * Force delete (admin): any status not yet deleted (cinder/volume/api.py delete with force drops
 * the status condition); what it still refuses, an attached or migrating volume, is a guard on
 * other columns.
 */
export const VOLUME_FORCE_DELETABLE_STATUSES = VOLUME_STATUSES.filter((s) => s !== 'deleted');

type Resettable = Exclude<VolumeStatus, 'deleting' | 'deleted'>;

/** Statuses an admin may set with os-reset_status: all but `deleting` (Cinder refuses it). */
export const VOLUME_RESETTABLE_STATUSES = VOLUME_STATUSES.filter(
  (s): s is Resettable => s !== 'deleting' && s !== 'deleted',
);

type ResetEvents = { [K in Resettable as `reset_to_${K}`]: Transition<VolumeStatus> };

/** os-reset_status: one event per target status, allowed from anything not yet deleted. */
function resetEvents(): ResetEvents {
  const from = VOLUME_STATUSES.filter((s) => s !== 'deleted');
  return Object.fromEntries(
    VOLUME_RESETTABLE_STATUSES.map((to) => [
      `reset_to_${to}`,
      { from, to, label: 'reset-status', undrawn: true },
    ]),
  ) as unknown as ResetEvents;
}

/**
 * Cinder's volume machine: create, attach/detach (attachments API and the legacy actions),
 * backup, restore, extend, upload, retype/migrate, transfer, delete, force-delete and
 * reset-status. Where Cinder returns a volume "to what it was" (`previous_status`), the event
 * says so and lists what that may be. Sources: cinder/volume/api.py, volume/manager.py,
 * backup/api.py, backup/manager.py, db/api.py (volume_attached / volume_detached).
 */
export const volumeMachine = defineMachine({
  name: 'volume',
  statuses: VOLUME_STATUSES,
  initial: 'creating',
  terminal: ['deleted'],
  events: {
    // create: the manager finishes, or every backend failed / scheduling found none
    download_image: { from: ['creating'], to: 'downloading' },
    create_succeeded: { from: ['creating', 'downloading'], to: 'available' },
    create_failed: { from: ['creating', 'downloading'], to: 'error' },
    // init_host cleanup: a manager that died mid-create leaves `creating`
    cleanup_creating: { from: ['creating', 'downloading'], to: 'error' },

    // attachments API (3.27+): reserve, connect, complete; detach recomputes from what is left
    attachment_reserve: { from: ['available', 'downloading'], to: 'reserved' },
    attachment_reserve_multiattach: {
      from: ['available', 'downloading', 'in-use'],
      to: 'reserved',
    },
    attachment_update: { from: ['reserved', 'attaching', 'in-use'], to: 'attaching' },
    attachment_complete: { from: ['attaching', 'reserved', 'in-use'], to: 'in-use' },
    last_attachment_gone: {
      from: ['reserved', 'attaching', 'in-use', 'detaching'],
      to: 'available',
    },
    attachments_remain: { from: ['reserved', 'attaching', 'in-use', 'detaching'], to: 'in-use' },
    connections_pending: {
      from: ['reserved', 'attaching', 'in-use', 'detaching'],
      to: 'attaching',
    },
    reservations_remain: { from: ['reserved', 'attaching', 'in-use', 'detaching'], to: 'reserved' },

    // legacy actions (os-reserve, os-unreserve, os-attach, os-begin_detaching, os-roll_detaching)
    reserve: { from: ['available'], to: 'attaching' },
    reserve_multiattach: { from: ['available', 'in-use'], to: 'attaching' },
    unreserve: { from: ['attaching'], to: 'available' },
    unreserve_attached: { from: ['attaching'], to: 'in-use' },
    attach: { from: ['attaching', 'reserved', 'in-use'], to: 'in-use' },
    begin_detaching: { from: ['in-use'], to: 'detaching' },
    roll_detaching: { from: ['detaching'], to: 'in-use' },

    // backup: the volume is `backing-up` while read, then returns to what it was
    backup_start: { from: ['available'], to: 'backing-up', savePrevious: true },
    backup_start_forced: { from: ['available', 'in-use'], to: 'backing-up', savePrevious: true },
    backup_finished: { from: ['backing-up'], to: { previous: ['available', 'in-use'] } },

    // restore onto an existing volume, or onto one created for it
    restore_start: { from: ['available'], to: 'restoring-backup' },
    restore_succeeded: { from: ['restoring-backup', 'creating'], to: 'available' },
    restore_failed: { from: ['restoring-backup'], to: 'error_restoring' },
    restore_new_volume_failed: { from: ['creating', 'restoring-backup'], to: 'error' },

    // extend (in-use from 3.42), upload to image, retype, migrate, transfer
    extend: { from: ['available'], to: 'extending', savePrevious: true },
    extend_attached: { from: ['available', 'in-use'], to: 'extending', savePrevious: true },
    extend_succeeded: { from: ['extending'], to: { previous: ['available', 'in-use'] } },
    extend_failed: { from: ['extending'], to: 'error_extending' },
    // the scheduler finds no room on the volume's backend: back to what it was
    extend_refused: { from: ['extending'], to: { previous: ['available', 'in-use'] } },
    upload_start: { from: ['available'], to: 'uploading', savePrevious: true },
    upload_start_forced: { from: ['available', 'in-use'], to: 'uploading', savePrevious: true },
    upload_finished: { from: ['uploading'], to: { previous: ['available', 'in-use'] } },
    retype: { from: ['available', 'in-use'], to: 'retyping', savePrevious: true },
    migrate_lock: { from: ['available'], to: 'maintenance', savePrevious: true },
    retype_or_migrate_finished: {
      from: ['retyping', 'maintenance'],
      to: { previous: ['available', 'in-use'] },
    },
    // os-migrate_volume without lock_volume: the volume stays `available` (its migration_status
    // tells); anything that moves it on meanwhile aborts the migration
    migrate_unlocked: { from: ['available'], to: 'available', savePrevious: true },
    migrate_unlocked_finished: { from: ['available'], to: 'available' },
    transfer_create: { from: ['available'], to: 'awaiting-transfer' },
    // os-revert (3.40): to the latest snapshot; a failed revert leaves the volume `error`
    revert_start: { from: ['available'], to: 'reverting' },
    revert_succeeded: { from: ['reverting'], to: 'available' },
    revert_failed: { from: ['reverting'], to: 'error' },
    transfer_end: { from: ['awaiting-transfer'], to: 'available' },

    // delete: the API claims the volume, the manager removes the bytes and soft-deletes it
    delete: { from: VOLUME_DELETABLE_STATUSES, to: 'deleting' },
    force_delete: { from: VOLUME_FORCE_DELETABLE_STATUSES, to: 'deleting' },
    delete_succeeded: { from: ['deleting'], to: 'deleted' },
    delete_failed: { from: ['deleting'], to: 'error_deleting' },
    delete_busy: { from: ['deleting'], to: 'available' },

    ...resetEvents(),
  },
});

export type VolumeEvent = (typeof volumeMachine.eventNames)[number];
