import { defineMachine } from './machine';

/**
 * The `attach_status` of a volume row: the values of Cinder's VolumeAttachStatus
 * (cinder/objects/fields.py) that Cinder writes to volumes. `error_attaching`,
 * `error_detaching` and `deleted` only ever mark attachments: the volume's value is derived
 * from its attachments with the error ones left out (db/api.py _get_statuses_from_attachments).
 */
export const VOLUME_ATTACH_STATUSES = ['detached', 'reserved', 'attaching', 'attached'] as const;

export type VolumeAttachStatus = (typeof VOLUME_ATTACH_STATUSES)[number];

/** What an admin may set with os-reset_status (Cinder's reset_status schema). */
export const VOLUME_ATTACH_RESETTABLE_STATUSES = [
  'attached',
  'detached',
] as const satisfies readonly VolumeAttachStatus[];

const ANY = VOLUME_ATTACH_STATUSES;

/**
 * A volume's attach status, changed in the same transaction as the volume status it goes with.
 * Cinder writes it unconditionally wherever it follows the attachments (volume_attached,
 * volume_detached), so those events are allowed from every value; only os-complete, which
 * always follows a connect, insists on `attaching`. Creating an attachment leaves it alone, as
 * in Cinder (the volume is `reserved`, its attach status still what it was). Sources:
 * cinder/db/api.py volume_attached / volume_detached, api/v3/attachments.py complete,
 * api/contrib/admin_actions.py reset_status.
 */
export const volumeAttachMachine = defineMachine({
  name: 'volume attach',
  statuses: VOLUME_ATTACH_STATUSES,
  initial: 'detached',
  events: {
    // attachment update: the backend exported the volume (volume_attached, mark_attached=False)
    connect: { from: ANY, to: 'attaching' },
    // os-complete (3.44): the consumer connected
    complete: { from: ['attaching'], to: 'attached' },
    // legacy os-attach (volume_attached, mark_attached=True)
    attach: { from: ANY, to: 'attached' },

    // after a detach, recomputed from the attachments left: attached > attaching > reserved
    attachments_remain: { from: ANY, to: 'attached' },
    connections_pending: { from: ANY, to: 'attaching' },
    reservations_remain: { from: ANY, to: 'reserved' },
    last_attachment_gone: { from: ANY, to: 'detached' },

    // os-reset_status with attach_status
    reset_to_attached: { from: ANY, to: 'attached', label: 'reset-status', undrawn: true },
    reset_to_detached: { from: ANY, to: 'detached', label: 'reset-status', undrawn: true },
  },
});

export type VolumeAttachEvent = (typeof volumeAttachMachine.eventNames)[number];
