import type { DataSource } from 'typeorm';
import {
  ImagesRepository,
  ImageStorageRepository,
  RecordNotFoundError,
  StatusConflictError,
} from '@cinderflow/persistence';
import type { ImageStores } from './image-stores';

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
  const images = new ImagesRepository(dataSource.manager);
  const settled: string[] = [];
  for (const image of await storage.savingOn(host)) {
    for (const store of stores.all()) {
      await store.removePartials(image.id);
      const uri = store.uriOf(image.id);
      if ((await storage.locationsNamed(uri)).length === 0) await store.delete(uri);
    }
    try {
      await images.transition(
        image.id,
        'upload_failed_v2',
        { upload_host: null, size: null, virtual_size: null },
        { sql: 'upload_host = :host', params: { host } },
      );
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
