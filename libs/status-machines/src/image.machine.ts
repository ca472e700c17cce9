import { defineMachine } from './machine';

/** Glance image statuses (seeds 000 and 001). */
export const IMAGE_STATUSES = [
  'queued',
  'saving',
  'active',
  'deactivated',
  'killed',
  'deleted',
  'pending_delete',
] as const;

export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/**
 * Glance's image machine, edge for edge and name for name as seed 001 gives it (the label is
 * the seed's name; the key is what code calls). An image registered with a location goes from
 * `queued` straight to `active` and never passes through `saving`.
 */
export const imageMachine = defineMachine({
  name: 'image',
  statuses: IMAGE_STATUSES,
  initial: 'queued',
  terminal: ['deleted'],
  events: {
    add_location: { from: ['queued'], to: 'active', label: 'add location' },
    upload: { from: ['queued'], to: 'saving', label: 'upload' },
    upload_succeeded: { from: ['saving'], to: 'active', label: 'upload succeeded' },
    upload_failed_v1: { from: ['saving'], to: 'killed', label: '[v1] upload fail' },
    upload_failed_v2: { from: ['saving'], to: 'queued', label: '[v2] upload fail' },
    delete: { from: ['queued', 'saving', 'active', 'deactivated'], to: 'deleted', label: 'delete' },
    delete_killed: { from: ['killed'], to: 'deleted', label: 'deleted' },
    delayed_delete: { from: ['active'], to: 'pending_delete', label: 'delayed delete' },
    deactivate: { from: ['active'], to: 'deactivated', label: 'deactivate' },
    reactivate: { from: ['deactivated'], to: 'active', label: 'reactivate' },
    scrub: { from: ['pending_delete'], to: 'deleted', label: 'after scrub time' },
  },
});

export type ImageEvent = (typeof imageMachine.eventNames)[number];

/**
 * A failed upload: Glance v1 kills the image, v2 puts it back to `queued` so the upload can be
 * tried again. The caller says which API it serves.
 */
export function uploadFailedEvent(api: 'v1' | 'v2'): ImageEvent {
  return api === 'v1' ? 'upload_failed_v1' : 'upload_failed_v2';
}
