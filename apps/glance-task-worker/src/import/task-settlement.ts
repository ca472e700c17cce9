import type { DataSource, EntityManager } from 'typeorm';
import { type ImageStores, removeUnfinishedUpload } from '@cinderflow/image-store';
import {
  ImagesRepository,
  NOW_UTC,
  RecordNotFoundError,
  StatusConflictError,
  type TaskEntity,
  TasksRepository,
} from '@cinderflow/persistence';

export type Settled = 'success' | 'failure' | 'moved-on';

/**
 * What a worker writes as the holder of its imports' uploads (`upload_host`): its host, named
 * apart from a glance-api on the same SERVICE_HOST, whose restart settles the uploads it holds
 * itself and must not take a running import's upload for one of them.
 */
export const uploadHolderOf = (host: string): string => `glance-task-worker@${host}`;

/** `expires_at` of a task that ends now: Glance keeps it task_time_to_live hours. */
export function expiresAt(timeToLiveH: number): () => string {
  const hours = Math.trunc(timeToLiveH);
  return () => `${NOW_UTC} + make_interval(hours => ${hours})`;
}

/**
 * How a task this worker holds ends, whatever stopped it (an import failure, a restart, a dead
 * letter), in one transaction: an image that made it to `active` makes the task a success
 * (only its last write was missing); otherwise the task fails with `message` and its half-made
 * image is deleted, as Glance's import flow reverts _CreateImage. Data the image's upload left
 * in the stores is removed after the commit.
 */
export class TaskSettlement {
  constructor(
    private readonly dataSource: DataSource,
    private readonly stores: ImageStores,
    private readonly host: string,
    private readonly timeToLiveH: number,
  ) {}

  async succeed(tx: EntityManager, task: TaskEntity, imageId: string): Promise<TaskEntity> {
    return new TasksRepository(tx).transition(
      task.id,
      'succeed',
      { result: { image_id: imageId }, expires_at: expiresAt(this.timeToLiveH) },
      { sql: 'worker_host = :host', params: { host: this.host } },
    );
  }

  async settle(taskId: string, message: string): Promise<Settled> {
    const outcome = await this.dataSource.transaction(async (tx): Promise<Settled> => {
      const tasks = new TasksRepository(tx);
      const task = await tasks.find(taskId);
      if (!task) return 'moved-on';
      const held = task.status === 'processing' && task.worker_host === this.host;
      // A task that never started here (a dead letter before the claim) can fail as it is.
      if (!held && task.status !== 'pending') return 'moved-on';
      const images = new ImagesRepository(tx);
      const image = task.import_image_id ? await images.findAny(task.import_image_id) : null;
      if (held && image?.status === 'active') {
        await this.succeed(tx, task, image.id);
        return 'success';
      }
      try {
        await tasks.transition(
          task.id,
          'fail',
          { message, expires_at: expiresAt(this.timeToLiveH) },
          held ? { sql: 'worker_host = :host', params: { host: this.host } } : undefined,
        );
      } catch (error) {
        if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
          return 'moved-on';
        }
        throw error;
      }
      const halfMade =
        image &&
        !image.deleted &&
        (image.status === 'queued' ||
          (image.status === 'saving' &&
            [null, uploadHolderOf(this.host)].includes(image.upload_host)));
      if (halfMade) {
        await images.transition(image.id, 'delete', {
          deleted: true,
          deleted_at: () => NOW_UTC,
          upload_host: null,
        });
      }
      return 'failure';
    });
    const imageId = (await new TasksRepository(this.dataSource.manager).find(taskId))
      ?.import_image_id;
    if (outcome === 'failure' && imageId) {
      // A killed upload leaves its partial file behind, or its whole file if it died between
      // the rename and the commit; no location names either (the image never got one).
      await removeUnfinishedUpload(this.dataSource.manager, this.stores, imageId);
    }
    return outcome;
  }
}
