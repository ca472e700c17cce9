import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  deleteImage,
  InvalidImageStatusTransitionError,
  type LocationRemoval,
  ProtectedImageDeleteError,
  removeLeftovers,
} from '@cinderflow/image-store';
import type { Logger } from '@cinderflow/logging';
import { type ImageEntity, ImagesRepository, RecordNotFoundError } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { LOGGER } from '@cinderflow/service-runtime';
import { badRequest, forbidden, imageNotFound, notFound } from '../common/glance-errors';
import { authorizeOnImage } from '../common/policy';
import { type ActivationAction, activationStep } from './image-policy';
import { ImagesService } from './images.service';

/**
 * Delete, deactivate and reactivate: Glance's images.py delete and image_actions.py, every
 * status change through the image and location machines.
 */
@Injectable()
export class ImageLifecycleService implements OnApplicationBootstrap {
  constructor(
    private readonly images: ImagesService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * `DELETE /v2/images/{id}`: `deleted` with its data removed, or with delayed delete
   * `pending_delete` with its locations, for the scrubber.
   */
  async delete(caller: RequestContext, id: string): Promise<void> {
    const missing = () => notFound(`Failed to find image ${id} to delete`);
    const authorize = (image: ImageEntity) => authorizeOnImage(caller, 'delete_image', image);
    const image = await this.images.images.findVisible(id, caller);
    if (!image) throw missing();
    authorize(image);
    let result;
    try {
      result = await deleteImage(this.images.dataSource, this.images.stores, {
        imageId: id,
        delayedDelete: this.images.config.GLANCE_DELAYED_DELETE,
        authorize,
      });
    } catch (error) {
      if (error instanceof RecordNotFoundError) throw missing();
      if (error instanceof ProtectedImageDeleteError) throw forbidden(error.message);
      if (error instanceof InvalidImageStatusTransitionError) throw badRequest(error.message);
      throw error;
    }
    this.logger.info({ image: id, status: result.image.status }, 'image deleted');
    result.locations.forEach((removal) => this.report(removal));
  }

  /**
   * `POST /v2/images/{id}/actions/{deactivate|reactivate}`: the `deactivate` and `reactivate`
   * rules (by default admin, or a member of the owning project).
   */
  async activation(caller: RequestContext, id: string, action: ActivationAction): Promise<void> {
    authorizeOnImage(caller, action, await this.images.visible(caller, id));
    await this.images.dataSource.transaction(async (manager) => {
      const images = new ImagesRepository(manager);
      const image = await images.lockLive(id);
      if (!image) throw imageNotFound(id);
      const step = activationStep(action, image.status);
      if ('refused' in step) throw forbidden(step.refused);
      if ('event' in step) await images.transition(id, step.event);
    });
    this.logger.info({ image: id }, `image ${action}d`);
  }

  /**
   * Data an immediate delete left behind (a crash between its commit and the removal): removed
   * when glance-api starts, in the background; the scrubber does the same on every pass.
   */
  onApplicationBootstrap(): void {
    void removeLeftovers(this.images.dataSource, this.images.stores, (removal) =>
      this.report(removal),
    ).catch((error: Error) =>
      this.logger.warn({ err: error.message }, 'could not look for leftover image data'),
    );
  }

  private report(removal: LocationRemoval): void {
    const fields = {
      image: removal.location.image_id,
      location: removal.location.id,
      outcome: removal.outcome,
    };
    if (removal.outcome === 'failed') {
      this.logger.warn(
        { ...fields, err: removal.error?.message },
        'image data not removed; the scrubber or the next start removes it',
      );
    } else if (removal.outcome !== 'skipped') {
      this.logger.info(fields, 'image location deleted');
    }
  }
}
