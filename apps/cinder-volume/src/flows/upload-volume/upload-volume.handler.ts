import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { CopyVolumeToImage } from '@cinderflow/contracts';
import {
  ImageServiceClient,
  ImageServiceError,
  ImageServiceUnavailableError,
} from '@cinderflow/image-client';
import type { Logger } from '@cinderflow/logging';
import { MessageActions, MessageDetails, VolumeEntity } from '@cinderflow/persistence';
import { currentContext, type RequestContext, systemContext } from '@cinderflow/request-context';
import { defineWork, LOGGER, ManagerWork } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';

/** The image an upload fills, noted by the API in the volume's admin metadata. */
export const UPLOAD_IMAGE_KEY = 'upload_image_id';
const withoutUploadImage = (): string => `admin_metadata - '${UPLOAD_IMAGE_KEY}'`;

/**
 * The follow-up that removes a half-made image (Cinder's _delete_image): noted, keyed by the
 * image's id, in the transaction that claims the upload; dropped in the one that ends it
 * successfully. A failed upload runs it at once; one a crash interrupted, the restart cleanup.
 */
export const HALF_MADE_IMAGE = 'half-made-image';

/**
 * The API moved the volume to `uploading` (saving what it was) and created the image `queued`.
 * Success or failure, the volume returns to what it was (Cinder's manager ends with
 * volume_update_status_based_on_attachment either way); a restart cannot resume a stream half
 * sent, so it ends the upload as failed.
 */
export const UploadVolumeWork = defineWork({
  resourceType: 'volume',
  machine: volumeMachine,
  entity: VolumeEntity,
  status: 'uploading',
  succeeded: 'upload_finished',
  failed: 'upload_finished',
  onRestart: 'fail',
  failedSet: () => ({ admin_metadata: withoutUploadImage }),
  failureMessage: {
    action: MessageActions.COPY_VOLUME_TO_IMAGE,
    detail: MessageDetails.FAILED_TO_UPLOAD_VOLUME,
  },
});

/** Glance's statuses of an image whose data never arrived whole: Cinder deletes those. */
const HALF_MADE_STATUSES = ['queued', 'saving'];

/** How long a failed upload keeps trying to delete its image while glance-api is away. */
const DELETE_RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000];

/**
 * cinder/volume/manager.py copy_volume_to_image: stream the volume's bytes into the image the
 * API created (`PUT /v2/images/{id}/file`: queued → saving → active), with the caller's token;
 * then the volume returns to what it was. Any failure of the upload (the driver, glance-api
 * refusing or going away) returns the volume too, with Cinder's user message, and deletes the
 * image if it is still `queued` or `saving`.
 */
@Injectable()
export class UploadVolumeHandler implements OnModuleInit {
  constructor(
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    private readonly images: ImageServiceClient,
    private readonly work: ManagerWork,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.work.register(UploadVolumeWork);
    this.work.registerFollowUp(HALF_MADE_IMAGE, (imageId) => this.deleteHalfMade(imageId));
  }

  async handle(message: CopyVolumeToImage): Promise<void> {
    const { volume_id: volumeId, image_meta: image } = message;
    const context = currentContext() ?? systemContext('cinder-volume');
    // Only the upload the volume is `uploading` for: a late copy of an earlier upload's message
    // finds another image named (or none) and does nothing.
    const thisUpload = {
      sql: `admin_metadata->>'${UPLOAD_IMAGE_KEY}' = :imageId`,
      params: { imageId: image.id },
    };
    let claimed = false;
    const outcome = await this.work.run(UploadVolumeWork, volumeId, {
      guard: thisUpload,
      onClaim: async (tx) => {
        claimed = true;
        // A run again here (after a transient failure) finds its own note already there.
        if (!(await this.work.followUpPending(HALF_MADE_IMAGE, image.id))) {
          await this.work.noteFollowUp(tx, HALF_MADE_IMAGE, image.id);
        }
      },
      run: () => this.upload(context, volumeId, image.id),
      set: () => ({ admin_metadata: withoutUploadImage }),
      succeedIf: () => thisUpload,
      failIf: () => thisUpload,
      then: (tx) => this.work.dropFollowUp(tx, HALF_MADE_IMAGE, image.id),
    });
    // Failed, or ended by someone else meanwhile (a reset): the image may be half-made. Not
    // when this delivery claimed nothing: another run may be filling the image right now.
    if (claimed && outcome !== 'done') await this.removeHalfMade(image.id);
  }

  /** The upload itself; an image already `active` is one an earlier run of ours filled. */
  private async upload(context: RequestContext, volumeId: string, imageId: string): Promise<void> {
    const log = this.logger.child({ volume_id: volumeId, image_id: imageId });
    const image = await this.images.show(context, imageId);
    if (!image) throw new Error(`Image ${imageId} could not be found.`);
    if (image.status === 'active') {
      log.info('image already active: an earlier run uploaded it');
      return;
    }
    if (image.status !== 'queued') {
      throw new Error(`Image ${imageId} is ${image.status}, not queued: nothing can be uploaded.`);
    }
    const { stream, size } = await this.driver.readVolume({ id: volumeId });
    const started = Date.now();
    try {
      await this.images.upload(context, imageId, stream, size);
    } finally {
      stream.destroy();
    }
    const seconds = (Date.now() - started) / 1000;
    log.info(
      { bytes: size, seconds, mb_per_s: Math.round(size / 1e6 / Math.max(seconds, 0.001)) },
      'volume uploaded to image',
    );
  }

  /**
   * Runs the follow-up now; while glance-api cannot be reached it tries again in the background
   * for a few minutes, then leaves the note to the next start of this service.
   */
  private async removeHalfMade(imageId: string): Promise<void> {
    await this.work.runFollowUp(HALF_MADE_IMAGE, imageId);
    if (!(await this.work.followUpPending(HALF_MADE_IMAGE, imageId))) return;
    const retry = (attempt: number) => {
      const delay = DELETE_RETRY_DELAYS_MS[attempt];
      if (delay === undefined) return;
      setTimeout(() => {
        void this.work
          .runFollowUp(HALF_MADE_IMAGE, imageId)
          .then(() => this.work.followUpPending(HALF_MADE_IMAGE, imageId))
          .then((pending) => pending && retry(attempt + 1))
          .catch(() => retry(attempt + 1));
      }, delay).unref();
    };
    retry(0);
  }

  /**
   * Cinder's _delete_image: an image the upload left `queued` or `saving` is deleted; one that
   * became `active` (the upload got through) or is gone already stays as it is. It runs with the
   * caller's context while the message is handled, with the service's own after a restart.
   */
  private async deleteHalfMade(imageId: string): Promise<void> {
    const context = currentContext() ?? systemContext('cinder-volume');
    const log = this.logger.child({ image_id: imageId });
    try {
      const image = await this.images.show(context, imageId);
      if (!image || !HALF_MADE_STATUSES.includes(image.status)) return;
      log.warn({ image_status: image.status }, 'deleting image in unexpected status');
      await this.images.delete(context, imageId);
    } catch (error) {
      if (error instanceof ImageServiceUnavailableError || error instanceof ImageServiceError) {
        log.warn({ err: error.message }, 'image delete encountered an error');
      }
      throw error;
    }
  }
}
