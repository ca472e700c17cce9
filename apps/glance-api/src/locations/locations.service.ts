import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { GlanceApiConfig } from '@cinderflow/config';
import {
  type FileStore,
  FORMATS_SET_SQL,
  ImageFormatsMissingError,
  type ImageStores,
  missingFormats,
  pyRepr,
  removeLocationData,
  StorageQuotaFullError,
} from '@cinderflow/image-store';
import type { Logger } from '@cinderflow/logging';
import {
  type ImageEntity,
  type ImageLocationEntity,
  ImagesRepository,
  ImageStorageRepository,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG, LOGGER } from '@cinderflow/service-runtime';
import {
  badRequest,
  conflict,
  forbidden,
  GlanceHttpError,
  imageNotFound,
} from '../common/glance-errors';
import { IMAGE_STORES } from '../common/tokens';
import { authorizeOnImage } from '../common/policy';

/** One JSON-patch operation on `/locations`, its pointer decoded as Glance does. */
export interface LocationChange {
  op: 'add' | 'remove' | 'replace';
  /** `['locations']` (replace) or `['locations', '<position>' | '-']` (add, remove). */
  path: string[];
  value?: unknown;
}

/** A location as a PATCH gives it (the image schema's `locations` item). */
interface NewLocation {
  url: string;
  metadata: Record<string, unknown>;
  validation_data?: Record<string, string>;
}

/** Glance's hashing_algorithm (the multihash every upload computes). */
const HASHING_ALGORITHM = 'sha512';
const HASH_BYTES: Record<string, number> = { sha512: 64 };

const tooLarge = (message: string) => new GlanceHttpError(413, message);
const invalidLocation = () => badRequest('Invalid location');

/** Glance's `_path_depth_limits` for locations: add and remove take a position, replace none. */
const PATH_DEPTH: Record<LocationChange['op'], number> = { add: 2, remove: 2, replace: 1 };

/**
 * The `/locations` operations of `PATCH /v2/images/{id}` (glance/api/v2/images.py
 * `_do_*_locations`, with the checks of glance/location.py and glance/quota), each applied in
 * one transaction under the image's row lock and its project's storage lock. Adding a location
 * to a `queued` image registers data that already exists: `queued → active` through the image
 * machine's `add_location`, never through `saving`. Only active locations count as the image's
 * locations; a removed one is `deleted` (its data removed) or, with delayed delete,
 * `pending_delete` for the scrubber (seed 002).
 *
 * Glance refuses `file://` locations outright (RESTRICTED_URI_SCHEMAS: anyone could register
 * /etc/passwd and download it). Here the file stores are all there is, so a location must name
 * a file inside one of the configured stores (never a partial upload), which may not be
 * another image's data.
 */
@Injectable()
export class LocationsService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: GlanceApiConfig,
    @Inject(IMAGE_STORES) private readonly stores: ImageStores,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Applies one change to the image (one the caller can see) inside the caller's transaction,
   * which must hold the project's storage lock before the image's row lock (the order uploads
   * take them). Returns the image after it, and what to do once that transaction committed
   * (remove the data of a location deleted now).
   */
  async apply(
    manager: EntityManager,
    caller: RequestContext,
    image: ImageEntity,
    change: LocationChange,
  ): Promise<{ image: ImageEntity; afterCommit: () => Promise<void> }> {
    const { op, path } = change;
    validateLocationPath(op, path);
    const done = (after: ImageEntity) => ({ image: after, afterCommit: async () => undefined });
    if (op === 'remove') return this.remove(manager, caller, image, path[1]);
    if (op === 'replace') {
      if (Array.isArray(change.value) && change.value.length === 0) {
        throw forbidden('Cannot set locations to empty list.');
      }
      authorizeOnImage(caller, 'set_image_location', image);
      if (!Array.isArray(change.value)) {
        throw badRequest(`Provided object does not match schema 'image': not an array`);
      }
      const locations = change.value.map(parseLocation);
      return done(await this.replace(manager, caller, image.id, locations));
    }
    authorizeOnImage(caller, 'set_image_location', image);
    return done(await this.add(manager, caller, image.id, path[1], parseLocation(change.value)));
  }

  private async add(
    manager: EntityManager,
    caller: RequestContext,
    imageId: string,
    position: string,
    location: NewLocation,
  ): Promise<ImageEntity> {
    {
      const { image, current, images, storage } = await this.lock(manager, caller, imageId);
      if (!this.config.GLANCE_SHOW_MULTIPLE_LOCATIONS) {
        throw forbidden("It's not allowed to add locations if locations are invisible.");
      }
      if (image.status !== 'active' && image.status !== 'queued') {
        throw conflict(`It's not allowed to add locations if image status is ${image.status}.`);
      }
      const validation = validationData(image, [location]);
      this.assignStore(location);
      if (locationPosition(position, current.length, true) === null) {
        throw badRequest('Invalid position for adding a location.');
      }
      // glance/quota: the space it will hold, then the number of locations.
      const required = image.size ? Number(image.size) : await this.sizeAt(location);
      await this.checkQuota(caller, storage, required);
      this.checkLocationCount(current.length + 1);
      // glance/location.py StoreLocations.insert.
      const size = await this.checkLocation(manager, image, location);
      if (current.some((existing) => sameLocation(existing, location))) {
        throw badRequest(`The location ${location.url} already exists`);
      }
      await images.addLocation(image.id, location.url, location.metadata);
      return this.activate(images, storage, image, size, validation);
    }
  }

  private async replace(
    manager: EntityManager,
    caller: RequestContext,
    imageId: string,
    locations: NewLocation[],
  ): Promise<ImageEntity> {
    {
      const { image, current, images, storage } = await this.lock(manager, caller, imageId);
      if (!this.config.GLANCE_SHOW_MULTIPLE_LOCATIONS) {
        throw forbidden("It's not allowed to update locations if locations are invisible.");
      }
      if (image.status !== 'active' && image.status !== 'queued') {
        throw conflict(`It's not allowed to replace locations if image status is ${image.status}.`);
      }
      const validation = validationData(image, locations);
      locations.forEach((location) => this.assignStore(location));
      // glance/quota's locations setter: the count, then the space all of them hold.
      this.checkLocationCount(locations.length);
      let required: number | null = null;
      if (image.size) required = Number(image.size) * locations.length;
      else {
        for (const location of locations) {
          const size = await this.sizeAt(location);
          if (size) {
            required = size * locations.length;
            break;
          }
        }
      }
      await this.checkQuota(caller, storage, required, image.id);
      const wanted = locations.map((l) => l.url).sort();
      const existing = current.map((l) => l.value).sort();
      const sameUrls =
        wanted.length === existing.length && wanted.every((u, i) => u === existing[i]);
      if (current.length > 0 && !sameUrls) {
        throw badRequest(`Original locations is not empty: ${locationsRepr(current)}`);
      }
      let size: number | null = null;
      if (sameUrls) {
        // The same data under new metadata: the rows stay, their metadata changes.
        const left = [...current];
        for (const location of locations) {
          const row = left.splice(
            left.findIndex((l) => l.value === location.url),
            1,
          )[0];
          await storage.setLocationMetadata(row.id, location.metadata);
        }
      } else {
        for (const location of locations) {
          const found = await this.checkLocation(manager, image, location);
          size ??= found;
          if (locations.filter((other) => sameLocation(other, location)).length > 1) {
            throw badRequest(`The location ${location.url} already exists`);
          }
        }
        for (const location of locations) {
          await images.addLocation(image.id, location.url, location.metadata);
        }
      }
      return this.activate(images, storage, image, size, validation);
    }
  }

  private async remove(
    manager: EntityManager,
    caller: RequestContext,
    image: ImageEntity,
    position: string,
  ): Promise<{ image: ImageEntity; afterCommit: () => Promise<void> }> {
    authorizeOnImage(caller, 'delete_image_location', image);
    const removed = await (async () => {
      const { image: locked, current, storage } = await this.lock(manager, caller, image.id);
      if (!this.config.GLANCE_SHOW_MULTIPLE_LOCATIONS) {
        throw forbidden("It's not allowed to remove locations if locations are invisible.");
      }
      if (locked.status !== 'active') {
        throw conflict(`It's not allowed to remove locations if image status is ${locked.status}.`);
      }
      if (current.length === 1) throw forbidden('Cannot remove last location in the image.');
      const index = locationPosition(position, current.length, false);
      if (index === null) throw badRequest('Invalid position for removing a location.');
      const location = current[index];
      // Delayed delete leaves the data to the scrubber; otherwise it goes now (seed 002).
      const event = this.config.GLANCE_DELAYED_DELETE ? 'delayed_delete' : 'delete';
      return storage.transitionLocation(location.id, event);
    })();
    const after = await new ImagesRepository(manager).findAny(image.id);
    if (!after) throw imageNotFound(image.id);
    // The data goes once the location's `deleted` is committed, the way every remover removes
    // it; a crash or a store error in between leaves it to the leftover removal at start and in
    // every scrubber pass.
    return {
      image: after,
      afterCommit: async () => {
        if (removed.status === 'deleted') await this.deleteData(removed);
      },
    };
  }

  /** Takes the project's storage lock, then the image's row lock (the order uploads use). */
  private async lock(manager: EntityManager, caller: RequestContext, imageId: string) {
    const images = new ImagesRepository(manager);
    const storage = new ImageStorageRepository(manager);
    await storage.lockOwner(caller.projectId);
    const image = await storage.lockImage(imageId);
    if (!image || image.status === 'deleted' || image.status === 'pending_delete') {
      throw imageNotFound(imageId);
    }
    const current = await images.locations(imageId);
    return { image, current, images, storage };
  }

  /** `queued → active` (add location) with the validation data; size where it had none. */
  private async activate(
    images: ImagesRepository,
    storage: ImageStorageRepository,
    image: ImageEntity,
    size: number | null,
    validation: Record<string, string>,
  ): Promise<ImageEntity> {
    if (image.status !== 'queued') {
      if (size) await storage.setSizeIfUnset(image.id, size);
      const after = await images.findAny(image.id);
      if (!after) throw imageNotFound(image.id);
      return after;
    }
    const missing = missingFormats(image);
    if (missing.length > 0) throw badRequest(new ImageFormatsMissingError(missing).message);
    return images.transition(
      image.id,
      'add_location',
      {
        ...(size && !image.size ? { size: String(size) } : {}),
        ...validation,
      },
      { sql: FORMATS_SET_SQL, params: {} },
    );
  }

  /** get_updated_store_location: a URL inside a configured store names that store. */
  private assignStore(location: NewLocation): void {
    const store = this.stores.forUri(location.url);
    if (store) location.metadata = { ...location.metadata, store: store.id };
  }

  private storeOf(location: NewLocation): FileStore | undefined {
    const id = location.metadata.store;
    const named = this.stores.all().find((store) => store.id === id);
    return named?.owns(location.url) ? named : undefined;
  }

  /** The size of the data at a location, if a configured store holds it (glance_store's). */
  private async sizeAt(location: NewLocation): Promise<number | null> {
    const store = this.storeOf(location);
    if (!store) return null;
    return store.size(location.url).catch(() => null);
  }

  /**
   * `_check_image_location`: the URL must be in a store and name data (size > 0) that is not
   * another image's; its metadata only strings, lists and objects. Returns the data's size.
   */
  private async checkLocation(
    manager: EntityManager,
    image: ImageEntity,
    location: NewLocation,
  ): Promise<number> {
    const store = this.storeOf(location);
    if (!store || store.isPartial(location.url)) throw invalidLocation();
    // Until this PATCH commits, a remover of the same data waits (and then keeps it), or has
    // removed it already (and the size below finds nothing).
    await new ImageStorageRepository(manager).lockData(location.url);
    const size = await store.size(location.url).catch(() => 0);
    if (!(size > 0)) throw invalidLocation();
    // Data of another image (its upload's file, or a location it holds) is not the caller's
    // to register: that would let a project read what it can't see.
    const name = basename(fileURLToPath(location.url));
    const images = new ImagesRepository(manager);
    if (name !== image.id && (await images.findAny(name))) throw invalidLocation();
    const holders = await new ImageStorageRepository(manager).locationsNamed(location.url);
    if (holders.some((holder) => holder.image_id !== image.id)) throw invalidLocation();
    checkLocationMetadata(location.metadata);
    return size;
  }

  /** glance.api.common.check_quota (without an image id: the image's own data counts). */
  private async checkQuota(
    caller: RequestContext,
    storage: ImageStorageRepository,
    required: number | null,
    excludeImageId?: string,
  ): Promise<void> {
    const quota = this.config.GLANCE_USER_STORAGE_QUOTA;
    // With Keystone's limits check_quota is a no-op (and user_storage_quota ignored).
    if (quota <= 0 || this.config.GLANCE_USE_KEYSTONE_LIMITS) return;
    const remaining = quota - (await storage.usage(caller.projectId, excludeImageId));
    if (required === null ? remaining <= 0 : required > remaining) {
      throw tooLarge(
        `Denying attempt to upload image because it exceeds the quota: ` +
          new StorageQuotaFullError(required, remaining).message,
      );
    }
  }

  /** image_location_quota (negative: no limit). */
  private checkLocationCount(attempted: number): void {
    const maximum = this.config.GLANCE_IMAGE_LOCATION_QUOTA;
    if (maximum >= 0 && attempted > maximum) {
      throw tooLarge(
        `The limit has been exceeded on the number of allowed image locations. ` +
          `Attempted: ${attempted}, Maximum: ${maximum}`,
      );
    }
  }

  /** Removes a deleted location's data (kept while another location still names it). */
  private async deleteData(location: ImageLocationEntity): Promise<void> {
    try {
      await removeLocationData(this.dataSource, this.stores, location.id, 'leftover', {
        skipLocked: false,
      });
    } catch (error) {
      this.logger.error(
        { location: location.id, err: (error as Error).message },
        'could not delete the data of a removed location; the scrubber or the next start removes it',
      );
    }
  }
}

/** RequestDeserializer._validate_path for `/locations`. */
export function validateLocationPath(op: LocationChange['op'], path: string[]): void {
  if (path[0] !== 'locations' || path.length !== PATH_DEPTH[op]) {
    throw badRequest(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
  }
}

/** `_get_locations_op_pos`: `-` is the end; a number must be in range unless adding. */
function locationPosition(position: string, count: number, allowMax: boolean): number | null {
  let pos = allowMax ? count : count - 1;
  if (/^\d+$/.test(position)) pos = Number(position);
  else if (position !== '-') return null;
  if (!(allowMax || (pos >= 0 && pos < count))) return null;
  return pos;
}

/** Glance's duplicate test: the same URL with equal metadata. */
function sameLocation(existing: ImageLocationEntity | NewLocation, location: NewLocation): boolean {
  const [url, metadata] =
    'value' in existing ? [existing.value, existing.meta_data] : [existing.url, existing.metadata];
  return url === location.url && deepEqual(metadata, location.metadata);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return (
    keysA.length === keysB.length &&
    keysA.every((key) =>
      deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    )
  );
}

/**
 * The image schema's location item (what the PATCH deserializer validates before the
 * controller runs): `url` (a string of at most 255) and `metadata` (an object) required,
 * `validation_data` with the checksums.
 */
function parseLocation(value: unknown): NewLocation {
  const invalid = (reason: string) =>
    badRequest(`Provided object does not match schema 'image': ${reason}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${JSON.stringify(value)} is not of type 'object'`);
  }
  const item = value as Record<string, unknown>;
  for (const key of ['url', 'metadata']) {
    if (!(key in item)) throw invalid(`'${key}' is a required property`);
  }
  if (typeof item.url !== 'string')
    throw invalid(`${JSON.stringify(item.url)} is not of type 'string'`);
  if (item.url.length > 255) throw invalid(`'${item.url}' is too long`);
  if (typeof item.metadata !== 'object' || item.metadata === null || Array.isArray(item.metadata)) {
    throw invalid(`${JSON.stringify(item.metadata)} is not of type 'object'`);
  }
  const location: NewLocation = {
    url: item.url,
    metadata: { ...(item.metadata as Record<string, unknown>) },
  };
  if ('validation_data' in item) {
    const data = item.validation_data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw invalid(`${JSON.stringify(data)} is not of type 'object'`);
    }
    const limits: Record<string, [number, number]> = {
      checksum: [32, 32],
      os_hash_algo: [0, 64],
      os_hash_value: [0, 128],
    };
    for (const [key, field] of Object.entries(data)) {
      const limit = limits[key];
      if (!limit) throw invalid(`Additional properties are not allowed ('${key}' was unexpected)`);
      if (typeof field !== 'string')
        throw invalid(`${JSON.stringify(field)} is not of type 'string'`);
      if (field.length < limit[0]) throw invalid(`'${field}' is too short`);
      if (field.length > limit[1]) throw invalid(`'${field}' is too long`);
    }
    for (const key of ['os_hash_algo', 'os_hash_value']) {
      if (!(key in data)) throw invalid(`'${key}' is a required property`);
    }
    location.validation_data = data as Record<string, string>;
  }
  return location;
}

/** glance_store's check_location_metadata: only objects, lists and strings. */
function checkLocationMetadata(value: unknown, key = ''): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkLocationMetadata(item, `${key}[${index}]`));
  } else if (typeof value === 'object' && value !== null) {
    for (const [name, item] of Object.entries(value)) checkLocationMetadata(item, name);
  } else if (typeof value !== 'string') {
    const type =
      value === null
        ? 'NoneType'
        : typeof value === 'boolean'
          ? 'bool'
          : Number.isInteger(value)
            ? 'int'
            : 'float';
    throw badRequest(
      `The image metadata key ${key} has an invalid type of <class '${type}'>. ` +
        `Only dict, list, and unicode are supported.`,
    );
  }
}

const isHex = (text: string) => /^[0-9a-fA-F]*$/.test(text) && text.length % 2 === 0;

/**
 * `_validate_validation_data`: checksums the new locations vouch for. They must agree with each
 * other and with what the image has; new values only for a `queued` image, well-formed.
 */
function validationData(image: ImageEntity, locations: NewLocation[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const location of locations) {
    for (const [key, value] of Object.entries(location.validation_data ?? {})) {
      if (key in values && values[key] !== value) throw conflict(`Conflicting values for ${key}`);
      values[key] = value;
    }
  }
  const current = image as unknown as Record<string, string | null>;
  const fresh: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === current[key]) continue;
    if (current[key]) throw conflict(`${key} is already set with a different value`);
    fresh[key] = value;
  }
  if (Object.keys(fresh).length === 0) return {};
  if (image.status !== 'queued') {
    throw conflict(
      `New value(s) for ${Object.keys(fresh).join(', ')} may only be provided when image ` +
        `status is 'queued'`,
    );
  }
  if (fresh.checksum !== undefined) {
    const hex = fresh.checksum.replace(/\s/g, '');
    if (!isHex(hex)) {
      throw conflict(`checksum (${fresh.checksum}) is not a valid hexadecimal value`);
    }
    if (hex.length !== 32) {
      throw conflict(
        `checksum (${fresh.checksum}) is not the correct size for md5 (should be 16 bytes)`,
      );
    }
  }
  const algo = fresh.os_hash_algo;
  if (algo !== HASHING_ALGORITHM) {
    throw conflict(`os_hash_algo must be ${HASHING_ALGORITHM}, not ${algo ?? 'None'}`);
  }
  if (fresh.os_hash_value !== undefined) {
    const hex = fresh.os_hash_value.replace(/\s/g, '');
    if (!isHex(hex)) {
      throw conflict(`os_hash_value (${fresh.os_hash_value}) is not a valid hexadecimal value`);
    }
    if (hex.length / 2 !== HASH_BYTES[algo]) {
      throw conflict(
        `os_hash_value (${fresh.os_hash_value}) is not the correct size for ${algo} ` +
          `(should be ${HASH_BYTES[algo]} bytes)`,
      );
    }
  }
  return fresh;
}

/** Glance's list of location dicts as Python prints it (its "not empty" message). */
function locationsRepr(locations: ImageLocationEntity[]): string {
  // The database API's own key order (glance/db/sqlalchemy/api.py _image_get).
  return pyRepr(
    locations.map((l) => ({ id: l.id, url: l.value, metadata: l.meta_data, status: l.status })),
  );
}
