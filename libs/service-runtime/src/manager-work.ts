import type { DataSource, EntityManager, EntityTarget } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import { isTransientError } from '@cinderflow/messaging';
import {
  applyTransition,
  claimWork,
  finishNote,
  finishWork,
  isNoted,
  type MessageAction,
  type MessageDetail,
  type MessageResource,
  RecordNotFoundError,
  recordUserMessage,
  StatusConflictError,
  type StatusRow,
  WorkClaims,
  type WorkerEntity,
  type WorkRun,
} from '@cinderflow/persistence';
import { currentContext } from '@cinderflow/request-context';
import type { StatusMachine } from '@cinderflow/status-machines';

type SetValues<T> = { [K in keyof T]?: T[K] | (() => string) };

/**
 * One kind of work a manager does on a resource (Cinder's workers): the API has moved the
 * resource to `status` and sent the work; the manager does it through its driver and applies
 * `succeeded` or `failed`. A note in `workers` marks the work in progress, so that a restart
 * knows what was interrupted: `onRestart` says whether to settle it with `failed` or run again.
 */
export interface WorkKind<S extends string, E extends string, T extends StatusRow> {
  resourceType: string;
  machine: StatusMachine<S, E>;
  entity: EntityTarget<T>;
  status: S;
  succeeded: E;
  failed: E;
  onRestart: 'fail' | 'resume';
  /** Columns the `failed` transition also sets, on a driver failure and on restart cleanup. */
  failedSet?: () => SetValues<T>;
  /** The user message a failure leaves (Cinder's message API). */
  failureMessage?: { action: MessageAction; detail: MessageDetail; resource?: MessageResource };
}

/** Declares a kind of work; a constant beside its handler, registered with ManagerWork. */
export function defineWork<S extends string, E extends string, T extends StatusRow>(
  kind: WorkKind<S, E, T>,
): WorkKind<S, E, T> {
  return kind;
}

export interface WorkStep<T extends StatusRow, R> {
  /** Extra condition the row must meet to be this work's (e.g. `host = :host`). */
  guard?: { sql: string; params: Record<string, unknown> };
  /**
   * More to do in the transaction that claims the work, before `run` (e.g. noting a follow-up
   * that must happen if the process dies while `run` is under way).
   */
  onClaim?: (tx: EntityManager, row: T) => Promise<void>;
  /** The driver's part; must be idempotent (a redelivery or a resumed run calls it again). */
  run: (row: T) => Promise<R>;
  /** Columns to set with the `succeeded` transition. */
  set?: (row: T, result: R) => SetValues<T>;
  /** Columns to set with the `failed` transition. */
  setOnFailure?: (row: T, error: Error) => SetValues<T>;
  /** More to do in the transaction of the `succeeded` transition (e.g. an outbox message). */
  then?: (tx: EntityManager, row: T, result: R) => Promise<void>;
  /** More to do in the transaction of the `failed` transition. */
  onFailure?: (tx: EntityManager, row: T, error: Error) => Promise<void>;
  /** Extra condition of the `succeeded` transition (e.g. the row unchanged since `run` began). */
  succeedIf?: (row: T, result: R) => { sql: string; params: Record<string, unknown> };
  /** Extra condition of the `failed` transition (the row still about this work). */
  failIf?: (row: T) => { sql: string; params: Record<string, unknown> };
  /**
   * Called when the resource turned out to have moved on, before the run or at its end (the end
   * transition found it changed): what the work must leave behind then, outside the status.
   */
  onMovedOn?: (manager: EntityManager) => Promise<void>;
}

export type WorkOutcome = 'done' | 'failed' | 'skipped';

/** The `status` of a follow-up's note (its `resource_type` is the follow-up's name). */
const FOLLOW_UP = 'follow-up';

/**
 * The skeleton every manager handler repeats: note the work (only if the resource is still in
 * the work's status), call the driver, then apply the end transition and remove the note in one
 * transaction. Transient errors (the database or broker blinked) propagate, so the message is
 * redelivered and the work runs again; any other error applies `failed`. A resource that moved
 * on meanwhile (a reset-status, a duplicate delivery that finished first) is left as it is.
 */
export class ManagerWork {
  private readonly kinds: WorkKind<string, string, StatusRow>[] = [];
  /** Runs in progress in this process: a second delivery of the same work waits its turn out. */
  private readonly claims: WorkClaims;
  private readonly resumers = new Map<
    WorkKind<string, string, StatusRow>,
    (id: string) => Promise<unknown>
  >();
  private readonly followUps = new Map<string, (id: string) => Promise<void>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly serviceHost: string,
    private readonly logger: Logger,
  ) {
    this.claims = new WorkClaims(serviceHost);
  }

  /** Makes a kind known to the restart cleanup; `resume` reruns it (for `onRestart: 'resume'`). */
  register<S extends string, E extends string, T extends StatusRow>(
    kind: WorkKind<S, E, T>,
    resume?: (id: string) => Promise<unknown>,
  ): void {
    const k = kind as unknown as WorkKind<string, string, StatusRow>;
    this.kinds.push(k);
    if (resume) this.resumers.set(k, resume);
  }

  /**
   * Declares a follow-up: something that must happen once an end transition is committed, even
   * if the process dies right after the commit (e.g. removing a migrated volume's old bytes).
   * `noteFollowUp` notes it in the end's transaction, `runFollowUp` does it and removes the
   * note, and the restart cleanup does what a dead process left noted. `run` must be
   * idempotent. `name` is the note's resource_type (at most 40 characters).
   */
  registerFollowUp(name: string, run: (id: string) => Promise<void>): void {
    if (this.kinds.some((k) => k.resourceType === name)) {
      throw new Error(`follow-up '${name}' would take the notes of work on ${name}s`);
    }
    this.followUps.set(name, run);
  }

  /**
   * Notes the follow-up for the resource, in `tx` (the end transition's). A note of the same
   * follow-up that another host left for the resource (it died and never came back) is kept:
   * one note per resource, so this host's follow-up is then done in-line only.
   */
  async noteFollowUp(tx: EntityManager, name: string, id: string): Promise<void> {
    const noted = await claimWork(tx, this.followUpNote(name, id));
    if (!noted) {
      this.logger.warn(
        { follow_up: name, resource_id: id },
        'another host has this follow-up noted; doing it in-line only',
      );
    }
  }

  /**
   * Does the follow-up if this host has it noted for the resource, then removes the note. A
   * failure that is not transient leaves the note to the restart cleanup.
   */
  async runFollowUp(name: string, id: string): Promise<void> {
    const run = this.followUps.get(name);
    if (!run) throw new Error(`unknown follow-up '${name}'`);
    const note = this.followUpNote(name, id);
    if (!(await isNoted(this.dataSource.manager, note))) return;
    try {
      await run(id);
    } catch (caught) {
      const error = caught as Error;
      if (isTransientError(error)) throw error;
      this.logger.error(
        { follow_up: name, resource_id: id, err: error.message },
        'follow-up failed; the restart cleanup tries again',
      );
      return;
    }
    await finishNote(this.dataSource.manager, note);
  }

  /** Removes the follow-up's note of this host in `tx`: it is no longer needed. */
  async dropFollowUp(tx: EntityManager, name: string, id: string): Promise<void> {
    await finishNote(tx, this.followUpNote(name, id));
  }

  /** Whether this host has the follow-up noted for the resource (not done yet). */
  followUpPending(name: string, id: string): Promise<boolean> {
    return isNoted(this.dataSource.manager, this.followUpNote(name, id));
  }

  private followUpNote(name: string, id: string) {
    return { resourceType: name, resourceId: id, status: FOLLOW_UP, serviceHost: this.serviceHost };
  }

  async run<S extends string, E extends string, T extends StatusRow, R>(
    kind: WorkKind<S, E, T>,
    id: string,
    step: WorkStep<T, R>,
  ): Promise<WorkOutcome> {
    const log = this.logger.child({ [`${kind.resourceType}_id`]: id, work: kind.status });
    // A duplicate (another cast of the same work) while a run is in progress here does nothing:
    // the run in progress finishes the work. Redeliveries of one message are already serialized.
    const run = this.claims.begin({
      resourceType: kind.resourceType,
      resourceId: id,
      status: kind.status,
    });
    if (!run) {
      log.info('the same work is already running here; nothing to do');
      return 'skipped';
    }
    try {
      return await this.runClaimed(kind, id, step, run, log);
    } finally {
      run.end();
    }
  }

  private async runClaimed<S extends string, E extends string, T extends StatusRow, R>(
    kind: WorkKind<S, E, T>,
    id: string,
    step: WorkStep<T, R>,
    run: WorkRun,
    log: Logger,
  ): Promise<WorkOutcome> {
    const claimed = await this.dataSource.transaction(async (tx) => {
      const qb = tx
        .createQueryBuilder(kind.entity, 't')
        .setLock('pessimistic_write')
        .where('t.id = :id AND t.deleted = false', { id })
        .andWhere('t.status = :status', { status: kind.status });
      if (step.guard) qb.andWhere(step.guard.sql, step.guard.params);
      const found = await qb.getOne();
      if (!found) return 'moved-on' as const;
      // Takes over a note an earlier run of this host left (it died, or the database went away
      // under its end); a note of another host means another service is at it.
      if (!(await run.claim(tx))) return 'busy' as const;
      if (step.onClaim) await step.onClaim(tx, found);
      return found;
    });
    if (claimed === 'busy') {
      log.info('another service is at this work; nothing to do');
      return 'skipped';
    }
    if (claimed === 'moved-on') {
      // A note an earlier run of this work left (it died) goes too: nothing is left to do.
      await finishWork(this.dataSource.manager, kind.resourceType, id, kind.status);
      if (step.onMovedOn) await step.onMovedOn(this.dataSource.manager);
      log.info('not in this work any more; nothing to do');
      return 'skipped';
    }
    const row = claimed;

    let result: R;
    try {
      result = await step.run(row);
    } catch (caught) {
      const error = caught as Error;
      if (isTransientError(error)) throw error;
      log.error({ err: error.message }, 'driver failed');
      const set = step.setOnFailure?.(row, error) ?? kind.failedSet?.();
      const settled = await this.end(
        kind,
        id,
        kind.failed,
        set,
        (tx) => this.onFailure(kind, tx, row, error, step),
        { where: step.failIf?.(row), onMovedOn: step.onMovedOn },
      );
      return settled ? 'failed' : 'skipped';
    }
    const ended = await this.end(
      kind,
      id,
      kind.succeeded,
      step.set?.(row, result),
      (tx) => (step.then ? step.then(tx, row, result) : Promise.resolve()),
      { where: step.succeedIf?.(row, result), onMovedOn: step.onMovedOn },
    );
    if (ended) log.info('work done');
    return ended ? 'done' : 'skipped';
  }

  /**
   * The restart cleanup for one note this host left: true if a registered kind settled it
   * (`failed`) or ran it again, or a registered follow-up was done; false if nothing here knows
   * the note.
   */
  async settleLeftover(note: WorkerEntity): Promise<boolean> {
    if (note.status === FOLLOW_UP && this.followUps.has(note.resource_type)) {
      this.logger.warn(
        { follow_up: note.resource_type, resource_id: note.resource_id },
        'follow-up left by a restart; doing it',
      );
      await this.runFollowUp(note.resource_type, note.resource_id);
      return true;
    }
    const kind = this.kinds.find(
      (k) => k.resourceType === note.resource_type && k.status === note.status,
    );
    if (!kind) return false;
    const log = this.logger.child({
      [`${kind.resourceType}_id`]: note.resource_id,
      work: kind.status,
    });
    const resume = this.resumers.get(kind);
    if (kind.onRestart === 'resume' && resume) {
      log.warn('work interrupted by a restart; resuming');
      await resume(note.resource_id);
      return true;
    }
    const settled = await this.end(
      kind,
      note.resource_id,
      kind.failed,
      kind.failedSet?.(),
      async (tx) => {
        if (kind.failureMessage)
          await this.userMessage(kind, tx, note.resource_id, 'interrupted by a restart');
      },
    );
    if (settled) log.warn({ event: kind.failed }, 'work interrupted by a restart; settled');
    else await finishWork(this.dataSource.manager, note.resource_type, note.resource_id);
    return true;
  }

  private async onFailure<T extends StatusRow, R>(
    kind: WorkKind<string, string, T>,
    tx: EntityManager,
    row: T,
    error: Error,
    step: WorkStep<T, R>,
  ): Promise<void> {
    if (kind.failureMessage) await this.userMessage(kind, tx, String(row.id), error.message);
    if (step.onFailure) await step.onFailure(tx, row, error);
  }

  private async userMessage<T extends StatusRow>(
    kind: WorkKind<string, string, T>,
    tx: EntityManager,
    id: string,
    explanation: string,
  ): Promise<void> {
    const message = kind.failureMessage!;
    const row = await tx.createQueryBuilder(kind.entity, 't').where('t.id = :id', { id }).getOne();
    await recordUserMessage(tx, {
      projectId: String((row as { project_id?: string } | null)?.project_id ?? '-'),
      requestId: currentContext()?.requestId ?? '-',
      resourceUuid: id,
      action: message.action,
      detail: message.detail,
      explanation,
      resourceType: message.resource,
    });
  }

  /** Applies the end transition, removes the note and runs `more`, in one transaction. */
  private async end<T extends StatusRow>(
    kind: WorkKind<string, string, T>,
    id: string,
    event: string,
    set: SetValues<T> | undefined,
    more: (tx: EntityManager) => Promise<void>,
    options: Pick<WorkStep<T, unknown>, 'onMovedOn'> & {
      where?: { sql: string; params: Record<string, unknown> };
    } = {},
  ): Promise<boolean> {
    try {
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: kind.machine,
          entity: kind.entity,
          id,
          event,
          set,
          where: options.where,
        });
        await finishWork(tx, kind.resourceType, id);
        await more(tx);
      });
      return true;
    } catch (error) {
      if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
        // Moved on meanwhile (reset-status, force-delete, a duplicate that finished first).
        await finishWork(this.dataSource.manager, kind.resourceType, id, kind.status);
        if (options.onMovedOn) await options.onMovedOn(this.dataSource.manager);
        return false;
      }
      throw error;
    }
  }
}
