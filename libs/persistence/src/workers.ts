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

export function unfinishedWork(
  manager: EntityManager,
  serviceHost: string,
): Promise<WorkerEntity[]> {
  return manager.find(WorkerEntity, { where: { service_host: serviceHost }, order: { id: 'ASC' } });
}
