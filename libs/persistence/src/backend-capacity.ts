import type { EntityManager } from 'typeorm';

// The first key of the two-key advisory locks that stand for backends; the two-key space does
// not overlap the single-key one the migrations lock uses.
const BACKEND_LOCK_SPACE = 0x43464243; // 'CFBC'

/**
 * Takes the lock that serialises placements on one backend (`host@backend`), across every
 * scheduler process, until the transaction ends. Two backends whose names hash alike merely
 * take turns.
 */
export async function lockBackend(manager: EntityManager, serviceHost: string): Promise<void> {
  // Outside a transaction the lock would be released as soon as it was taken.
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error('lockBackend needs a transaction');
  }
  await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
    BACKEND_LOCK_SPACE,
    serviceHost,
  ]);
}

/**
 * GiB promised on a backend according to the database: the sizes of its volumes that are not
 * deleted, whatever their status — those still `creating` too, which no capability report of
 * the backend counts yet, and an extend's new size from its start. `excludeVolumeId` leaves out the volume being placed.
 */
export async function provisionedOnBackend(
  manager: EntityManager,
  serviceHost: string,
  options: { excludeVolumeId?: string } = {},
): Promise<number> {
  // `host` is `host@backend#pool`: the part before '#' names the backend.
  const rows = (await manager.query(
    // An extend in progress already holds its new size (Cinder's scheduler consumes it).
    `SELECT COALESCE(SUM(GREATEST(size, COALESCE((admin_metadata->>'extend_new_size')::int, 0))), 0)::bigint AS gb
     FROM volumes
     WHERE NOT deleted
       AND (split_part(host, '#', 1) = $1
            -- a volume migrating here already holds its size here too
            OR split_part(admin_metadata->>'migration_host', '#', 1) = $1)
       AND ($2::uuid IS NULL OR id <> $2::uuid)`,
    [serviceHost, options.excludeVolumeId ?? null],
  )) as { gb: string }[];
  return Number(rows[0].gb);
}
