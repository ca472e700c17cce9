import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import { TasksRepository } from '@cinderflow/persistence';
import { LOGGER } from '@cinderflow/service-runtime';
import { ImportTaskRunner } from '../import/import-task.runner';
import { WORKER_HOST } from '../tokens';

/**
 * On start, before consuming: every task this host left `processing` is settled. Its image
 * made it to `active` → the task is a success; otherwise the task fails with a message and the
 * half-made image is deleted. Not resumed, as in Glance, whose task executor keeps no state to
 * resume from: the source is any URL (it may not serve the same bytes twice), and the message
 * that carried the task may already have been redelivered to another worker, which leaves a
 * task this host holds alone.
 */
@Injectable()
export class RestartCleanup {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly runner: ImportTaskRunner,
    @Inject(WORKER_HOST) private readonly host: string,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(): Promise<void> {
    const held = await new TasksRepository(this.dataSource.manager).heldBy(this.host);
    for (const task of held) {
      const outcome = await this.runner.settlement.settle(
        task.id,
        `The task was interrupted: glance-task-worker on ${this.host} stopped while it ran.`,
      );
      this.logger.warn({ task_id: task.id, outcome }, 'task left processing by a restart settled');
    }
  }
}
