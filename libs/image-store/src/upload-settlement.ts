import type { DataSource, EntityManager } from 'typeorm';
import {
  ImagesRepository,
  ImageStorageRepository,
  ImageUploadReservationsRepository,
  RecordNotFoundError,
  StatusConflictError,
} from '@cinderflow/persistence';
import type { ImageStores } from './image-stores';

/**
 * Removes what an unfinished upload of an image left in the stores: its partial files, and its
 * complete file when no location names it (the process died between writing it and the
 * commit that registers it).
 */
export async function removeUnfinishedUpload(
  manager: EntityManager,
  stores: ImageStores,
  imageId: string,
): Promise<void> {
  const storage = new ImageStorageRepository(manager);
  for (const store of stores.all()) {
    await store.removePartials(imageId);
    const uri = store.uriOf(imageId);
    if ((await storage.locationsNamed(uri)).length === 0) await store.delete(uri);
  }
}

/**
 * What a restart does with the uploads a host left `saving` when it died (killed mid-upload):
 * removes their partial files, and any complete file no location names (the process died
 * between writing and committing), then takes the v2 failure path, `saving → queued`, so the
 * upload can be tried again. Data first: dying in between leaves the image `saving`, and the
 * next start does it again. Returns the ids of the images it settled.
 */
export async function settleInterruptedUploads(
  dataSource: DataSource,
  stores: ImageStores,
  host: string,
): Promise<string[]> {
  const storage = new ImageStorageRepository(dataSource.manager);
  const settled: string[] = [];
  for (const image of await storage.savingOn(host)) {
    await removeUnfinishedUpload(dataSource.manager, stores, image.id);
    try {
      await dataSource.transaction(async (manager) => {
        await new ImagesRepository(manager).transition(
          image.id,
          'upload_failed_v2',
          { upload_host: null, size: null, virtual_size: null },
          { sql: 'upload_host = :host', params: { host } },
        );
        // The dead upload's reservation goes back with it (else it would wait for its expiry).
        await new ImageUploadReservationsRepository(manager).release(image.id, host);
      });
      settled.push(image.id);
    } catch (error) {
      // Deleted meanwhile: nothing to put back.
      if (!(error instanceof StatusConflictError || error instanceof RecordNotFoundError)) {
        throw error;
      }
    }
  }
  return settled;
}
