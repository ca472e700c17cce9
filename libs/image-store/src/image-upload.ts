import type { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import {
  type ImageEntity,
  ImagesRepository,
  RecordNotFoundError,
  StatusConflictError,
} from '@cinderflow/persistence';
import { uploadFailedEvent } from '@cinderflow/status-machines';
import type { FileStore } from './file-store';

/** The image left `saving` while its data was being written (deleted, or settled elsewhere). */
export class ImageGoneDuringUploadError extends Error {
  constructor(readonly imageId: string) {
    super(
      `Image ${imageId} could not be found after upload. The image may have been deleted during the upload.`,
    );
    this.name = 'ImageGoneDuringUploadError';
  }
}

export interface UploadRequest {
  imageId: string;
  source: Readable;
  store: FileStore;
  /** Bytes the image may hold at most (image_size_cap, or what the storage quota leaves). */
  maxBytes: number;
  /** Who holds the `saving` image: a restart of this holder settles what it left. */
  host: string;
  /** Which failure path of seed 001: v2 puts the image back to `queued`, v1 kills it. */
  api: 'v1' | 'v2';
}

/**
 * Seed 001's upload, the one path every writer of image data takes (the API's upload, a task's
 * import): `queued → saving` (refused unless `queued`), stream into the store while hashing,
 * then `saving → active` with the checksums and its first location in one transaction. On any
 * failure the store keeps nothing and the image takes the API's failure path.
 */
export async function uploadImageData(
  dataSource: DataSource,
  request: UploadRequest,
): Promise<ImageEntity> {
  const { imageId, store, host } = request;
  const images = new ImagesRepository(dataSource.manager);
  await images.transition(imageId, 'upload', { upload_host: host });
  let stored;
  try {
    stored = await store.add(imageId, request.source, request.maxBytes);
  } catch (error) {
    await images
      .transition(
        imageId,
        uploadFailedEvent(request.api),
        { upload_host: null },
        {
          sql: 'upload_host = :host',
          params: { host },
        },
      )
      // Deleted meanwhile: nothing to put back. A database away: the holder's restart settles it.
      .catch(() => undefined);
    throw error;
  }
  try {
    return await dataSource.transaction(async (manager) => {
      const repository = new ImagesRepository(manager);
      const image = await repository.transition(
        imageId,
        'upload_succeeded',
        {
          upload_host: null,
          size: String(stored.size),
          virtual_size: String(stored.size),
          checksum: stored.checksum,
          os_hash_algo: stored.hashAlgo,
          os_hash_value: stored.hashValue,
        },
        { sql: 'upload_host = :host', params: { host } },
      );
      await repository.addLocation(imageId, stored.uri, { store: store.id });
      return image;
    });
  } catch (error) {
    // No location names the data: it must not outlive the failed commit.
    await store.delete(stored.uri).catch(() => undefined);
    if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
      throw new ImageGoneDuringUploadError(imageId);
    }
    throw error;
  }
}
