import { defineMachine, type Transition } from './machine';

/** Cinder's snapshot statuses (cinder/objects/fields.py SnapshotStatus) but `updating`, unused. */
export const SNAPSHOT_STATUSES = [
  'creating',
  'available',
  'deleting',
  'deleted',
  'error',
  'error_deleting',
  'unmanaging',
  'backing-up',
  'restoring',
] as const;

export type SnapshotStatus = (typeof SNAPSHOT_STATUSES)[number];

/**
 * What os-reset_status may set: Cinder's reset_status_snapshot accepts every snapshot status;
 * here all but `deleted` (a row left undeleted in a terminal status could never move again).
 */
export const SNAPSHOT_RESETTABLE_STATUSES = [
  'available',
  'error',
  'creating',
  'deleting',
  'error_deleting',
  'unmanaging',
  'backing-up',
  'restoring',
] as const satisfies readonly SnapshotStatus[];

type Resettable = (typeof SNAPSHOT_RESETTABLE_STATUSES)[number];
type ResetEvents = { [K in Resettable as `reset_to_${K}`]: Transition<SnapshotStatus> };

function resetEvents(): ResetEvents {
  const from = SNAPSHOT_STATUSES.filter((s) => s !== 'deleted');
  return Object.fromEntries(
    SNAPSHOT_RESETTABLE_STATUSES.map((to) => [
      `reset_to_${to}`,
      { from, to, label: 'reset-status', undrawn: true },
    ]),
  ) as unknown as ResetEvents;
}

/**
 * Cinder's snapshot machine (cinder/volume/api.py, volume/manager.py, backup/api.py,
 * api/contrib/snapshot_actions.py). The API creates a snapshot `creating` and casts to the
 * volume's backend; delete without force needs `available` or `error`. A backup of the snapshot
 * holds it `backing-up`; a revert of its volume holds it `restoring`.
 */
export const snapshotMachine = defineMachine({
  name: 'snapshot',
  statuses: SNAPSHOT_STATUSES,
  initial: 'creating',
  terminal: ['deleted'],
  events: {
    create_succeeded: { from: ['creating'], to: 'available' },
    create_failed: { from: ['creating'], to: 'error' },
    cleanup_creating: { from: ['creating'], to: 'error' },

    delete: { from: ['available', 'error'], to: 'deleting' },
    force_delete: {
      from: ['creating', 'available', 'error', 'error_deleting', 'backing-up', 'restoring'],
      to: 'deleting',
    },
    delete_succeeded: { from: ['deleting'], to: 'deleted' },
    delete_failed: { from: ['deleting'], to: 'error_deleting' },

    backup_start: { from: ['available'], to: 'backing-up' },
    backup_finished: { from: ['backing-up'], to: 'available' },

    revert_start: { from: ['available'], to: 'restoring' },
    revert_finished: { from: ['restoring'], to: 'available' },

    unmanage: { from: ['available', 'error'], to: 'unmanaging' },
    unmanage_succeeded: { from: ['unmanaging'], to: 'deleted' },
    unmanage_failed: { from: ['unmanaging'], to: 'error' },

    // os-update_snapshot_status (a driver that creates snapshots out of band reports back)
    update_status_creating: { from: ['creating'], to: 'creating', label: 'update-status' },
    update_status_available: { from: ['creating'], to: 'available', label: 'update-status' },
    update_status_error: { from: ['creating'], to: 'error', label: 'update-status' },
    update_status_deleting: { from: ['deleting'], to: 'deleting', label: 'update-status' },
    update_status_error_deleting: {
      from: ['deleting'],
      to: 'error_deleting',
      label: 'update-status',
    },

    ...resetEvents(),
  },
});

export type SnapshotEvent = (typeof snapshotMachine.eventNames)[number];
