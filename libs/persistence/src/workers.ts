import type { EntityManager } from 'typeorm';
import { WorkerEntity } from './entities/worker.entity';
import { NOW_UTC } from './utc';

/**
 * Cinder's `workers` rows: a service notes the work it starts on a resource and removes the
 * note in the same transaction that finishes the work. A note left behind means the service
 * died mid-way; its next start cleans the resource up.
 */
export async function recordWork(
  manager: EntityManager,
  work: { resourceType: string; resourceId: string; status: string; serviceHost: string },
): Promise<void> {
  await manager.query(
    `INSERT INTO workers (resource_type, resource_id, status, service_host, created_at)
     VALUES ($1, $2, $3, $4, ${NOW_UTC})
     ON CONFLICT (resource_type, resource_id)
       DO UPDATE SET status = EXCLUDED.status, service_host = EXCLUDED.service_host, created_at = EXCLUDED.created_at`,
    [work.resourceType, work.resourceId, work.status, work.serviceHost],
  );
}

/**
 * Notes the work only if no note exists for the resource: false means another delivery of the
 * same request is at it already (notes of a dead process are gone once its service restarted).
 * A handler claims through WorkClaims, which also takes over what its own earlier runs left.
 */
export async function claimWork(
  manager: EntityManager,
  work: { resourceType: string; resourceId: string; status: string; serviceHost: string },
): Promise<boolean> {
  const inserted = (await manager.query(
    `INSERT INTO workers (resource_type, resource_id, status, service_host, created_at)
     VALUES ($1, $2, $3, $4, ${NOW_UTC})
     ON CONFLICT (resource_type, resource_id) DO NOTHING
     RETURNING id`,
    [work.resourceType, work.resourceId, work.status, work.serviceHost],
  )) as unknown[];
  return inserted.length === 1;
}

/** Work on one resource, as a service's run notes it (the host is the service's). */
export interface Work {
  resourceType: string;
  resourceId: string;
  status: string;
}

/**
 * The runs of work in progress in this process, and their notes (one instance per service).
 *
 * claimWork alone cannot tell a note of a run still in progress from one that a run of this
 * process left behind when it could not remove it (PostgreSQL went away under both its last step
 * and its clean-up): a run again of the same work, once the database is back, would take it for
 * another delivery at work and do nothing, leaving the resource in its transient status until
 * the service restarts. This process knows which of its runs are in progress, so it can tell.
 *
 * A run is of one work on one resource (e.g. the create of backup B): other work on the same
 * resource may run beside it (a force-delete taking over a create still running; see
 * takeOverWork).
 */
export class WorkClaims {
  /** Per resource, the work of each run in progress on it. */
  private readonly running = new Map<string, Set<string>>();

  constructor(readonly serviceHost: string) {}

  /**
   * Starts a run of the work, or returns null if one is in progress in this process already.
   * Synchronous, so that of two concurrent starts only one gets through. End the run (`end`) in
   * a `finally`, whatever happened.
   */
  begin(work: Work): WorkRun | null {
    const key = resourceKey(work);
    const statuses = this.running.get(key) ?? new Set<string>();
    if (statuses.has(work.status)) return null;
    statuses.add(work.status);
    this.running.set(key, statuses);
    let ended = false;
    return new WorkRun(this, work, () => {
      if (ended) return;
      ended = true;
      statuses.delete(work.status);
      if (statuses.size === 0 && this.running.get(key) === statuses) this.running.delete(key);
    });
  }

  /** The work of the runs in progress on the resource in this process, but `work`'s own. */
  othersOn(work: Work): string[] {
    return [...(this.running.get(resourceKey(work)) ?? [])].filter((s) => s !== work.status);
  }
}

/** One run of work in progress in this process (see WorkClaims.begin). */
export class WorkRun {
  constructor(
    private readonly claims: WorkClaims,
    readonly work: Work,
    private readonly ended: () => void,
  ) {}

  /**
   * Notes the work, as claimWork; false means another delivery is at it. A note of this
   * service's host that no run in progress in this process holds is one an earlier run could
   * not remove, whatever its work: the run takes it over. A note of another host, or of another
   * run in progress here, is left alone. (Notes of an earlier incarnation of the process are
   * gone: the restart cleanup settled them before any run began.)
   */
  async claim(manager: EntityManager): Promise<boolean> {
    const { resourceType, resourceId, status } = this.work;
    const serviceHost = this.claims.serviceHost;
    const noted = (await manager.query(
      `INSERT INTO workers (resource_type, resource_id, status, service_host, created_at)
       VALUES ($1, $2, $3, $4, ${NOW_UTC})
       ON CONFLICT (resource_type, resource_id) DO UPDATE
         SET status = EXCLUDED.status, created_at = EXCLUDED.created_at
         WHERE workers.service_host = EXCLUDED.service_host AND workers.status <> ALL($5)
       RETURNING id`,
      [resourceType, resourceId, status, serviceHost, this.claims.othersOn(this.work)],
    )) as unknown[];
    return noted.length === 1;
  }

  /**
   * Removes the run's note (this work's, of this service's host) without finishing the work, so
   * that a redelivery, here or at another service, can claim it again. A note another service
   * holds (it claimed the work meanwhile) is left alone.
   */
  async release(manager: EntityManager): Promise<void> {
    await manager.delete(WorkerEntity, {
      resource_type: this.work.resourceType,
      resource_id: this.work.resourceId,
      status: this.work.status,
      service_host: this.claims.serviceHost,
    });
  }

  /** Ends the run: its note, if one is left, is a leftover from now on. */
  end(): void {
    this.ended();
  }
}

function resourceKey(work: Work): string {
  return `${work.resourceType}:${work.resourceId}`;
}

/**
 * Notes the work in place of a note of other work on the resource (one of `from`), e.g. a
 * force-delete taking a backup from the create that is still running. Run it in a transaction:
 * of several concurrent takeovers only one finds the old note, so only one goes ahead.
 */
export async function takeOverWork(
  manager: EntityManager,
  work: { resourceType: string; resourceId: string; status: string; serviceHost: string },
  from: readonly string[],
): Promise<boolean> {
  const removed = (await manager.query(
    `DELETE FROM workers WHERE resource_type = $1 AND resource_id = $2 AND status = ANY($3)
     RETURNING id`,
    [work.resourceType, work.resourceId, [...from]],
  )) as [unknown[], number];
  return removed[1] === 1 && claimWork(manager, work);
}

/**
 * Removes the note; with `status`, only a note of that work, so that a handler whose work was
 * taken over (see takeOverWork) leaves the new owner's note alone.
 */
export async function finishWork(
  manager: EntityManager,
  resourceType: string,
  resourceId: string,
  status?: string,
): Promise<void> {
  await manager.delete(WorkerEntity, {
    resource_type: resourceType,
    resource_id: resourceId,
    ...(status === undefined ? {} : { status }),
  });
}

/**
 * Removes exactly this note (its work and host too): a follow-up's note (see ManagerWork's
 * follow-ups) must not take another host's note of the same resource with it.
 */
export async function finishNote(
  manager: EntityManager,
  work: { resourceType: string; resourceId: string; status: string; serviceHost: string },
): Promise<void> {
  await manager.delete(WorkerEntity, {
    resource_type: work.resourceType,
    resource_id: work.resourceId,
    status: work.status,
    service_host: work.serviceHost,
  });
}

/** Whether exactly this note (its work and host too) is there. */
export function isNoted(
  manager: EntityManager,
  work: { resourceType: string; resourceId: string; status: string; serviceHost: string },
): Promise<boolean> {
  return manager.existsBy(WorkerEntity, {
    resource_type: work.resourceType,
    resource_id: work.resourceId,
    status: work.status,
    service_host: work.serviceHost,
  });
}

export function unfinishedWork(
  manager: EntityManager,
  serviceHost: string,
): Promise<WorkerEntity[]> {
  return manager.find(WorkerEntity, { where: { service_host: serviceHost }, order: { id: 'ASC' } });
}
