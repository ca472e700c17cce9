import { Controller, type OnApplicationBootstrap } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { GlanceTaskRpc } from '@cinderflow/contracts';
import { type DeadLetter, RpcDeadLetter, RpcHandler } from '@cinderflow/messaging';
import { ImportTaskRunner } from './import/import-task.runner';
import { INTERNAL_ERROR } from './import/task-input';
import { RestartCleanup } from './init-host/restart-cleanup';

/** glance-task-worker's RPC surface. */
@Controller()
export class TaskWorkerController implements OnApplicationBootstrap {
  constructor(
    private readonly runner: ImportTaskRunner,
    private readonly cleanup: RestartCleanup,
  ) {}

  /** Before the transport consumes: settle what a previous run of this host left. */
  onApplicationBootstrap(): Promise<void> {
    return this.cleanup.run();
  }

  @RpcHandler(GlanceTaskRpc.runTask)
  onRunTask(@Payload() m: { task_id: string }): Promise<void> {
    return this.runner.handle(m.task_id);
  }

  /** A message that failed twice for no reason a retry helps: the task fails, as in Glance. */
  @RpcDeadLetter(GlanceTaskRpc.runTask)
  async onRunTaskDead(@Payload() letter: DeadLetter): Promise<void> {
    const taskId = (letter.payload as { task_id?: unknown } | null)?.task_id;
    if (typeof taskId === 'string') await this.runner.settlement.settle(taskId, INTERNAL_ERROR);
  }
}
