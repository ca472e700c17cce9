import type { ImageStatus } from './image.machine';
import { defineMachine } from './machine';

/** Status of one storage location of an image (seed 002); internal, never shown by the API. */
export const IMAGE_LOCATION_STATUSES = ['active', 'pending_delete', 'deleted'] as const;

export type ImageLocationStatus = (typeof IMAGE_LOCATION_STATUSES)[number];

/**
 * A location is `active` once its data is uploaded or the location is added. Deleting the
 * image deletes the data at once (`deleted`), or with delayed delete marks it
 * `pending_delete` for the scrubber, which later deletes the data (`deleted`).
 */
export const imageLocationMachine = defineMachine({
  name: 'image location',
  statuses: IMAGE_LOCATION_STATUSES,
  initial: 'active',
  terminal: ['deleted'],
  events: {
    delete: { from: ['active'], to: 'deleted', label: 'image deleted, delayed delete off' },
    delayed_delete: {
      from: ['active'],
      to: 'pending_delete',
      label: 'image deleted, delayed delete on',
    },
    scrub: { from: ['pending_delete'], to: 'deleted', label: 'scrubber deleted the data' },
  },
});

export type ImageLocationEvent = (typeof imageLocationMachine.eventNames)[number];

/** The locations the API lists: only the active ones (seed 002). */
export const LISTED_LOCATION_STATUSES: readonly ImageLocationStatus[] = ['active'];

/**
 * Seed 002's migration: the status existing locations get from their image's status. Images
 * still `queued` or `saving` have no data anywhere, so their locations get none (`null`).
 * `deactivated` came after the blueprint; such an image still holds its data, so `active`.
 */
export function locationStatusForImage(status: ImageStatus): ImageLocationStatus | null {
  switch (status) {
    case 'queued':
    case 'saving':
      return null;
    case 'active':
    case 'deactivated':
      return 'active';
    case 'pending_delete':
      return 'pending_delete';
    case 'killed':
    case 'deleted':
      return 'deleted';
  }
}
