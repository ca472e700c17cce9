import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { InvalidTransitionError, type StatusMachine } from '@cinderflow/status-machines';
import { NOW_UTC } from './utc';

/** The row a transition targets does not exist (or is soft-deleted). */
export class RecordNotFoundError extends Error {
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${id} could not be found.`);
    this.name = 'RecordNotFoundError';
  }
}

/** The row exists but its status (or an extra guard) does not allow the event. */
export class StatusConflictError extends InvalidTransitionError {
  constructor(
    machine: string,
    readonly id: string,
    current: string,
    event: string,
    allowedFrom: readonly string[],
  ) {
    super(machine, current, event, allowedFrom);
    this.name = 'StatusConflictError';
  }
}

/** Columns a table needs for its status to be driven by a machine (besides the status). */
export interface StatusRow extends ObjectLiteral {
  id: string | number;
  deleted: boolean;
  updated_at: Date | null;
}

export interface TransitionRequest<S extends string, E extends string, T extends StatusRow> {
  machine: StatusMachine<S, E>;
  entity: EntityTarget<T>;
  id: string | number;
  event: E;
  /** The machine's column: `status` unless the table names it otherwise (`attach_status`). */
  column?: string;
  /** Other columns to change in the same statement: values, or SQL as `() => 'now()'`. */
  set?: { [K in keyof T]?: T[K] | (() => string) };
  /** Extra guard, e.g. `host = :host`; a row failing it counts as a conflict. */
  where?: { sql: string; params: Record<string, unknown> };
}

/**
 * Applies a machine event to a row as one conditional UPDATE (Cinder's conditional_update):
 * the status changes only if it is still one the event is allowed from, so concurrent requests
 * can never both win. Returns the updated row; explains a miss as not-found or conflict.
 */
export async function applyTransition<S extends string, E extends string, T extends StatusRow>(
  manager: EntityManager,
  request: TransitionRequest<S, E, T>,
): Promise<T> {
  const { machine, entity, id, event, set, where } = request;
  const column = request.column ?? 'status';
  const { from, to, savePrevious } = machine.transition(event);
  machine.checkRequired(event, (set ?? {}) as Record<string, unknown>);
  const values: Record<string, unknown> = { ...set, updated_at: () => NOW_UTC };
  // In an UPDATE every right-hand side sees the row as it was, so `previous_status = status`
  // saves the status being left in the same statement.
  if (savePrevious) values.previous_status = () => column;
  values[column] = typeof to === 'string' ? to : () => 'previous_status';
  const update = manager
    .createQueryBuilder()
    .update(entity)
    .set(values as QueryDeepPartialEntity<T>)
    .where('id = :id', { id })
    .andWhere('deleted = false')
    .andWhere(`${column} IN (:...from)`, { from });
  if (typeof to !== 'string') {
    update.andWhere('previous_status IN (:...previous)', { previous: to.previous });
  }
  if (where) {
    update.andWhere(where.sql, where.params);
  }
  const result = await update.returning('*').execute();
  const rows = result.raw as T[];
  if (rows.length === 1) {
    return rows[0];
  }
  const current = await manager
    .createQueryBuilder()
    .select(`t.${column}`, 'status')
    .from(entity, 't')
    .where('t.id = :id', { id })
    .andWhere('t.deleted = false')
    .getRawOne<{ status: string }>();
  if (!current) {
    throw new RecordNotFoundError(machine.name, String(id));
  }
  throw new StatusConflictError(machine.name, String(id), current.status, event, from);
}
