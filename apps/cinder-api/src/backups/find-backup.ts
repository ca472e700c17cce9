import type { EntityManager } from 'typeorm';
import { type BackupEntity, BackupsRepository } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { NOT_FOUND, notFound } from '../common/cinder-errors';
import { isUuid } from '../common/validation';

/** A backup the caller may see (its project's, or any for an admin), else Cinder's 404. */
export async function findBackup(
  manager: EntityManager,
  caller: RequestContext,
  id: string,
): Promise<BackupEntity> {
  const backup = isUuid(id) ? await new BackupsRepository(manager).findLive(id) : null;
  if (!backup || (!caller.isAdmin && backup.project_id !== caller.projectId)) {
    throw notFound(NOT_FOUND.backup(id));
  }
  return backup;
}
