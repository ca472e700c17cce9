import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { taskMachine, type TaskEvent } from '@cinderflow/status-machines';
import { TaskEntity } from '../entities/image.entity';
import { applyTransition, type TransitionRequest } from '../transition';
import { NOW_UTC } from '../utc';

/** Who asks: Glance shows an admin every task, anyone else the tasks its project owns. */
export interface TaskViewer {
  projectId: string;
  isAdmin: boolean;
}

export type NewTask = Pick<
  TaskEntity,
  'id' | 'type' | 'owner' | 'input' | 'image_id' | 'request_id' | 'user_id'
>;

/** Columns of Glance's tasks table, the keys `sort_key` may name (models.Task attributes). */
export const TASK_SORT_KEYS = [
  'id',
  'type',
  'status',
  'owner',
  'expires_at',
  'created_at',
  'updated_at',
  'deleted_at',
  'deleted',
  'image_id',
  'request_id',
  'user_id',
] as const;

export type TaskSortKey = (typeof TASK_SORT_KEYS)[number];

/** Query parameters that filter a list by equality (Glance filters on any such column). */
export const TASK_FILTER_KEYS = [
  'id',
  'type',
  'status',
  'owner',
  'image_id',
  'request_id',
  'user_id',
] as const;

export type TaskFilterKey = (typeof TASK_FILTER_KEYS)[number];

export interface TaskListRequest {
  filters: Partial<Record<TaskFilterKey, string>>;
  sortKey: TaskSortKey;
  sortDir: 'asc' | 'desc';
  limit: number;
  marker?: string;
}

/** The list's marker is no task (Glance's TaskNotFound, answered 400 by the list). */
export class TaskMarkerNotFoundError extends Error {
  constructor(readonly marker: string) {
    super(`Task with the given id ${marker} was not found`);
    this.name = 'TaskMarkerNotFoundError';
  }
}

/** The list's marker is another project's task (Glance's Forbidden, answered 403). */
export class TaskMarkerForbiddenError extends Error {
  constructor(readonly marker: string) {
    super(`Forbidding request, task ${marker} is not visible`);
    this.name = 'TaskMarkerForbiddenError';
  }
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A sort key as a never-NULL SQL expression (Glance pages NULLs as the column's default). */
function sortExpression(key: TaskSortKey): string {
  switch (key) {
    case 'expires_at':
    case 'updated_at':
    case 'deleted_at':
      return `COALESCE(t.${key}, '-infinity'::timestamp)`;
    case 'image_id':
    case 'request_id':
    case 'user_id':
      return `COALESCE(t.${key}, '')`;
    case 'id':
      return 't.id::text';
    default:
      return `t.${key}`;
  }
}

/** Task rows: what glance-api and the task worker share. */
export class TasksRepository {
  constructor(private readonly manager: EntityManager) {}

  async insert(task: NewTask): Promise<TaskEntity> {
    const result = await this.manager
      .createQueryBuilder()
      .insert()
      .into(TaskEntity)
      .values({
        ...task,
        input: () => 'CAST(:input AS jsonb)',
        status: taskMachine.initial,
        // Glance's TaskFactory: the message is empty until the task fails.
        message: '',
        created_at: () => NOW_UTC,
        updated_at: () => NOW_UTC,
      })
      .setParameter('input', JSON.stringify(task.input))
      .returning('*')
      .execute();
    return (result.raw as TaskEntity[])[0];
  }

  /** A task by id, whoever owns it (the worker's view). */
  find(id: string): Promise<TaskEntity | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return this.manager.findOne(TaskEntity, { where: { id, deleted: false } });
  }

  /** A task this viewer may see (Glance's _is_task_visible), or null. */
  async findVisible(id: string, viewer: TaskViewer): Promise<TaskEntity | null> {
    const task = await this.find(id);
    if (!task) return null;
    return viewer.isAdmin || task.owner === viewer.projectId ? task : null;
  }

  /**
   * Glance's _task_soft_delete, run before each list: the caller's tasks past their
   * `expires_at` are deleted (they lived task_time_to_live after they ended).
   */
  async deleteExpired(owner: string): Promise<number> {
    const result = await this.manager
      .createQueryBuilder()
      .update(TaskEntity)
      .set({ deleted: true, deleted_at: () => NOW_UTC })
      .where('owner = :owner', { owner })
      .andWhere('deleted = false')
      .andWhere(`expires_at <= ${NOW_UTC}`)
      .execute();
    return result.affected ?? 0;
  }

  /**
   * One page of the tasks the viewer sees, as Glance's task_get_all: `sortKey` then
   * `created_at` and `id`, all in `sortDir`; after the marker (looked up as a show would).
   */
  async list(viewer: TaskViewer, request: TaskListRequest): Promise<TaskEntity[]> {
    const qb = this.manager
      .createQueryBuilder(TaskEntity, 't')
      .where('t.deleted = false')
      // The list shows no input, result or message: no need to read them.
      .select(
        ['id', 'type', 'status', 'owner', 'expires_at', 'created_at', 'updated_at'].map(
          (c) => `t.${c}`,
        ),
      );
    if (!viewer.isAdmin) qb.andWhere('t.owner = :owner', { owner: viewer.projectId });
    for (const [key, value] of Object.entries(request.filters)) {
      if (value === undefined) continue;
      if (key === 'id' && !UUID.test(value)) return [];
      qb.andWhere(`t.${key} = :f_${key}`, { [`f_${key}`]: value });
    }
    const keys: TaskSortKey[] = [request.sortKey];
    for (const key of ['created_at', 'id'] as const) if (!keys.includes(key)) keys.push(key);
    const expressions = keys.map(sortExpression);
    if (request.marker !== undefined) await this.after(qb, expressions, request, viewer);
    if (request.limit === 0) return []; // (TypeORM reads LIMIT 0 as no limit)
    const op = request.sortDir === 'asc' ? 'ASC' : 'DESC';
    for (const expression of expressions) qb.addOrderBy(expression, op);
    return qb.limit(request.limit).getMany();
  }

  /** Keeps the rows strictly after the marker in the list's order. */
  private async after(
    qb: SelectQueryBuilder<TaskEntity>,
    expressions: string[],
    request: TaskListRequest,
    viewer: TaskViewer,
  ): Promise<void> {
    const marker = request.marker!;
    const lookup = this.manager
      .createQueryBuilder(TaskEntity, 't')
      .select('t.owner', 'owner')
      .where('t.id = :marker AND t.deleted = false', { marker });
    // As text: a timestamp keeps its microseconds on the way back.
    expressions.forEach((e, i) => lookup.addSelect(`(${e})::text`, `k${i}`));
    const row = UUID.test(marker) ? await lookup.getRawOne<Record<string, string>>() : undefined;
    if (!row) throw new TaskMarkerNotFoundError(marker);
    if (!viewer.isAdmin && row.owner !== viewer.projectId) {
      throw new TaskMarkerForbiddenError(marker);
    }
    const beyond = request.sortDir === 'asc' ? '>' : '<';
    const disjuncts = expressions.map((expression, i) => {
      const equal = expressions.slice(0, i).map((e, j) => `${e} = :k${j}`);
      return `(${[...equal, `${expression} ${beyond} :k${i}`].join(' AND ')})`;
    });
    qb.andWhere(
      `(${disjuncts.join(' OR ')})`,
      Object.fromEntries(expressions.map((_, i) => [`k${i}`, row[`k${i}`]])),
    );
  }

  /** Tasks a worker holds in `processing` (its restart settles them). */
  heldBy(host: string): Promise<TaskEntity[]> {
    return this.manager.find(TaskEntity, {
      where: { worker_host: host, status: 'processing', deleted: false },
    });
  }

  /** Applies a task machine event atomically (one conditional UPDATE). */
  transition(
    id: string,
    event: TaskEvent,
    set?: TransitionRequest<string, TaskEvent, TaskEntity>['set'],
    where?: TransitionRequest<string, TaskEvent, TaskEntity>['where'],
  ): Promise<TaskEntity> {
    return applyTransition(this.manager, {
      machine: taskMachine,
      entity: TaskEntity,
      id,
      event,
      set,
      where,
    });
  }
}
