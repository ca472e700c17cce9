import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { VolumeConfig } from '@cinderflow/config';
import type { CreateVolume } from '@cinderflow/contracts';
import {
  type GlanceImage,
  ImageServiceClient,
  ImageServiceError,
  ImageServiceUnavailableError,
} from '@cinderflow/image-client';
import type { Logger } from '@cinderflow/logging';
import {
  applyTransition,
  finishWork,
  type MessageDetail,
  MessageActions,
  MessageDetails,
  RecordNotFoundError,
  recordUserMessage,
  recordWork,
  StatusConflictError,
  VolumeEntity,
  VolumeGlanceMetadataRepository,
} from '@cinderflow/persistence';
import { currentContext, type RequestContext, systemContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { ImageTooBigError, VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';
import { VOLUME_SERVICE, type VolumeServiceInfo } from '../../volume-service.identity';
import { ImageDataVerifier } from './image-data-verifier';
import { baseProperties, volumeImageMetadata } from './volume-image-metadata';

const GiB = 1024 ** 3;

/**
 * Why a volume could not be made from its image (Cinder's ImageCopyFailure and the image
 * errors before it): the volume ends `error`, never rescheduled, with a user message.
 */
export class ImageCopyFailure extends Error {
  override name = 'ImageCopyFailure';
  constructor(
    message: string,
    readonly detail: MessageDetail = MessageDetails.UNKNOWN_ERROR,
  ) {
    super(message);
  }
}

/**
 * The image part of Cinder's _create_from_image_download: the volume exists (createVolume);
 * it goes `creating → downloading`, the image's data streams from glance-api with the caller's
 * token into the volume, hashed on the way, and the volume ends `available` and bootable with
 * the image's metadata, or `error` with a user message and its bytes cleared.
 */
@Injectable()
export class CreateFromImage {
  /** The image schema's base properties, read once (Cinder keeps _image_schema too). */
  private isBase?: Promise<(key: string) => boolean>;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    private readonly images: ImageServiceClient,
    @Inject(VOLUME_SERVICE) private readonly service: VolumeServiceInfo,
    @Inject(CONFIG) private readonly config: VolumeConfig,
  ) {}

  /**
   * Fills the volume claimed for this attempt (`creating`, or `downloading` again after a
   * transient failure). Transient failures of this service's own database writes propagate, so
   * that the message is delivered again and the download starts over.
   */
  async fill(message: CreateVolume, status: string, log: Logger): Promise<void> {
    const { request_spec: spec, host, retry } = message;
    const imageId = spec.image_id!;
    const volume = { id: spec.volume_id, size: spec.size };
    const ours = {
      sql: 'host = :host AND scheduling_attempt = :attempt',
      params: { host, attempt: retry.num_attempts },
    };
    const context = currentContext() ?? systemContext('cinder-volume');

    let prepared: { image: GlanceImage; isBase: (key: string) => boolean };
    try {
      prepared = await this.prepare(context, imageId, spec.size);
    } catch (error) {
      await this.fail(message, asCopyFailure(error, imageId), log);
      return;
    }

    if (status === 'creating') {
      const moved = await this.dataSource.transaction(async (tx) => {
        try {
          await applyTransition(tx, {
            machine: volumeMachine,
            entity: VolumeEntity,
            id: volume.id,
            event: 'download_image',
            where: ours,
          });
        } catch (error) {
          if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
            return false;
          }
          throw error;
        }
        // The note follows the volume, so that a restart knows a download was cut short.
        await recordWork(tx, {
          resourceType: 'volume',
          resourceId: volume.id,
          status: 'downloading',
          serviceHost: this.service.serviceHost,
        });
        return true;
      });
      if (!moved) {
        await finishWork(this.dataSource.manager, 'volume', volume.id, 'creating');
        log.info('volume no longer creating; leaving it as it is');
        return;
      }
    }
    log.info({ image_id: imageId }, 'downloading image into the volume');

    try {
      await this.copy(context, imageId, volume, prepared.image);
    } catch (error) {
      await this.fail(message, asCopyFailure(error, imageId), log);
      return;
    }

    const metadata = {
      // Cinder (verify_glance_signatures = enabled) notes that no signature was verified.
      signature_verified: 'False',
      ...volumeImageMetadata(imageId, prepared.image, prepared.isBase),
    };
    try {
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event: 'create_succeeded',
          set: { launched_at: new Date(), bootable: true },
          where: ours,
        });
        await new VolumeGlanceMetadataRepository(tx).bulkCreate(volume.id, metadata);
        await finishWork(tx, 'volume', volume.id);
      });
      log.info({ host, image_id: imageId }, 'volume created from image');
    } catch (error) {
      if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
        log.info('volume no longer downloading; leaving it as it is');
        return;
      }
      throw error;
    }
  }

  /**
   * Cinder's ExtractVolumeSpecTask (image_service.show) and _create_from_image's checks: the
   * image as the caller sees it now. The API checked it too; it may have changed since.
   */
  private async prepare(context: RequestContext, imageId: string, size: number) {
    const image = await this.withRetries(() => this.images.show(context, imageId));
    if (!image) throw new ImageCopyFailure(`Image ${imageId} could not be found.`);
    if (image.status !== 'active') {
      throw new ImageCopyFailure(`Invalid input received: Image ${imageId} is not active.`);
    }
    if (image.virtual_size) {
      const virtualGb = Math.ceil(Number(image.virtual_size) / GiB);
      if (virtualGb > size) {
        throw new ImageCopyFailure(
          `Image ${imageId} is unacceptable: Image virtual size is ${virtualGb}GB and doesn't fit in a volume of size ${size}GB.`,
        );
      }
    }
    return { image, isBase: await this.baseProperties(context) };
  }

  private baseProperties(context: RequestContext): Promise<(key: string) => boolean> {
    this.isBase ??= this.withRetries(() => this.images.schema(context, 'image')).then(
      baseProperties,
    );
    return this.isBase.catch((error: unknown) => {
      this.isBase = undefined;
      throw error;
    });
  }

  /** Cinder's copy_image_to_volume: the data, checked against the image's hashes. */
  private async copy(
    context: RequestContext,
    imageId: string,
    volume: { id: string; size: number },
    image: GlanceImage,
  ): Promise<void> {
    const download = await this.withRetries(() => this.images.download(context, imageId));
    const verifier = new ImageDataVerifier({
      size: image.size,
      checksum: image.checksum,
      os_hash_algo: image.os_hash_algo,
      os_hash_value: image.os_hash_value,
      contentMd5: download.checksum,
    });
    try {
      await this.driver.copyImageToVolume(volume, verifier.pass(download.stream));
    } finally {
      download.stream.destroy();
    }
    verifier.verify();
  }

  /**
   * Cinder's GlanceClientWrapper.call: a call glance-api did not answer is tried again,
   * GLANCE_NUM_RETRIES more times a second apart. Data already streaming is not.
   */
  private async withRetries<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof ImageServiceUnavailableError)) throw error;
        if (attempt >= this.config.GLANCE_NUM_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /**
   * The volume ends `error` (never rescheduled: the same image would fail elsewhere, as
   * Cinder's no_reschedule_types), its bytes cleared first so that nothing partial is left,
   * with a user message (copy image to volume).
   */
  private async fail(message: CreateVolume, failure: ImageCopyFailure, log: Logger) {
    const { request_spec: spec, host, retry } = message;
    const volume = { id: spec.volume_id, size: spec.size };
    log.error({ image_id: spec.image_id, err: failure.message }, 'create from image failed');
    await this.driver.clearDownload(volume).catch((error: unknown) => {
      log.error({ err: (error as Error).message }, 'could not clear the partial download');
    });
    try {
      await this.dataSource.transaction(async (tx) => {
        const failed = await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event: 'create_failed',
          where: {
            sql: 'host = :host AND scheduling_attempt = :attempt',
            params: { host, attempt: retry.num_attempts },
          },
        });
        await finishWork(tx, 'volume', volume.id);
        await recordUserMessage(tx, {
          projectId: failed.project_id,
          requestId: currentContext()?.requestId ?? '-',
          resourceUuid: volume.id,
          action: MessageActions.COPY_IMAGE_TO_VOLUME,
          detail: failure.detail,
          explanation: failure.message,
        });
      });
    } catch (error) {
      if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
        log.info('volume no longer being created; leaving it as it is');
        return;
      }
      throw error;
    }
  }
}

/** What went wrong, as Cinder words it (its image exceptions, wrapped in ImageCopyFailure). */
function asCopyFailure(error: unknown, imageId: string): ImageCopyFailure {
  if (error instanceof ImageCopyFailure) return error;
  if (error instanceof ImageTooBigError) {
    return new ImageCopyFailure(
      `Image ${imageId} size exceeded available disk space: ${error.message}`,
      MessageDetails.NOT_ENOUGH_SPACE_FOR_IMAGE,
    );
  }
  if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
    return new ImageCopyFailure(
      `Image ${imageId} size exceeded available disk space: ${(error as Error).message}`,
      MessageDetails.NOT_ENOUGH_SPACE_FOR_IMAGE,
    );
  }
  if (error instanceof ImageServiceError) {
    // glance._translate_image_exception: 401/403 ImageNotAuthorized, 404 ImageNotFound.
    const reason =
      error.status === 401 || error.status === 403
        ? `Not authorized for image ${imageId}.`
        : error.status === 404
          ? `Image ${imageId} could not be found.`
          : error.message;
    return new ImageCopyFailure(`Failed to copy image to volume: ${reason}`);
  }
  if (error instanceof ImageServiceUnavailableError) {
    return new ImageCopyFailure(`Connection to glance failed: ${error.message}`);
  }
  return new ImageCopyFailure(`Failed to copy image to volume: ${reasonOf(error)}`);
}

/** An error's message with its cause's (fetch's "terminated" says little by itself). */
function reasonOf(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const cause = (error as { cause?: { message?: unknown } })?.cause?.message;
  return typeof cause === 'string' && cause !== '' ? `${message} (${cause})` : message;
}
