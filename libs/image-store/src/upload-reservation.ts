import { Transform, type TransformCallback } from 'node:stream';
import type { DataSource, EntityManager } from 'typeorm';
import { ImageStorageRepository, ImageUploadReservationsRepository } from '@cinderflow/persistence';
import {
  enforceUnifiedLimit,
  LimitExceededError,
  MiB,
  refusal,
  roomFor,
  StorageQuotaFullError,
  type StorageLimit,
} from './storage-limit';

/** The quotas an upload is held to, and how its reservation is kept. */
export interface UploadLimits {
  /** Whose quota the data counts against (Glance's context.owner: the caller's project). */
  owner: string;
  /** user_storage_quota, or image_size_total with use_keystone_limits. */
  storage: StorageLimit;
  /** image_count_uploading with use_keystone_limits; -1 unlimited. */
  uploading: number;
  /** The size the client declared, reserved whole up front; null: reserved as it streams. */
  size: number | null;
  /** Seconds a reservation holds without news from its upload (GLANCE_UPLOAD_RESERVATION_EXPIRE_S). */
  expireS: number;
}

/**
 * How far ahead of the bytes received an upload of unknown size reserves: one locked check
 * per this many bytes instead of one per chunk. Never more than the quota leaves.
 */
export const RESERVATION_STEP = 8 * MiB;

/**
 * The checks an upload's start makes in the transaction that moves the image `queued →
 * saving`, with the owner locked so that two uploads of one owner take turns: Glance's
 * image_count_uploading (this image counted, delta 0), then the storage quota for the declared
 * size (or for anything at all, when unknown) against what the owner stores and what its
 * other uploads hold; what passes is reserved. Returns the bytes reserved (0 without a storage
 * limit: nothing to hold). A throw rolls the transaction back: the image stays `queued`.
 */
export async function reserveUploadStart(
  manager: EntityManager,
  limits: UploadLimits,
  upload: { imageId: string; host: string },
): Promise<number> {
  const storage = new ImageStorageRepository(manager);
  if (limits.uploading >= 0) {
    enforceUnifiedLimit(
      limits.owner,
      'image_count_uploading',
      limits.uploading,
      await storage.uploadingCount(limits.owner),
      0,
    );
  }
  if (roomFor(limits.storage, 0) === Infinity) return 0;
  const usage = await storage.usage(limits.owner, upload.imageId);
  const refused = refusal(limits.storage, usage, limits.size);
  if (refused) throw refused;
  const bytes = limits.size ?? Math.min(RESERVATION_STEP, roomFor(limits.storage, usage));
  await new ImageUploadReservationsRepository(manager).hold(
    { imageId: upload.imageId, owner: limits.owner, host: upload.host, bytes },
    limits.expireS,
  );
  return bytes;
}

/**
 * Sets the reservation to at least `needed` bytes (up to `wanted`), re-checked under the
 * owner's lock against what everyone else holds now: for data of unknown size past what it
 * reserved, or an upload whose reservation expired while it was stalled. Returns the bytes now
 * reserved; throws Glance's refusal when `needed` no longer fits.
 */
export async function growReservation(
  dataSource: DataSource,
  limits: UploadLimits,
  upload: { imageId: string; host: string },
  needed: number,
  wanted: number,
): Promise<number> {
  return dataSource.transaction(async (manager) => {
    const storage = new ImageStorageRepository(manager);
    await storage.lockOwner(limits.owner);
    const usage = await storage.usage(limits.owner, upload.imageId);
    const room = roomFor(limits.storage, usage);
    if (needed > room) throw overWhileStreaming(limits, usage, needed, room);
    const bytes = Math.max(needed, Math.min(wanted, room));
    await new ImageUploadReservationsRepository(manager).hold(
      { imageId: upload.imageId, owner: limits.owner, host: upload.host, bytes },
      limits.expireS,
    );
    return bytes;
  });
}

/**
 * The refusal when streamed data passes what is left: Glance's LimitingReader raises
 * StorageQuotaFull without knowing the size (None), with what was left; oslo.limit names the
 * delta in whole MiB.
 */
function overWhileStreaming(
  limits: UploadLimits,
  usage: number,
  needed: number,
  room: number,
): Error {
  if (limits.storage.kind === 'unified') {
    return new LimitExceededError(
      limits.storage.project,
      'image_size_total',
      limits.storage.mib,
      Math.floor(usage / MiB),
      Math.floor(needed / MiB),
    );
  }
  return new StorageQuotaFullError(limits.size, Math.max(room, 0));
}

/**
 * Passes an upload's bytes through while keeping its reservation ahead of them: past what is
 * reserved it grows the reservation (locked re-check, RESERVATION_STEP ahead), and while data
 * flows it pushes the expiry out every third of GLANCE_UPLOAD_RESERVATION_EXPIRE_S, so only a
 * stalled or dead upload's reservation expires. A refusal fails the stream (and the upload).
 */
export class ReservingReader extends Transform {
  private received = 0;
  private lastRenewed = Date.now();

  constructor(
    private readonly dataSource: DataSource,
    private readonly limits: UploadLimits,
    private readonly upload: { imageId: string; host: string },
    private reserved: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    this.keepAhead().then(
      () => done(null, chunk),
      (error: Error) => done(error),
    );
  }

  private async keepAhead(): Promise<void> {
    const renewDue = Date.now() - this.lastRenewed > (this.limits.expireS * 1000) / 3;
    if (this.received <= this.reserved && !renewDue) return;
    if (this.received <= this.reserved) {
      const reservations = new ImageUploadReservationsRepository(this.dataSource.manager);
      const renewed = await reservations.touch(
        this.upload.imageId,
        this.upload.host,
        this.limits.expireS,
      );
      this.lastRenewed = Date.now();
      // Expired and swept while nothing came: taken again, if it still fits.
      if (renewed) return;
    }
    this.reserved = await growReservation(
      this.dataSource,
      this.limits,
      this.upload,
      Math.max(this.received, this.reserved),
      this.received + RESERVATION_STEP,
    );
    this.lastRenewed = Date.now();
  }
}

/** The options uploadLimitsFor reads (GLANCE_USER_STORAGE_QUOTA parsed to bytes). */
export interface QuotaOptions {
  GLANCE_USER_STORAGE_QUOTA: number;
  GLANCE_USE_KEYSTONE_LIMITS: boolean;
  GLANCE_LIMIT_IMAGE_SIZE_TOTAL: number;
  GLANCE_LIMIT_IMAGE_COUNT_UPLOADING: number;
  GLANCE_UPLOAD_RESERVATION_EXPIRE_S: number;
}

/** user_storage_quota, or with use_keystone_limits image_size_total of `project`. */
export function storageLimitFor(options: QuotaOptions, project: string): StorageLimit {
  if (options.GLANCE_USE_KEYSTONE_LIMITS) {
    const mib = options.GLANCE_LIMIT_IMAGE_SIZE_TOTAL;
    return mib < 0 ? { kind: 'none' } : { kind: 'unified', mib, project };
  }
  const bytes = options.GLANCE_USER_STORAGE_QUOTA;
  return bytes > 0 ? { kind: 'bytes', bytes } : { kind: 'none' };
}

/**
 * The quotas an upload into `owner`'s quota is held to (its start reserves against them), or
 * undefined when none applies: user_storage_quota, or with use_keystone_limits the unified
 * limits image_size_total and image_count_uploading.
 */
export function uploadLimitsFor(
  options: QuotaOptions,
  owner: string,
  size: number | null,
): UploadLimits | undefined {
  const storage = storageLimitFor(options, owner);
  const uploading = options.GLANCE_USE_KEYSTONE_LIMITS
    ? options.GLANCE_LIMIT_IMAGE_COUNT_UPLOADING
    : -1;
  if (roomFor(storage, 0) === Infinity && uploading < 0) return undefined;
  return {
    owner,
    storage,
    uploading,
    size,
    expireS: options.GLANCE_UPLOAD_RESERVATION_EXPIRE_S,
  };
}
