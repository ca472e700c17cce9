import { defineMachine } from './machine';

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

/** Force delete (admin): anything but attachment-related and already-deleted statuses. */
export const VOLUME_FORCE_DELETABLE_STATUSES = VOLUME_STATUSES.filter(
  (s) => !['reserved', 'attaching', 'in-use', 'detaching', 'deleted'].includes(s),
);

export const volumeMachine = defineMachine({
  name: 'volume',
  statuses: VOLUME_STATUSES,
  initial: 'creating',
  events: {
    // create flow: the manager finishes, or every backend failed / scheduling found none
    create_succeeded: { from: ['creating'], to: 'available' },
    create_failed: { from: ['creating'], to: 'error' },
    // delete flow: the API claims the volume, the manager removes the bytes and soft-deletes it
    delete: { from: VOLUME_DELETABLE_STATUSES, to: 'deleting' },
    // admin force delete skips the status check, but never deletes an attached volume
    force_delete: { from: VOLUME_FORCE_DELETABLE_STATUSES, to: 'deleting' },
    delete_succeeded: { from: ['deleting'], to: 'deleted' },
    delete_failed: { from: ['deleting'], to: 'error_deleting' },
    // init_host cleanup: a manager that died mid-create leaves `creating`, which becomes `error`
    cleanup_creating: { from: ['creating'], to: 'error' },
  },
});

export type VolumeEvent = (typeof volumeMachine.eventNames)[number];
