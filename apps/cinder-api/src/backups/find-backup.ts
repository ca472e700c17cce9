import type { EntityManager } from 'typeorm';
import { BackupEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { NOT_FOUND, notFound } from '../common/cinder-errors';
import { isUuid } from '../common/validation';

/** A backup the caller may see (its project's, or any for an admin), else Cinder's 404. */
export async function findBackup(
  manager: EntityManager,
  caller: RequestContext,
  id: string,
): Promise<BackupEntity> {
  const backup = isUuid(id)
    ? await manager.findOne(BackupEntity, { where: { id, deleted: false } })
    : null;
  if (!backup || (!caller.isAdmin && backup.project_id !== caller.projectId)) {
    throw notFound(NOT_FOUND.backup(id));
  }
  return backup;
}
