import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { GlanceApiConfig } from '@cinderflow/config';
import { enforceUnifiedLimit, type ImageStores, LimitExceededError } from '@cinderflow/image-store';
import {
  type ImageEntity,
  ImagesRepository,
  ImageStorageRepository,
  type NewImage,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import {
  badRequest,
  conflict,
  forbidden,
  GlanceHttpError,
  imageNotFound,
  notFound,
  tooLarge,
} from '../common/glance-errors';
import { IMAGE_STORES } from '../common/tokens';
import { LocationsService } from '../locations/locations.service';
import { ImageSchema } from '../schemas/image-schema';
import { newImage, parseCreateBody } from './image-create';
import { listLinks, parseImageList } from './image-list-query';
import { applyChanges, type PatchableImage, parsePatch } from './image-patch';
import { authorizeOnImage } from '../common/policy';
import { enforceAddImage, enforceGetImages, enforceModify } from './image-policy';
import {
  checkDatabaseValues,
  checkPropertyQuota,
  checkTagQuota,
  type ImageValues,
} from './image-rules';
import { imageView } from './image.view';

/** A page of `GET /v2/images`: the images and, when the page is full, the next marker. */
export interface ImagePage {
  images: ImageEntity[];
  first: string;
  next?: string;
}

/** The images API's work: rows through the repository, statuses through the image machine. */
@Injectable()
export class ImagesService {
  readonly images: ImagesRepository;

  constructor(
    @Inject(DataSource) readonly dataSource: DataSource,
    @Inject(CONFIG) readonly config: GlanceApiConfig,
    @Inject(IMAGE_STORES) readonly stores: ImageStores,
    @Inject(ImageSchema) readonly schema: ImageSchema,
    private readonly locations: LocationsService,
  ) {
    this.images = new ImagesRepository(dataSource.manager);
  }

  async create(
    caller: RequestContext,
    image: Omit<NewImage, 'id' | 'owner'> & { id?: string; owner?: string | null },
  ): Promise<ImageEntity> {
    return this.images.insert({
      ...image,
      id: image.id ?? randomUUID(),
      owner: image.owner ?? caller.projectId,
    });
  }

  /**
   * `POST /v2/images` as Glance checks it: the body (deserializer), the owner and visibility
   * policies, tag quota, the image factory, property quota, the database's limits; a taken
   * id is 409.
   */
  async createFromRequest(caller: RequestContext, body: unknown): Promise<ImageEntity> {
    const parsed = parseCreateBody(body, this.schema);
    const owner = Object.hasOwn(parsed.image, 'owner')
      ? (parsed.image.owner as string | null)
      : caller.projectId;
    enforceAddImage(caller, owner, parsed.image.visibility);
    checkTagQuota(parsed.tags.length, this.config.GLANCE_IMAGE_TAG_QUOTA);
    const request = newImage(parsed);
    checkPropertyQuota(request.properties, this.config.GLANCE_IMAGE_PROPERTY_QUOTA);
    // The database API stores an empty owner as none.
    const values = { ...request, owner: owner || null };
    checkDatabaseValues(values);
    const id = request.id ?? randomUUID();
    const created = await this.insertCounted(caller, {
      id,
      owner: values.owner,
      name: values.name,
      visibility: values.visibility,
      protected: values.protected,
      os_hidden: values.os_hidden,
      min_disk: values.min_disk,
      min_ram: values.min_ram,
      disk_format: values.disk_format,
      container_format: values.container_format,
      tags: values.tags,
      properties: values.properties as Record<string, string>,
    });
    if (!created) throw conflict(`Image ID ${id} already exists!`);
    return created;
  }

  /**
   * Inserts a new image; with Keystone's limits, first ks_quota.enforce_image_count_total (the
   * caller's project's images but killed and deleted ones, plus this one, against
   * image_count_total: 413), counted and inserted with the project locked so that parallel
   * creates can't both take the last one.
   */
  private async insertCounted(
    caller: RequestContext,
    image: NewImage,
  ): Promise<ImageEntity | null> {
    const limit = this.config.GLANCE_LIMIT_IMAGE_COUNT_TOTAL;
    if (!this.config.GLANCE_USE_KEYSTONE_LIMITS || limit < 0) {
      return this.images.insertUnlessExists(image);
    }
    try {
      return await this.dataSource.transaction(async (manager) => {
        const storage = new ImageStorageRepository(manager);
        await storage.lockOwner(caller.projectId);
        const count = await storage.imageCount(caller.projectId);
        enforceUnifiedLimit(caller.projectId, 'image_count_total', limit, count, 1);
        return new ImagesRepository(manager).insertUnlessExists(image);
      });
    } catch (error) {
      if (error instanceof LimitExceededError) throw tooLarge(error.message);
      throw error;
    }
  }

  /** The image the caller may see, or Glance's 404. */
  async visible(caller: RequestContext, id: string): Promise<ImageEntity> {
    const image = await this.images.findVisible(id, caller);
    if (!image) throw imageNotFound(id);
    return image;
  }

  /** `GET /v2/images/{id}`: the image, if the database and then `get_image` let the caller see it. */
  async show(caller: RequestContext, id: string): Promise<ImageEntity> {
    const image = await this.visible(caller, id);
    authorizeOnImage(caller, 'get_image', image);
    return image;
  }

  /** `GET /v2/images`: one page and its links (Glance's index). */
  async list(caller: RequestContext, query: string): Promise<ImagePage> {
    const parsed = parseImageList(query, {
      defaultLimit: this.config.GLANCE_LIMIT_PARAM_DEFAULT,
      maxLimit: this.config.GLANCE_API_LIMIT_MAX,
    });
    enforceGetImages(caller);
    const images = await this.images.list({
      ...parsed,
      viewer: caller,
      markerNotFound: (marker) =>
        // _check_image_id refuses an id longer than the column with an unformatted message.
        badRequest(
          marker.length > 36
            ? 'Image with the given id %(image_id)s was not found'
            : `No image found with ID ${marker}`,
        ),
      markerNotVisible: (marker) => forbidden(`Forbidding request, image ${marker} not visible`),
    });
    // Glance pages on: a full page has a next one, even if it turns out empty.
    const full = images.length !== 0 && images.length === parsed.limit;
    return { images, ...listLinks(query, full ? images[images.length - 1].id : undefined) };
  }

  /**
   * `PATCH /v2/images/{id}`: the operations parsed (415, 400, 403 before anything is read),
   * then applied in order to the image locked in one transaction; any refusal leaves it as it
   * was.
   */
  async update(
    caller: RequestContext,
    id: string,
    contentType: string | undefined,
    body: unknown,
  ): Promise<ImageEntity> {
    const changes = parsePatch(contentType, body, this.schema);
    const afterCommit: Array<() => Promise<void>> = [];
    const updated = await this.dataSource.transaction(async (manager) => {
      const images = new ImagesRepository(manager);
      // Location changes take the project's storage lock; before the row lock, as uploads do.
      if (changes.some((change) => change.path[0] === 'locations')) {
        await new ImageStorageRepository(manager).lockOwner(caller.projectId);
      }
      const row = await images.lockLive(id);
      if (!row || !(await images.isVisibleTo(row, caller))) throw imageNotFound(id);
      if (changes.length === 0) return row;
      const image = patchable(row);
      const propertiesBefore = new Set(Object.keys(image.properties));
      await applyChanges(caller, image, changes, {
        tagQuota: this.config.GLANCE_IMAGE_TAG_QUOTA,
        applyLocations: async (change) => {
          const current = await images.findAny(id);
          if (!current) throw imageNotFound(id);
          const result = await this.locations.apply(manager, caller, current, change);
          afterCommit.push(result.afterCommit);
          return result.image;
        },
      });
      // glance.quota counts properties only when some were added.
      if (Object.keys(image.properties).some((key) => !propertiesBefore.has(key))) {
        checkPropertyQuota(image.properties, this.config.GLANCE_IMAGE_PROPERTY_QUOTA);
      }
      const owner = image.owner || null;
      checkDatabaseValues({ ...image, owner } satisfies ImageValues);
      const updated = await images.update(id, {
        name: image.name,
        owner,
        visibility: image.visibility,
        protected: image.protected,
        os_hidden: image.os_hidden,
        min_disk: image.min_disk,
        min_ram: image.min_ram,
        disk_format: image.disk_format,
        container_format: image.container_format,
        tags: image.tags,
        properties: { ...image.properties } as Record<string, string>,
      });
      if (!updated) throw imageNotFound(id);
      return updated;
    });
    for (const step of afterCommit) await step();
    return updated;
  }

  /** `PUT /v2/images/{id}/tags/{tag}` (glance/api/v2/image_tags.py). */
  async addTag(caller: RequestContext, id: string, tag: string): Promise<void> {
    this.schema.validate({ tags: [tag] });
    await this.withTags(caller, id, async (image, images) => {
      // A tag it has changes nothing but updated_at, as Glance saves the image anyway.
      const tags = image.tags.includes(tag) ? image.tags : [...image.tags, tag];
      try {
        checkTagQuota(tags.length, this.config.GLANCE_IMAGE_TAG_QUOTA);
        checkDatabaseValues({ ...image, tags: [tag] });
      } catch (error) {
        if (!(error instanceof GlanceHttpError)) throw error;
        throw error.status === 413
          ? new GlanceHttpError(413, `Image tag limit exceeded for image ${id}: ${error.message}:`)
          : badRequest(`Could not update image: ${error.message}`);
      }
      await images.update(id, { tags });
    });
  }

  /** `DELETE /v2/images/{id}/tags/{tag}`: 404 (webob's own message) for a tag it hasn't. */
  async deleteTag(caller: RequestContext, id: string, tag: string): Promise<void> {
    await this.withTags(caller, id, async (image, images) => {
      if (!image.tags.includes(tag)) throw notFound('The resource could not be found.');
      await images.update(id, { tags: image.tags.filter((t) => t !== tag) });
    });
  }

  /** The image locked for a tag change, after modify_image ("Image X not found." if unseen). */
  private withTags(
    caller: RequestContext,
    id: string,
    change: (image: ImageEntity, images: ImagesRepository) => Promise<void>,
  ): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      const images = new ImagesRepository(manager);
      const image = await images.lockLive(id);
      if (!image || !(await images.isVisibleTo(image, caller))) {
        throw notFound(`Image ${id} not found.`);
      }
      enforceModify(caller, image);
      await change(image, images);
    });
  }

  /** The API's view of one image, with its active locations. */
  async view(image: ImageEntity): Promise<Record<string, unknown>> {
    const locations = await this.images.locations(image.id);
    return this.viewWith(image, locations);
  }

  /** The API's view of many images, their locations read in one query. */
  async views(images: ImageEntity[]): Promise<Record<string, unknown>[]> {
    const locations = await this.images.activeLocationsOf(images.map((image) => image.id));
    return images.map((image) => this.viewWith(image, locations.get(image.id) ?? []));
  }

  private viewWith(
    image: ImageEntity,
    locations: Awaited<ReturnType<ImagesRepository['locations']>>,
  ) {
    return imageView(image, {
      locations,
      showMultipleLocations: this.config.GLANCE_SHOW_MULTIPLE_LOCATIONS,
      showDirectUrl: this.config.GLANCE_SHOW_DIRECT_URL,
    });
  }
}

/** The row as the PATCH changes it; custom properties in a map without a prototype. */
function patchable(row: ImageEntity): PatchableImage {
  return {
    id: row.id,
    status: row.status,
    owner: row.owner,
    name: row.name,
    visibility: row.visibility,
    protected: row.protected,
    os_hidden: row.os_hidden,
    min_disk: row.min_disk,
    min_ram: row.min_ram,
    disk_format: row.disk_format,
    container_format: row.container_format,
    tags: [...row.tags],
    properties: Object.assign(Object.create(null) as Record<string, string | null>, row.properties),
  };
}
