import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { GlanceApiConfig } from '@cinderflow/config';
import { GlanceDestinations, GlanceTaskRpc } from '@cinderflow/contracts';
import {
  type ImportFilter,
  importFilterOf,
  ImportUriError,
  validateLegacyImportUri,
} from '@cinderflow/image-store';
import type { Outbox } from '@cinderflow/messaging';
import {
  type TaskEntity,
  TaskMarkerForbiddenError,
  TaskMarkerNotFoundError,
  TasksRepository,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG, OUTBOX } from '@cinderflow/service-runtime';
import { badRequest, forbidden, notFound } from '../common/glance-errors';
import { authorize } from '../common/policy';
import { parseTaskListParams } from './task-list.params';
import { parseTaskCreateBody } from './task.schema';

/** Glance's String(36) and String(64) task columns: a longer value is not recorded. */
const fits = (value: unknown, length: number): string | null =>
  typeof value === 'string' && value.length <= length ? value : null;

/**
 * The tasks API (glance/api/v2/tasks.py). A created task is written `pending` together with its
 * cast to the task workers (outbox), which run it: no request waits for an import.
 */
@Injectable()
export class TasksService {
  private readonly tasks: TasksRepository;
  private readonly filter: ImportFilter;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: GlanceApiConfig,
    @Inject(OUTBOX) private readonly outbox: Outbox,
  ) {
    this.tasks = new TasksRepository(dataSource.manager);
    this.filter = importFilterOf(config);
  }

  /**
   * TasksAPIPolicy.tasks_api_access, checked before anything else on every task route (Glance
   * asks no other task rule any more).
   */
  enforceAccess(caller: RequestContext): void {
    authorize(caller, 'tasks_api_access');
  }

  async create(caller: RequestContext, body: unknown): Promise<TaskEntity> {
    this.enforceAccess(caller);
    const { type, input } = parseTaskCreateBody(body);
    if (type === 'import') {
      try {
        await validateLegacyImportUri((input ?? {}).import_from, this.filter);
      } catch (error) {
        if (error instanceof ImportUriError) throw badRequest(error.message);
        throw error;
      }
    }
    return this.dataSource.transaction(async (tx) => {
      const task = await new TasksRepository(tx).insert({
        id: randomUUID(),
        type,
        owner: caller.projectId,
        input,
        image_id: fits(input?.image_id, 36),
        request_id: fits(caller.requestId, 64),
        user_id: fits(caller.userId, 64),
      });
      await this.outbox.send(tx, GlanceDestinations.taskWorker(), GlanceTaskRpc.runTask, {
        task_id: task.id,
        task_type: type,
      });
      return task;
    });
  }

  async show(caller: RequestContext, id: string): Promise<TaskEntity> {
    this.enforceAccess(caller);
    const task = await this.tasks.findVisible(id, caller);
    if (!task) throw notFound(`Could not find task ${id}`);
    return task;
  }

  /** One page of tasks, and whether it is full (then the list has a `next` link). */
  async list(
    caller: RequestContext,
    params: Map<string, string>,
  ): Promise<{ tasks: TaskEntity[]; nextMarker?: string }> {
    this.enforceAccess(caller);
    const request = parseTaskListParams(params, {
      defaultLimit: this.config.GLANCE_LIMIT_PARAM_DEFAULT,
      maxLimit: this.config.GLANCE_API_LIMIT_MAX,
    });
    await this.tasks.deleteExpired(caller.projectId);
    let tasks: TaskEntity[];
    try {
      // Glance looks the marker up before it sorts: an unknown marker is said first.
      tasks = await this.tasks.list(caller, {
        ...request,
        limit: request.sortKeyValid ? request.limit : 0,
      });
    } catch (error) {
      if (error instanceof TaskMarkerNotFoundError) throw badRequest(error.message);
      if (error instanceof TaskMarkerForbiddenError) throw forbidden(error.message);
      throw error;
    }
    if (!request.sortKeyValid) throw badRequest('Sort key supplied was not valid.');
    const full = tasks.length !== 0 && tasks.length === request.limit;
    return { tasks, nextMarker: full ? tasks[tasks.length - 1].id : undefined };
  }
}
