import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { GlanceApiConfig } from '@cinderflow/config';
import type { ImageStores } from '@cinderflow/image-store';
import { type ImageEntity, ImagesRepository, type NewImage } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { imageNotFound } from '../common/glance-errors';
import { IMAGE_STORES } from '../common/tokens';
import { imageView } from './image.view';

/** The images API's work: rows through the repository, statuses through the image machine. */
@Injectable()
export class ImagesService {
  readonly images: ImagesRepository;

  constructor(
    @Inject(DataSource) readonly dataSource: DataSource,
    @Inject(CONFIG) readonly config: GlanceApiConfig,
    @Inject(IMAGE_STORES) readonly stores: ImageStores,
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

  /** The image the caller may see, or Glance's 404. */
  async visible(caller: RequestContext, id: string): Promise<ImageEntity> {
    const image = await this.images.findVisible(id, caller);
    if (!image) throw imageNotFound(id);
    return image;
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
