import type { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import {
  type ImageEntity,
  ImagesRepository,
  ImageStorageRepository,
  ImageUploadReservationsRepository,
  RecordNotFoundError,
  StatusConflictError,
} from '@cinderflow/persistence';
import { uploadFailedEvent } from '@cinderflow/status-machines';
import type { FileStore, StoredData } from './file-store';
import { LimitExceededError, refusal, roomFor, StorageQuotaFullError } from './storage-limit';
import { ReservingReader, reserveUploadStart, type UploadLimits } from './upload-reservation';

/** The image left `saving` while its data was being written (deleted, or settled elsewhere). */
export class ImageGoneDuringUploadError extends Error {
  constructor(readonly imageId: string) {
    super(
      `Image ${imageId} could not be found after upload. The image may have been deleted ` +
        `during the upload, cleaning up the chunks uploaded.`,
    );
    this.name = 'ImageGoneDuringUploadError';
  }
}

/**
 * Glance's domain refuses `queued → saving` (and `queued → active`) while the image has no disk
 * or container format: a ValueError the API answers 400 with this message.
 */
export class ImageFormatsMissingError extends Error {
  constructor(readonly missing: string[]) {
    super(
      `${missing.length === 1 ? 'Property' : 'Properties'} ${missing.join(', ')} must be set ` +
        `prior to saving data.`,
    );
    this.name = 'ImageFormatsMissingError';
  }
}

/** The formats Glance requires before an image may take data, in its order; [] when set. */
export function missingFormats(
  image: Pick<ImageEntity, 'disk_format' | 'container_format'>,
): string[] {
  return (['disk_format', 'container_format'] as const).filter((key) => !image[key]);
}

/** SQL guard matching `missingFormats(...).length === 0`, for the transitions that need it. */
export const FORMATS_SET_SQL = `COALESCE(disk_format, '') <> '' AND COALESCE(container_format, '') <> ''`;

// Disk formats oslo's format inspector knows; only raw data (or a format it can't inspect, such
// as ami) has its byte size as virtual size without reading the format's header.
const INSPECTABLE_DISK_FORMATS = new Set([
  'qcow2',
  'vhd',
  'vhdx',
  'vmdk',
  'vdi',
  'iso',
  'gpt',
  'luks',
  'ploop',
]);

/**
 * The virtual size Glance records after an upload. It inspects data of `bare` images: raw data
 * (or a format it can't inspect, such as ami) is its byte size; the others need their header,
 * which this store does not parse, so it stays unset as when Glance's inspection can't tell.
 */
export function virtualSizeOf(
  image: Pick<ImageEntity, 'disk_format' | 'container_format'>,
  size: number,
): number | null {
  if (image.container_format !== 'bare') return null;
  return INSPECTABLE_DISK_FORMATS.has(image.disk_format ?? '') ? null : size;
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
  /**
   * The owner's quotas (user_storage_quota, or Keystone's unified limits). The upload's start
   * reserves its bytes under the owner's lock (the declared size, or step by step as data of
   * unknown size streams in), so that parallel uploads of one owner can't together pass the
   * quota; the commit checks once more under that lock and turns the reservation into the
   * image's size; a failure gives it back.
   */
  limits?: UploadLimits;
  /** Checks the stored data before it is committed (a declared size); a throw fails the upload. */
  verify?: (stored: StoredData) => void;
}

/** How long a failed upload keeps trying to settle its image while the database is away. */
const SETTLE_PATIENCE_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Seed 001's upload, the one path every writer of image data takes (the API's upload, a task's
 * import): `queued → saving` (refused unless `queued` with its formats set), stream into the
 * store while hashing, then `saving → active` with the checksums and its first location in one
 * transaction. On any failure the store keeps nothing and the image takes the API's failure
 * path (v2 `queued`, v1 `killed`), unless it left `saving` meanwhile (deleted).
 */
export async function uploadImageData(
  dataSource: DataSource,
  request: UploadRequest,
): Promise<ImageEntity> {
  const { imageId, store, host } = request;
  const images = new ImagesRepository(dataSource.manager);
  const { limits } = request;
  let saving: ImageEntity;
  let reserved = 0;
  try {
    saving = await dataSource.transaction(async (manager) => {
      if (limits) await new ImageStorageRepository(manager).lockOwner(limits.owner);
      const image = await new ImagesRepository(manager).transition(
        imageId,
        'upload',
        { upload_host: host },
        { sql: FORMATS_SET_SQL, params: {} },
      );
      if (limits) reserved = await reserveUploadStart(manager, limits, { imageId, host });
      return image;
    });
  } catch (error) {
    if (error instanceof StatusConflictError && error.current === 'queued') {
      // Still queued, so the formats guard refused it.
      const image = await images.findAny(imageId);
      const missing = image ? missingFormats(image) : [];
      if (missing.length > 0) throw new ImageFormatsMissingError(missing);
    }
    if (request.api === 'v1' && limits && isQuotaRefusal(error)) {
      // v1 moved the image to `saving` before it looked at the quota: a refusal kills it.
      await v1RefusedUpload(dataSource, request);
    }
    throw error;
  }
  // Only a storage limit has bytes to hold (image_count_uploading alone holds none).
  const source =
    limits && roomFor(limits.storage, 0) !== Infinity
      ? request.source.pipe(new ReservingReader(dataSource, limits, { imageId, host }, reserved))
      : request.source;
  if (source !== request.source) {
    // A failing client body fails the upload through the reader, as it would unwrapped; the
    // store's pipeline reads the reader's error (it may come before the pipeline listens, which
    // must not crash the process).
    request.source.once('error', (error) => source.destroy(error));
    source.on('error', () => undefined);
  }
  let stored: StoredData;
  try {
    stored = await store.add(imageId, source, request.maxBytes);
  } catch (error) {
    // The store removed its partial file; only the status is left to settle.
    await settleFailedUpload(dataSource, request);
    throw error;
  }
  try {
    request.verify?.(stored);
    return await dataSource.transaction(async (manager) => {
      const repository = new ImagesRepository(manager);
      if (limits) {
        // Glance checks again once the size is known; the reservation becomes the image's size
        // (given back below, with the image's commit).
        const storage = new ImageStorageRepository(manager);
        await storage.lockOwner(limits.owner);
        const refused = refusal(
          limits.storage,
          await storage.usage(limits.owner, imageId),
          stored.size,
        );
        if (refused) throw refused;
      }
      const image = await repository.transition(
        imageId,
        'upload_succeeded',
        {
          upload_host: null,
          size: String(stored.size),
          virtual_size: nullableCount(virtualSizeOf(saving, stored.size)),
          checksum: stored.checksum,
          os_hash_algo: stored.hashAlgo,
          os_hash_value: stored.hashValue,
        },
        { sql: 'upload_host = :host', params: { host } },
      );
      await repository.addLocation(imageId, stored.uri, { store: store.id });
      // After the image's row, in the order a delete locks them (image, then reservation).
      if (limits) await new ImageUploadReservationsRepository(manager).release(imageId);
      return image;
    });
  } catch (error) {
    const outcome = await settleFailedUpload(dataSource, request);
    if (outcome === 'unreachable') {
      // Whether the commit happened can't be known now: the data stays, and the holder's
      // restart settles the image and removes data no location names.
      throw error;
    }
    if (outcome === 'not-saving') {
      // Someone else moved the image on: deleted during the upload, or the commit went through
      // even though its answer was lost.
      const committed = await committedUpload(images, imageId, stored.uri).catch(() => undefined);
      if (committed === undefined) throw error;
      if (committed) return committed;
      await store.delete(stored.uri).catch(() => undefined);
      if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
        throw new ImageGoneDuringUploadError(imageId);
      }
      throw error;
    }
    // Settled: no location names the data, it must not outlive the failed commit.
    await store.delete(stored.uri).catch(() => undefined);
    throw error;
  }
}

/**
 * The failure path: `saving → queued` (v2, size cleared as Glance's status setter does) or
 * `saving → killed` (v1), only while this holder still holds the image. A database that is away
 * is waited for a while; after that the holder's restart settles the image.
 */
async function settleFailedUpload(
  dataSource: DataSource,
  request: UploadRequest,
): Promise<'settled' | 'not-saving' | 'unreachable'> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      await dataSource.transaction(async (manager) => {
        await new ImagesRepository(manager).transition(
          request.imageId,
          uploadFailedEvent(request.api),
          request.api === 'v2'
            ? { upload_host: null, size: null, virtual_size: null }
            : { upload_host: null },
          { sql: 'upload_host = :host', params: { host: request.host } },
        );
        // What the upload reserved goes back with the image's failure path.
        await new ImageUploadReservationsRepository(manager).release(request.imageId);
      });
      return 'settled';
    } catch (error) {
      if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
        // Not this upload's image any more (deleted: the delete gave the reservation back).
        await new ImageUploadReservationsRepository(dataSource.manager)
          .release(request.imageId, request.host)
          .catch(() => undefined);
        return 'not-saving';
      }
      if (Date.now() - started > SETTLE_PATIENCE_MS) return 'unreachable';
      await sleep(Math.min(5_000, 100 * 2 ** attempt));
    }
  }
}

/** Glance's quota refusals (user_storage_quota, unified limits). */
function isQuotaRefusal(error: unknown): boolean {
  return error instanceof StorageQuotaFullError || error instanceof LimitExceededError;
}

/**
 * v1's order: `queued → saving` first, then the quota; refused, the image takes v1's failure
 * path to `killed`. The refusal rolled the start back, so it is replayed as v1 did it.
 */
async function v1RefusedUpload(dataSource: DataSource, request: UploadRequest): Promise<void> {
  const images = new ImagesRepository(dataSource.manager);
  try {
    await images.transition(
      request.imageId,
      'upload',
      { upload_host: request.host },
      { sql: FORMATS_SET_SQL, params: {} },
    );
  } catch {
    return;
  }
  await settleFailedUpload(dataSource, request);
}

/** The image, if this upload's data is one of its locations (its commit went through). */
async function committedUpload(
  images: ImagesRepository,
  imageId: string,
  uri: string,
): Promise<ImageEntity | null> {
  const locations = await images.locations(imageId, ['active', 'pending_delete', 'deleted']);
  if (!locations.some((location) => location.value === uri)) return null;
  return images.findAny(imageId);
}

function nullableCount(value: number | null): string | null {
  return value === null ? null : String(value);
}
