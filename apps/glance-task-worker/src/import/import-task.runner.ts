import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { GlanceTaskWorkerConfig } from '@cinderflow/config';
import {
  type ImageStores,
  type ImportFilter,
  importFilterOf,
  ImageGoneDuringUploadError,
  ImageTooLargeError,
  ImportRedirectError,
  ImportSourceError,
  ImportUriError,
  LimitExceededError,
  openImportSource,
  removeUnfinishedUpload,
  StorageQuotaFullError,
  uploadImageData,
  uploadLimitsFor,
  validateLegacyImportUri,
} from '@cinderflow/image-store';
import type { Logger } from '@cinderflow/logging';
import { isTransientError } from '@cinderflow/messaging';
import {
  type ImageEntity,
  ImagesRepository,
  RecordNotFoundError,
  StatusConflictError,
  type TaskEntity,
  TasksRepository,
} from '@cinderflow/persistence';
import { currentContext } from '@cinderflow/request-context';
import { CONFIG, LOGGER } from '@cinderflow/service-runtime';
import { IMAGE_STORES, WORKER_HOST } from '../tokens';
import { imageFromTaskProperties } from './image-properties';
import { TaskSettlement, uploadHolderOf } from './task-settlement';
import { INTERNAL_ERROR, TaskFailure, unpackTaskInput } from './task-input';

/** Glance's ImageSizeLimitExceeded, for an import past image_size_cap. */
const TOO_LARGE = 'The provided image is too large.';

/**
 * What a failure tells the task's owner (Glance's task messages), or undefined for a failure no
 * message fits: a database or broker blink, which is retried instead.
 */
export function failureMessage(error: unknown): string | undefined {
  if (error instanceof TaskFailure || error instanceof ImportUriError) return error.message;
  // Glance's _ImportToStore: an IOError while fetching or storing is an UploadException.
  if (error instanceof ImportSourceError) {
    return `Uploading the image failed due to: ${error.reason}`;
  }
  if (error instanceof ImportRedirectError || error instanceof ImageGoneDuringUploadError) {
    return error.message;
  }
  if (error instanceof ImageTooLargeError) return TOO_LARGE;
  // StorageQuotaFull, or Keystone's LimitExceeded: their own words, as ImageSizeLimitExceeded.
  if (error instanceof StorageQuotaFullError || error instanceof LimitExceededError) {
    return error.message;
  }
  if (isTransientError(error)) return undefined;
  return INTERNAL_ERROR;
}

/**
 * The legacy `import` task (Glance's base_import flow without its staging and introspection):
 * create the image, stream `import_from` into the default store through seed 001's upload
 * (queued → saving → active), then the task's `success` with `result.image_id`. Any failure
 * ends the task `failure` with Glance's message and deletes the image it made.
 */
@Injectable()
export class ImportTaskRunner {
  /** Tasks this process is running: a duplicate delivery finds its task here. */
  private readonly running = new Set<string>();
  private readonly filter: ImportFilter;
  readonly settlement: TaskSettlement;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(IMAGE_STORES) private readonly stores: ImageStores,
    @Inject(CONFIG) private readonly config: GlanceTaskWorkerConfig,
    @Inject(WORKER_HOST) private readonly host: string,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.filter = importFilterOf(config);
    this.settlement = new TaskSettlement(
      dataSource,
      stores,
      host,
      config.GLANCE_TASK_TIME_TO_LIVE_H,
    );
  }

  /**
   * `run_task`: claims the task (`pending → processing`, held by this host) and runs it. A
   * task already processing elsewhere or ended is left alone: a duplicate changes nothing. A
   * task this host holds but is not running is one whose run stopped on a transient failure:
   * it carries on with the image it made.
   */
  async handle(taskId: string): Promise<void> {
    const log = this.logger.child({ task_id: taskId });
    if (this.running.has(taskId)) {
      log.info('task already running here; nothing to do');
      return;
    }
    const tasks = new TasksRepository(this.dataSource.manager);
    let task = await tasks.find(taskId);
    if (!task) {
      log.warn('no such task; nothing to do');
      return;
    }
    if (task.status === 'pending') {
      try {
        task = await tasks.transition(taskId, 'start', {
          worker_host: this.host,
          import_image_id: randomUUID(),
        });
      } catch (error) {
        if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
          log.info('task claimed by another worker meanwhile; nothing to do');
          return;
        }
        throw error;
      }
      log.info({ image_id: task.import_image_id }, 'task processing');
    } else if (task.status === 'processing' && task.worker_host === this.host) {
      log.info('carrying on with a task this worker holds');
    } else {
      log.info(
        { status: task.status, worker_host: task.worker_host },
        'task processing elsewhere or ended; nothing to do',
      );
      return;
    }
    this.running.add(taskId);
    try {
      await this.run(task, log);
    } finally {
      this.running.delete(taskId);
    }
  }

  private async run(task: TaskEntity, log: Logger): Promise<void> {
    try {
      const imageId = await this.importImage(task, log);
      await this.dataSource.transaction((tx) => this.settlement.succeed(tx, task, imageId));
      log.info({ image_id: imageId }, 'task succeeded');
    } catch (error) {
      const message = failureMessage(error);
      if (message === undefined) throw error; // the message is handled again, and carries on
      log.warn(
        {
          err: (error as Error).message,
          detail: (error as { detail?: string }).detail,
          ...(message === INTERNAL_ERROR ? { stack: (error as Error).stack } : {}),
        },
        'task failed',
      );
      const outcome = await this.settlement.settle(task.id, message);
      log.info({ outcome }, 'task settled');
    }
  }

  private async importImage(task: TaskEntity, log: Logger): Promise<string> {
    const input = unpackTaskInput(task.type, task.input);
    const uri = await validateLegacyImportUri(input.import_from, this.filter);
    const imageId = task.import_image_id!;
    const images = new ImagesRepository(this.dataSource.manager);
    let image = await images.findAny(imageId);
    if (!image) {
      const caller = currentContext();
      const fields = imageFromTaskProperties(input.image_properties, {
        projectId: task.owner,
        isAdmin: caller?.isAdmin ?? false,
      });
      image = await images.insert({ ...fields, id: imageId });
      log.info({ image_id: imageId }, 'image created');
    }
    const holder = uploadHolderOf(this.host);
    if (image.status === 'saving' && image.upload_host === holder) {
      // An earlier run here stopped mid-upload (its put-back failed with the database away).
      // Data first, as a restart settles an upload: dying in between leaves it `saving` here.
      await removeUnfinishedUpload(this.dataSource.manager, this.stores, imageId);
      image = await images.transition(
        imageId,
        'upload_failed_v2',
        { upload_host: null },
        { sql: 'upload_host = :host', params: { host: holder } },
      );
    }
    if (image.status === 'queued') image = await this.fill(task, image, uri);
    if (image.status !== 'active') throw this.noLongerValid(task, imageId);
    return imageId;
  }

  /** Streams the source into the default store through seed 001's upload. */
  private async fill(task: TaskEntity, image: ImageEntity, uri: string): Promise<ImageEntity> {
    const cap = this.config.GLANCE_IMAGE_SIZE_CAP;
    const source = await openImportSource(uri, {
      filter: this.filter,
      idleTimeoutMs: this.config.GLANCE_IMPORT_TIMEOUT_S * 1000,
    });
    try {
      if (source.size !== undefined && source.size > cap) throw new TaskFailure(TOO_LARGE);
      return await uploadImageData(this.dataSource, {
        imageId: image.id,
        source: source.stream,
        store: this.stores.defaultStore,
        maxBytes: cap,
        host: uploadHolderOf(this.host),
        api: 'v2',
        // The task owner's quota, as Glance's import sets the data through the quota proxy.
        limits: uploadLimitsFor(this.config, task.owner, source.size ?? null),
      });
    } catch (error) {
      // The image was deleted or changed under the import (queued → saving refused).
      if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
        throw this.noLongerValid(task, image.id, error);
      }
      throw error;
    } finally {
      source.stream.destroy();
    }
  }

  /** Glance's image_import Conflict: the image left the import's hands. */
  private noLongerValid(task: Pick<TaskEntity, 'id'>, imageId: string, cause?: Error): Error {
    return Object.assign(
      new TaskFailure(
        `The Image ${imageId} object being created by this task ${task.id}, is no longer in valid status for further processing.`,
      ),
      { cause },
    );
  }
}
