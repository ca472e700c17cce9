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

export async function finishWork(
  manager: EntityManager,
  resourceType: string,
  resourceId: string,
): Promise<void> {
  await manager.delete(WorkerEntity, { resource_type: resourceType, resource_id: resourceId });
}

export function unfinishedWork(
  manager: EntityManager,
  serviceHost: string,
): Promise<WorkerEntity[]> {
  return manager.find(WorkerEntity, { where: { service_host: serviceHost }, order: { id: 'ASC' } });
}
