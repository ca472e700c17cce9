import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/** Whose rows a caller may see: one project's, or (admins) every project's. */
export interface Scope {
  /** Undefined: every project. */
  projectId?: string;
}

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/**
 * A row that is not soft-deleted, by id, if the scope may see it. An id that cannot be a uuid
 * finds nothing (PostgreSQL would refuse to compare it with a uuid column).
 */
export async function findLive<T extends ObjectLiteral & { project_id?: string }>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  id: string,
  scope: Scope = {},
): Promise<T | null> {
  if (!UUID.test(id)) return null;
  const row = await manager
    .createQueryBuilder(entity, 't')
    .where('t.id = :id AND t.deleted = false', { id })
    .getOne();
  if (!row) return null;
  if (scope.projectId !== undefined && row.project_id !== scope.projectId) return null;
  return row;
}
