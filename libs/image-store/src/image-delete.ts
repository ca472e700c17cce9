import type { DataSource } from 'typeorm';
import {
  type ImageEntity,
  type ImageLocationEntity,
  ImagesRepository,
  ImageUploadReservationsRepository,
  ImageStorageRepository,
  NOW_UTC,
  RecordNotFoundError,
} from '@cinderflow/persistence';
import type { EntityManager } from 'typeorm';
import { imageMachine, type ImageEvent, type ImageStatus } from '@cinderflow/status-machines';
import type { ImageStores } from './image-stores';

/** Glance's ProtectedImageDelete (403). */
export class ProtectedImageDeleteError extends Error {
  constructor(readonly imageId: string) {
    super(`Image ${imageId} is protected and cannot be deleted.`);
    this.name = 'ProtectedImageDeleteError';
  }
}

/** Glance's InvalidImageStatusTransition, which its delete answers 400. */
export class InvalidImageStatusTransitionError extends Error {
  constructor(
    readonly current: string,
    readonly target: string,
  ) {
    super(`Image status transition from ${current} to ${target} is not allowed`);
    this.name = 'InvalidImageStatusTransitionError';
  }
}

/** A `file://` location in no store configured here: its data cannot be reached from here. */
export class LocationStoreUnavailableError extends Error {
  constructor(readonly uri: string) {
    super(`No store configured here holds ${uri}`);
    this.name = 'LocationStoreUnavailableError';
  }
}

/**
 * Glance's Image.delete: with delayed delete on, an image that has data somewhere goes to
 * `pending_delete` and leaves it for the scrubber; otherwise it is `deleted` at once (a
 * `queued` or `saving` image has no data, so it is deleted directly even with delayed delete).
 * Whether the event is allowed from the image's status is the machine's to say: a
 * `deactivated` image with data cannot go `pending_delete` (Glance answers 400 there too).
 */
export function deleteEventFor(
  status: ImageStatus,
  hasLocations: boolean,
  delayedDelete: boolean,
): ImageEvent {
  if (delayedDelete && hasLocations) return 'delayed_delete';
  return status === 'killed' ? 'delete_killed' : 'delete';
}

/** Where an event leads (the image machine's targets are all fixed statuses). */
function targetOf(event: ImageEvent): string {
  const { to } = imageMachine.transition(event);
  return typeof to === 'string' ? to : to.previous.join('|');
}

/**
 * What became of one location's data: `removed` (deleted now), `missing` (already gone),
 * `external` (not in one of our stores, e.g. an http location: not ours to delete, the
 * location is only marked deleted, as Glance does), `kept` (another location not deleted
 * still names the same data: an image may list one URL twice, with other metadata),
 * `skipped` (another remover holds it or finished it), `pending_delete` (left for the
 * scrubber), `failed` (left for a later try).
 */
export type RemovalOutcome =
  'removed' | 'missing' | 'external' | 'kept' | 'skipped' | 'pending_delete' | 'failed';

export interface LocationRemoval {
  location: ImageLocationEntity;
  outcome: RemovalOutcome;
  error?: Error;
  /** The location's image went `pending_delete → deleted` with it (its last pending one). */
  imageDeleted?: boolean;
}

export interface DeleteImageRequest {
  imageId: string;
  /** Glance's delayed_delete. */
  delayedDelete: boolean;
  /** Checks the locked row before anything changes (who may delete it); throws to refuse. */
  authorize?(image: ImageEntity): void;
}

export interface DeleteImageResult {
  /** The row after its transition: `deleted`, or `pending_delete` with delayed delete. */
  image: ImageEntity;
  locations: LocationRemoval[];
}

/**
 * Deletes an image the way Glance does, through the machines. One transaction locks the image,
 * decides (protected, delayed delete, status) and applies the image's transition, with
 * delayed delete also each active location's `active → pending_delete`.
 *
 * An immediate delete removes the data after that commit, each location in a transaction of
 * its own that locks it, deletes its data and only then makes it `deleted` (a `deleted`
 * location never names data that is still there). A crash or a store error in between leaves
 * an `active` location of a `deleted` image, a leftover: glance-api's start and every scrubber
 * pass look for those and remove them (removeLocationData 'leftover'), so no data stays
 * behind for good, and the location lock makes sure only one of them deletes it.
 */
export async function deleteImage(
  dataSource: DataSource,
  stores: ImageStores,
  request: DeleteImageRequest,
): Promise<DeleteImageResult> {
  const decided = await dataSource.transaction(async (manager) => {
    const images = new ImagesRepository(manager);
    const image = await images.lockLive(request.imageId);
    if (!image) throw new RecordNotFoundError('image', request.imageId);
    request.authorize?.(image);
    if (image.protected) throw new ProtectedImageDeleteError(image.id);
    const locations = await images.locations(image.id, ['active']);
    const event = deleteEventFor(image.status, locations.length > 0, request.delayedDelete);
    if (!imageMachine.can(image.status, event)) {
      throw new InvalidImageStatusTransitionError(image.status, targetOf(event));
    }
    const gone = targetOf(event) === 'deleted';
    const changed = await images.transition(image.id, event, {
      deleted_at: () => NOW_UTC,
      // A pending_delete row stays live for the machine until the scrubber finishes it.
      ...(gone ? { deleted: true } : {}),
    });
    // An upload in progress loses its image: what it reserved is given back with the delete.
    await new ImageUploadReservationsRepository(manager).release(image.id);
    const pending: ImageLocationEntity[] = [];
    if (!gone) {
      for (const location of locations) {
        pending.push(
          await images.transitionLocation(location.id, 'delayed_delete', {
            deleted_at: () => NOW_UTC,
          }),
        );
      }
    }
    return { image: changed, locations, pending };
  });
  if (decided.image.status === 'pending_delete') {
    return {
      image: decided.image,
      locations: decided.pending.map((location) => ({ location, outcome: 'pending_delete' })),
    };
  }
  const removals: LocationRemoval[] = [];
  for (const location of decided.locations) {
    try {
      // Waits for a scrubber that holds it, then finds it done (`skipped`).
      const removal = await removeLocationData(dataSource, stores, location.id, 'leftover', {
        skipLocked: false,
      });
      removals.push({ ...removal, location: removal.location ?? location });
    } catch (error) {
      removals.push({ location, outcome: 'failed', error: error as Error });
    }
  }
  return { image: decided.image, locations: removals };
}

export interface RemoveOptions {
  /** Skip a location another remover holds (scrubbers) instead of waiting for it (the API). */
  skipLocked: boolean;
  /** Runs once the location is held, before its data goes (a testing aid widens races here). */
  beforeRemove?(location: ImageLocationEntity): Promise<void>;
}

/**
 * The one way a location's data is removed (image delete, scrubber, PATCH remove, leftovers):
 * removes it and marks the location `deleted`, in one short transaction that holds the
 * location's row lock throughout: `pending` (a `pending_delete` location: the scrubber's
 * `scrub`; its image goes `deleted` with its last one) or `leftover` (an `active` location of a
 * `deleted` image: `delete`; or one a PATCH made `deleted`: its `deleted` flag). Several
 * scrubbers and glance-api may try the same location at once; only the lock holder deletes,
 * and whoever comes after finds the location no longer pending. A crash mid-way rolls the
 * transaction back and the location stays as it was, for the next pass (data already unlinked
 * then counts as `missing`). Throws when the data could not be deleted: the location stays as
 * it was.
 */
export async function removeLocationData(
  dataSource: DataSource,
  stores: ImageStores,
  locationId: number,
  kind: 'pending' | 'leftover',
  options: RemoveOptions,
): Promise<Omit<LocationRemoval, 'location'> & { location?: ImageLocationEntity }> {
  return dataSource.transaction(async (manager) => {
    const repository = new ImagesRepository(manager);
    const location = await repository.claimLocation(locationId, kind, {
      skipLocked: options.skipLocked,
    });
    if (!location) return { outcome: 'skipped' as const };
    await options.beforeRemove?.(location);
    const outcome = await deleteData(manager, stores, location);
    const done =
      location.status === 'deleted'
        ? await new ImageStorageRepository(manager).markDataRemoved(location.id)
        : await repository.transitionLocation(
            location.id,
            kind === 'pending' ? 'scrub' : 'delete',
            {
              deleted: true,
              deleted_at: () => NOW_UTC,
            },
          );
    const imageDeleted = kind === 'pending' && (await finishIfDone(repository, done.image_id));
    return { location: done, outcome, imageDeleted };
  });
}

/**
 * Deletes the data a held location names from the store whose directory holds it, unless
 * another location not deleted still names it. The data's lock makes two removers of two such
 * locations take turns, so that the last one deletes it.
 */
async function deleteData(
  manager: EntityManager,
  stores: ImageStores,
  location: ImageLocationEntity,
): Promise<RemovalOutcome> {
  const storage = new ImageStorageRepository(manager);
  await storage.lockData(location.value);
  const named = await storage.locationsNamed(location.value);
  if (named.some((other) => other.id !== location.id)) return 'kept';
  const store = stores.forUri(location.value);
  if (store) return (await store.delete(location.value)) ? 'removed' : 'missing';
  if (/^file:/i.test(location.value)) throw new LocationStoreUnavailableError(location.value);
  return 'external';
}

/** `pending_delete → deleted` once none of the image's locations is pending any more. */
async function finishIfDone(repository: ImagesRepository, imageId: string): Promise<boolean> {
  const held = await repository.lockPendingDelete(imageId);
  if (!held || held.pendingLocations > 0) return false;
  await repository.transition(imageId, 'scrub', {
    deleted: true,
    // Keeps the time of the user's delete, as Glance's scrubber does.
    deleted_at: () => `COALESCE(deleted_at, ${NOW_UTC})`,
  });
  return true;
}

/**
 * Finishes a `pending_delete` image none of whose locations is pending (one whose locations
 * were settled otherwise); whether it did.
 */
export function finishPendingImage(dataSource: DataSource, imageId: string): Promise<boolean> {
  return dataSource.transaction((manager) => finishIfDone(new ImagesRepository(manager), imageId));
}

/**
 * Removes every leftover of an immediate delete (see deleteImage) that no one else is removing,
 * in id order; reports what became of each. glance-api runs this when it starts.
 */
export async function removeLeftovers(
  dataSource: DataSource,
  stores: ImageStores,
  report: (removal: LocationRemoval) => void,
): Promise<void> {
  const images = new ImagesRepository(dataSource.manager);
  let after = 0;
  for (;;) {
    const page = await images.leftoverLocations(after, 100);
    if (page.length === 0) return;
    for (const location of page) {
      after = location.id;
      try {
        const removal = await removeLocationData(dataSource, stores, location.id, 'leftover', {
          skipLocked: true,
        });
        report({ ...removal, location: removal.location ?? location });
      } catch (error) {
        report({ location, outcome: 'failed', error: error as Error });
      }
    }
  }
}
