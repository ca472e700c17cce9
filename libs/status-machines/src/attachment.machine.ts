import { defineMachine } from './machine';

/** A volume attachment's `attach_status` (cinder/objects/fields.py VolumeAttachStatus). */
export const ATTACHMENT_STATUSES = [
  'reserved',
  'attaching',
  'attached',
  'detaching',
  'detached',
  'error_attaching',
  'error_detaching',
] as const;

export type AttachmentStatus = (typeof ATTACHMENT_STATUSES)[number];

/**
 * One attachment's life: reserved by attachment-create (or `attaching` at once for the legacy
 * os-attach), connected when a connector arrives, `attached` on complete; `detaching` while the
 * export is removed, `detached` when it is gone. Cinder soft-deletes the row as it detaches.
 */
export const attachmentMachine = defineMachine({
  name: 'attachment',
  statuses: ATTACHMENT_STATUSES,
  initial: 'reserved',
  terminal: ['detached'],
  events: {
    connect: { from: ['reserved', 'attaching'], to: 'attaching' },
    connect_failed: { from: ['reserved', 'attaching'], to: 'error_attaching' },
    complete: { from: ['attaching'], to: 'attached' },
    begin_detaching: { from: ['attached'], to: 'detaching' },
    roll_detaching: { from: ['detaching'], to: 'attached' },
    detach_failed: { from: ['detaching'], to: 'error_detaching' },
    detach: {
      from: [
        'reserved',
        'attaching',
        'attached',
        'detaching',
        'error_attaching',
        'error_detaching',
      ],
      to: 'detached',
    },
  },
});

export type AttachmentEvent = (typeof attachmentMachine.eventNames)[number];
