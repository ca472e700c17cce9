import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { GlanceApiConfig } from '@cinderflow/config';
import {
  type FileStore,
  ImageFormatsMissingError,
  ImageGoneDuringUploadError,
  type ImageStores,
  ImageTooLargeError,
  LimitExceededError,
  missingFormats,
  refusal,
  StorageQuotaFullError,
  storageLimitFor,
  uploadLimitsFor,
  type StoredData,
  UnknownStoreError,
  uploadImageData,
} from '@cinderflow/image-store';
import type { Logger } from '@cinderflow/logging';
import {
  type ImageEntity,
  type ImageLocationEntity,
  ImageStorageRepository,
  RecordNotFoundError,
  StatusConflictError,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG, LOGGER } from '@cinderflow/service-runtime';
import { badRequest, conflict, forbidden, GlanceHttpError } from '../common/glance-errors';
import { IMAGE_STORES } from '../common/tokens';
import { ImagesService } from '../images/images.service';
import { type DataWindow, requestedWindow } from './byte-range';
import { allowsOnImage, authorizeOnImage } from '../common/policy';
import { ClientDisconnectedError } from './unread-body';

const tooLarge = (message: string) => new GlanceHttpError(413, message);
const gone = (message: string) => new GlanceHttpError(410, message);
const unsupportedMediaType = (message: string) => new GlanceHttpError(415, message);

/** Statuses in which an image is gone for the images API (deleted meanwhile). */
const GONE = ['deleted', 'pending_delete'];

/** The data (a declared size, a v1 checksum) did not match what was stored. */
class DeclaredDataMismatchError extends Error {}

/** What an upload asks for, read from its headers before any byte of the body. */
interface UploadPlan {
  image: ImageEntity;
  store: FileStore;
  /** The size the client declared (x-openstack-image-size or Content-Length), if any. */
  size: number | null;
  /** Bytes the caller's storage quota leaves (null: no quota). */
  remaining: number | null;
}

/** A download: 204 without data, or the data (whole or a window of it). */
export type Download =
  | { status: 204 }
  | {
      status: 200 | 206;
      stream: Readable;
      headers: Record<string, string>;
    };

/**
 * Glance's image data controller (glance/api/v2/image_data.py) and v1's upload: the request's
 * checks, the storage quota, the store, then seed 001's upload path in `uploadImageData`.
 */
@Injectable()
export class ImageDataService {
  private readonly storage: ImageStorageRepository;

  constructor(
    private readonly images: ImagesService,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: GlanceApiConfig,
    @Inject(IMAGE_STORES) private readonly stores: ImageStores,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.storage = new ImageStorageRepository(dataSource.manager);
  }

  /** `PUT /v2/images/{id}/file`: streams the body into a store; 204 when the image is active. */
  async uploadV2(
    caller: RequestContext,
    id: string,
    headers: IncomingHttpHeaders,
    body: Readable,
  ): Promise<void> {
    // RequestDeserializer.upload: the media type and the declared size come first.
    const contentType = mediaType(headers['content-type']);
    if (contentType !== 'application/octet-stream') {
      throw unsupportedMediaType(`Invalid content type ${contentType ?? 'None'}`);
    }
    const declared = header(headers['x-openstack-image-size']);
    let size: number | null;
    if (declared !== undefined) {
      if (!/^\s*\+?\d+\s*$/.test(declared)) {
        throw badRequest('Invalid or missing image size in request headers.');
      }
      size = Number(declared);
    } else {
      size = Number(headers['content-length'] ?? 0) || null;
    }
    // With Keystone's limits, image_size_total is enforced first (Glance's upload()).
    await this.enforceSizeTotal(caller, size);
    // Multi-store: X-Image-Meta-Store names the store (Image API 2.8), else the default one.
    const storeId = header(headers['x-image-meta-store']);
    let store: FileStore;
    try {
      store = storeId === undefined ? this.stores.defaultStore : this.stores.get(storeId);
    } catch (error) {
      if (error instanceof UnknownStoreError) throw badRequest(error.message);
      throw error;
    }
    const image = await this.images.visible(caller, id);
    authorizeOnImage(caller, 'upload_image', image);
    // The domain's status setter refuses before the quota is looked at.
    if (image.status !== 'queued') {
      throw conflict(`Image status transition from ${image.status} to saving is not allowed`);
    }
    const missing = missingFormats(image);
    if (missing.length > 0) throw badRequest(new ImageFormatsMissingError(missing).message);
    const remaining = await this.remainingQuota(caller, image.id);
    if (remaining !== null && (size === null ? remaining <= 0 : size > remaining)) {
      throw tooLarge(`Image exceeds the storage quota: ${quotaMessage(size, remaining)}`);
    }
    if (size !== null && size > this.config.GLANCE_IMAGE_SIZE_CAP) {
      throw tooLarge('The incoming image is too large: The provided image is too large.');
    }
    const plan: UploadPlan = { image, store, size, remaining };
    try {
      await this.store(caller, plan, body, 'v2', (stored) => {
        if (declared !== undefined && stored.size !== size) {
          throw new DeclaredDataMismatchError(
            `Size of the uploaded data (${stored.size}) does not match the size given in ` +
              `x-openstack-image-size (${size}).`,
          );
        }
      });
    } catch (error) {
      throw this.v2Error(error, plan);
    }
  }

  /**
   * `PUT /v1/images/{id}` with a raw body: Images API v1's upload (legacy, removed from Glance
   * in Rocky). The same path into the store, but v1's failure path (`saving → killed`) and
   * v1's messages; the image comes back in v1's shape.
   */
  async uploadV1(
    caller: RequestContext,
    id: string,
    headers: IncomingHttpHeaders,
    body: Readable,
  ): Promise<ImageEntity> {
    const image = await this.images.images.findVisible(id, caller);
    if (!image) throw new GlanceHttpError(404, `Image with identifier ${id} not found`);
    if (!allowsOnImage(caller, 'upload_image', image)) {
      throw forbidden(
        `Forbidden to update image: You are not authorized to complete upload_image action.`,
      );
    }
    if (image.status !== 'queued') throw conflict('Cannot upload to an unqueued image');
    if (mediaType(headers['content-type']) !== 'application/octet-stream') {
      throw badRequest('Content-Type must be application/octet-stream');
    }
    const storeId = header(headers['x-image-meta-store']);
    let store: FileStore;
    try {
      store = storeId === undefined ? this.stores.defaultStore : this.stores.get(storeId);
    } catch (error) {
      if (error instanceof UnknownStoreError) {
        throw badRequest(`Store for scheme ${storeId} not found`);
      }
      throw error;
    }
    const declaredSize = header(headers['x-image-meta-size']);
    const declaredChecksum = header(headers['x-image-meta-checksum']);
    const size =
      declaredSize !== undefined && /^\d+$/.test(declaredSize.trim())
        ? Number(declaredSize)
        : Number(headers['content-length'] ?? 0) || null;
    const remaining = await this.remainingQuota(caller, image.id);
    const plan: UploadPlan = { image, store, size, remaining };
    // v1 moved the image to `saving` before it checked the quota or the size: a refusal then
    // kills it, so refusals go the same way, through the store, without reading the body.
    let refusal: Error | undefined;
    if (remaining !== null && (size === null ? remaining <= 0 : size > remaining)) {
      refusal = new StorageQuotaFullError(size, remaining);
    } else if (size !== null && size > this.config.GLANCE_IMAGE_SIZE_CAP) {
      refusal = new ImageTooLargeError(this.config.GLANCE_IMAGE_SIZE_CAP);
    }
    const source = refusal ? refusedSource(refusal) : body;
    try {
      return await this.store(caller, plan, source, 'v1', (stored) => {
        for (const [attr, supplied, actual] of [
          ['size', declaredSize?.trim(), String(stored.size)],
          ['checksum', declaredChecksum?.trim(), stored.checksum],
        ] as const) {
          if (supplied && supplied !== actual) {
            throw new DeclaredDataMismatchError(
              `Supplied ${attr} (${supplied}) and ${attr} generated from uploaded image ` +
                `(${actual}) did not match. Setting image status to 'killed'.`,
            );
          }
        }
      });
    } catch (error) {
      throw this.v1Error(error, plan);
    }
  }

  /**
   * `GET /v2/images/{id}/file`: the data of the first active location that answers, whole or
   * the requested range; 204 when the image has none (queued, or its data is gone).
   */
  async download(
    caller: RequestContext,
    id: string,
    request: { range?: string; contentRange?: string; prefer?: string },
  ): Promise<Download> {
    const image = await this.images.visible(caller, id);
    if (image.status === 'deactivated' && !caller.isAdmin) {
      throw forbidden(
        'The requested image has been deactivated. Image data download is forbidden.',
      );
    }
    authorizeOnImage(caller, 'download_image', image);
    let locations = await this.images.images.locations(image.id);
    const preferred = (request.prefer ?? '')
      .split(',')
      .map((store) => store.trim())
      .filter((store) => store.length > 0);
    if (preferred.length > 0) {
      // Choosing the store takes its own rule (by default download_image's).
      authorizeOnImage(caller, 'download_from_store', image);
      for (const store of preferred) {
        if (!this.stores.all().some((s) => s.id === store)) {
          throw badRequest(`Store '${store}' is not configured.`);
        }
      }
      // Locations in the preferred stores first, each group in its own order (Glance's).
      const inPreferred = (location: ImageLocationEntity) =>
        preferred.includes(String(location.meta_data.store ?? ''));
      locations = [...locations.filter(inPreferred), ...locations.filter((l) => !inPreferred(l))];
    }
    if (locations.length === 0) return { status: 204 };
    const size = Number(image.size ?? 0);
    const window = requestedWindow(request.range, request.contentRange, size);
    let lastError: unknown;
    for (const location of locations) {
      try {
        const stream = await this.open(location, window);
        const headers: Record<string, string> = {
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(window ? window.length : size),
        };
        // Glance sends the hex MD5 (its `checksum`), not RFC 1864's base64.
        if (image.checksum) headers['Content-MD5'] = image.checksum;
        if (window) headers['Content-Range'] = `bytes ${window.offset}-${window.last}/${size}`;
        return { status: window ? 206 : 200, stream, headers };
      } catch (error) {
        this.logger.warn(
          { imageId: image.id, location: location.id, err: (error as Error).message },
          'image data location failed',
        );
        lastError = error;
      }
    }
    // glance_store's NotFound: the data is gone, which Glance answers 204.
    if ((lastError as NodeJS.ErrnoException).code === 'ENOENT') return { status: 204 };
    throw lastError;
  }

  private async open(location: ImageLocationEntity, window: DataWindow | null): Promise<Readable> {
    const storeId = location.meta_data.store;
    const store =
      typeof storeId === 'string' && this.stores.all().some((s) => s.id === storeId)
        ? this.stores.get(storeId)
        : this.stores.forUri(location.value);
    if (!store) throw new Error(`no configured store holds ${location.value}`);
    if (window && window.length === 0) return Readable.from([]);
    const { stream } = await store.open(
      location.value,
      window ? { start: window.offset, end: window.last } : undefined,
    );
    return stream;
  }

  /**
   * ks_quota.enforce_image_size_total at the top of Glance's upload: the project's usage and the
   * declared size in whole MiB against image_size_total (the upload's start checks again, locked).
   */
  private async enforceSizeTotal(caller: RequestContext, size: number | null): Promise<void> {
    const storage = storageLimitFor(this.config, caller.projectId);
    if (storage.kind !== 'unified') return;
    const refused = refusal(storage, await this.storage.usage(caller.projectId), size);
    if (refused) throw tooLarge(refused.message);
  }

  /**
   * Bytes the caller's project may still store (Glance's get_remaining_quota: usage of the
   * caller's project, leaving out the image whose data is being replaced); null without quota.
   */
  async remainingQuota(caller: RequestContext, excludeImageId?: string): Promise<number | null> {
    const quota = this.config.GLANCE_USER_STORAGE_QUOTA;
    if (quota <= 0 || this.config.GLANCE_USE_KEYSTONE_LIMITS) return null;
    return quota - (await this.storage.usage(caller.projectId, excludeImageId));
  }

  private store(
    caller: RequestContext,
    plan: UploadPlan,
    source: Readable,
    api: 'v1' | 'v2',
    verify: (stored: StoredData) => void,
  ): Promise<ImageEntity> {
    const cap = this.config.GLANCE_IMAGE_SIZE_CAP;
    return uploadImageData(this.dataSource, {
      imageId: plan.image.id,
      source,
      store: plan.store,
      maxBytes: plan.remaining === null ? cap : Math.max(0, Math.min(cap, plan.remaining)),
      host: this.config.SERVICE_HOST,
      api,
      limits: uploadLimitsFor(this.config, caller.projectId, plan.size),
      verify,
    });
  }

  /** ImageDataController.upload's answers to what went wrong. */
  private v2Error(error: unknown, plan: UploadPlan): unknown {
    if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
      // Lost a race to another request: Glance's save(from_state=...) conflict is a 410 when
      // the image went away, the status setter's refusal a 409.
      if (error instanceof RecordNotFoundError || GONE.includes(error.current)) {
        return gone(new ImageGoneDuringUploadError(plan.image.id).message);
      }
      return conflict(`Image status transition from ${error.current} to saving is not allowed`);
    }
    if (error instanceof ImageFormatsMissingError) return badRequest(error.message);
    if (error instanceof ImageGoneDuringUploadError) return gone(error.message);
    // Nobody reads the answer; v1's words, and no 5xx for a client that left.
    if (error instanceof ClientDisconnectedError) return badRequest(error.message);
    if (error instanceof DeclaredDataMismatchError) return badRequest(error.message);
    if (error instanceof ImageTooLargeError) {
      // Glance's quota reader sits outside its size-cap reader: on a tie the quota speaks.
      if (plan.remaining !== null && error.limit >= plan.remaining) {
        return tooLarge(
          `Image exceeds the storage quota: ${quotaMessage(plan.size, plan.remaining)}`,
        );
      }
      return tooLarge('The incoming image is too large: The provided image is too large.');
    }
    if (error instanceof StorageQuotaFullError) {
      return tooLarge(`Image exceeds the storage quota: ${error.message}`);
    }
    // Keystone's limits: Glance answers LimitExceeded's own message.
    if (error instanceof LimitExceededError) return tooLarge(error.message);
    return storeError(error) ?? error;
  }

  /** v1's upload_data_to_store answers. */
  private v1Error(error: unknown, plan: UploadPlan): unknown {
    if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
      if (error instanceof RecordNotFoundError || GONE.includes(error.current)) {
        return new GlanceHttpError(
          412,
          `Image ${plan.image.id} could not be found after upload. The image may have been ` +
            `deleted during the upload.`,
        );
      }
      return conflict('Cannot upload to an unqueued image');
    }
    if (error instanceof ImageFormatsMissingError) {
      return badRequest(`Failed to update image metadata. Got error: ${error.message}`);
    }
    if (error instanceof ImageGoneDuringUploadError) {
      return new GlanceHttpError(
        412,
        `Image ${plan.image.id} could not be found after upload. The image may have been ` +
          `deleted during the upload.`,
      );
    }
    if (error instanceof DeclaredDataMismatchError) return badRequest(error.message);
    if (error instanceof ClientDisconnectedError) return badRequest(error.message);
    if (
      error instanceof StorageQuotaFullError ||
      (error instanceof ImageTooLargeError &&
        plan.remaining !== null &&
        error.limit >= plan.remaining)
    ) {
      const message =
        error instanceof StorageQuotaFullError
          ? error.message
          : quotaMessage(plan.size, plan.remaining ?? 0);
      return tooLarge(`Denying attempt to upload image because it exceeds the quota: ${message}`);
    }
    if (error instanceof LimitExceededError) return tooLarge(error.message);
    if (error instanceof ImageTooLargeError) {
      return tooLarge(
        `Denying attempt to upload image larger than ${this.config.GLANCE_IMAGE_SIZE_CAP} bytes.`,
      );
    }
    return storeError(error) ?? error;
  }
}

/** glance_store's StorageFull and StorageWriteDenied, as Glance answers them. */
function storeError(error: unknown): GlanceHttpError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT') {
    return tooLarge(
      'Image storage media is full: There is not enough disk space on the image storage media.',
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new GlanceHttpError(
      503,
      'Insufficient permissions on image storage media: Permission to write image storage media denied.',
    );
  }
  return undefined;
}

/** StorageQuotaFull's message; an unknown size reads `None`, as in Glance. */
function quotaMessage(size: number | null, remaining: number): string {
  return new StorageQuotaFullError(size, remaining).message;
}

/** A request's media type without parameters (webob's content_type); undefined when absent. */
function mediaType(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.split(';', 1)[0].trim();
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A source that fails at once: a refusal taken through the upload's failure path. */
function refusedSource(error: Error): Readable {
  return new Readable({
    read() {
      this.destroy(error);
    },
  });
}
