import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { NOW_UTC } from './utc';

/** Cinder's configured quota defaults (quota_volumes, quota_gigabytes, ...); -1 is unlimited. */
export type QuotaDefaults = Record<string, number>;

/** Cinder's option defaults (cinder/quota.py quota_opts). */
export const CINDER_QUOTA_DEFAULTS: QuotaDefaults = {
  volumes: 10,
  snapshots: 10,
  gigabytes: 1000,
  backups: 10,
  backup_gigabytes: 1000,
  groups: 10,
  per_volume_gigabytes: -1,
};

/** Cinder's default quota class name. */
export const DEFAULT_QUOTA_CLASS = 'default';

/** Per-volume-type resources (volumes_<type>, gigabytes_<type>, ...) are unlimited by default. */
const UNLIMITED = -1;

export interface QuotaUsage {
  in_use: number;
  reserved: number;
}

/** Cinder's OverQuota: which resources the reservation would exceed, with the limits and usages seen. */
export class OverQuotaError extends Error {
  constructor(
    readonly overs: string[],
    readonly quotas: Record<string, number>,
    readonly usages: Record<string, QuotaUsage>,
  ) {
    super(`Quota exceeded for resources: ${JSON.stringify(overs)}`);
    this.name = 'OverQuotaError';
  }
}

/** Cinder's reservation_expire default (seconds). */
const RESERVATION_EXPIRE_S = 86_400;

interface UsageRow {
  id: number;
  resource: string;
  in_use: number;
  reserved: number;
}

/**
 * Cinder's DbQuotaDriver over quotas/quota_classes/quota_usages/reservations: reserve checks hard
 * limits against in_use + reserved + delta with the project's usage rows locked, so concurrent
 * reserves take turns; commit and rollback settle reservations. Each method runs in the caller's
 * transaction when given one, so a reservation commits (or vanishes) with the caller's status write.
 */
export class QuotaEngine {
  constructor(
    private readonly dataSource: DataSource,
    private readonly defaults: QuotaDefaults = CINDER_QUOTA_DEFAULTS,
  ) {}

  private inTx<T>(tx: EntityManager | undefined, fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return tx ? fn(tx) : this.dataSource.transaction(fn);
  }

  /**
   * Every quota resource, as Cinder's QUOTAS lists them: the fixed ones, then volumes_<type>,
   * gigabytes_<type> and snapshots_<type> for each volume type.
   */
  async resourceNames(tx?: EntityManager): Promise<string[]> {
    const m = tx ?? this.dataSource.manager;
    const types = (await m.query(
      `SELECT name FROM volume_types WHERE NOT deleted ORDER BY name`,
    )) as { name: string }[];
    return [
      ...Object.keys(CINDER_QUOTA_DEFAULTS),
      ...types.flatMap((t) => [`volumes_${t.name}`, `gigabytes_${t.name}`, `snapshots_${t.name}`]),
    ];
  }

  /** Configured defaults overridden by the `default` quota class (Cinder's get_defaults). */
  async defaultLimits(resources: string[], tx?: EntityManager): Promise<Record<string, number>> {
    const m = tx ?? this.dataSource.manager;
    const rows = (await m.query(
      `SELECT resource, hard_limit FROM quota_classes WHERE class_name = $1`,
      [DEFAULT_QUOTA_CLASS],
    )) as { resource: string; hard_limit: number }[];
    const byClass = new Map(rows.map((r) => [r.resource, r.hard_limit]));
    const out: Record<string, number> = {};
    for (const r of resources) out[r] = byClass.get(r) ?? this.defaults[r] ?? UNLIMITED;
    return out;
  }

  /** The project's limits: its own quotas over the defaults (Cinder's get_project_quotas). */
  async projectLimits(
    projectId: string,
    resources: string[],
    tx?: EntityManager,
  ): Promise<Record<string, number>> {
    const m = tx ?? this.dataSource.manager;
    const limits = await this.defaultLimits(resources, m);
    const rows = (await m.query(
      `SELECT resource, hard_limit FROM quotas WHERE project_id = $1 AND resource = ANY($2)`,
      [projectId, resources],
    )) as { resource: string; hard_limit: number }[];
    for (const r of rows) limits[r.resource] = r.hard_limit;
    return limits;
  }

  /** Usages of the project (missing rows read as zero). */
  async usages(projectId: string, tx?: EntityManager): Promise<Record<string, QuotaUsage>> {
    const m = tx ?? this.dataSource.manager;
    const rows = (await m.query(
      `SELECT resource, in_use, reserved FROM quota_usages WHERE project_id = $1`,
      [projectId],
    )) as UsageRow[];
    return Object.fromEntries(
      rows.map((r) => [r.resource, { in_use: r.in_use, reserved: r.reserved }]),
    );
  }

  /**
   * Reserves `deltas` for the project; returns the reservation uuids or throws OverQuotaError.
   * Only positive deltas are checked and held as `reserved` (a project over quota may always shrink).
   */
  async reserve(
    projectId: string,
    deltas: Record<string, number>,
    tx?: EntityManager,
  ): Promise<string[]> {
    const resources = Object.keys(deltas).sort();
    if (resources.length === 0) return [];
    return this.inTx(tx, async (m) => {
      // FOR UPDATE cannot lock rows that do not exist: create the missing ones first. ON CONFLICT
      // waits for a concurrent creator of the same row and then skips it, so no duplicate fails.
      await m.query(
        `INSERT INTO quota_usages (project_id, resource)
         SELECT $1, r FROM unnest($2::text[]) AS r ORDER BY r
         ON CONFLICT (project_id, resource) DO NOTHING`,
        [projectId, resources],
      );
      // Locked in one order by every reserver, so two reserves never deadlock.
      const rows = (await m.query(
        `SELECT id, resource, in_use, reserved FROM quota_usages
         WHERE project_id = $1 AND resource = ANY($2) ORDER BY resource FOR UPDATE`,
        [projectId, resources],
      )) as UsageRow[];
      const usages = new Map(rows.map((r) => [r.resource, r]));
      const quotas = await this.projectLimits(projectId, resources, m);
      const overs = resources.filter((r) => {
        const u = usages.get(r)!;
        return quotas[r] >= 0 && deltas[r] >= 0 && quotas[r] < deltas[r] + u.in_use + u.reserved;
      });
      if (overs.length > 0) {
        throw new OverQuotaError(
          overs,
          quotas,
          Object.fromEntries(
            [...usages].map(([r, u]) => [r, { in_use: u.in_use, reserved: u.reserved }]),
          ),
        );
      }
      const ids: string[] = [];
      for (const r of resources) {
        const u = usages.get(r)!;
        const id = randomUUID();
        await m.query(
          `INSERT INTO reservations (uuid, usage_id, project_id, resource, delta, expire)
           VALUES ($1, $2, $3, $4, $5, ${NOW_UTC} + make_interval(secs => $6))`,
          [id, u.id, projectId, r, deltas[r], RESERVATION_EXPIRE_S],
        );
        if (deltas[r] > 0) {
          await m.query(
            `UPDATE quota_usages SET reserved = reserved + $2, updated_at = ${NOW_UTC} WHERE id = $1`,
            [u.id, deltas[r]],
          );
        }
        ids.push(id);
      }
      return ids;
    });
  }

  /**
   * A deleted volume's usage given back (Cinder's delete_volume: negative deltas for volumes,
   * gigabytes and their per-type resources, reserved and committed in `tx`, never refused).
   */
  async releaseVolume(
    tx: EntityManager,
    volume: { project_id: string; size: number; volume_type_id: string | null },
  ): Promise<void> {
    const types = (await tx.query(`SELECT name FROM volume_types WHERE id = $1`, [
      volume.volume_type_id,
    ])) as { name: string }[];
    const deltas: Record<string, number> = { volumes: -1, gigabytes: -volume.size };
    if (types.length === 1) {
      deltas[`volumes_${types[0].name}`] = -1;
      deltas[`gigabytes_${types[0].name}`] = -volume.size;
    }
    await this.commit(await this.reserve(volume.project_id, deltas, tx), tx);
  }

  /** A volume type's name, by id (per-type resources are named after it); null if none. */
  async typeNameOf(typeId: string | null, tx?: EntityManager): Promise<string | null> {
    if (!typeId) return null;
    const m = tx ?? this.dataSource.manager;
    const rows = (await m.query(`SELECT name FROM volume_types WHERE id = $1`, [typeId])) as {
      name: string;
    }[];
    return rows.length === 1 ? rows[0].name : null;
  }

  /** Reserves and commits `deltas` at once in `tx`, as Cinder's reserve-then-commit pairs do. */
  async consume(projectId: string, deltas: Record<string, number>, tx: EntityManager) {
    await this.commit(await this.reserve(projectId, deltas, tx), tx);
  }

  /**
   * A deleted snapshot's usage given back (cinder/volume/manager.py delete_snapshot): snapshots
   * and, unless no_snapshot_gb_quota, gigabytes, with their per-type resources; in `tx`, the
   * row's deletion. A snapshot that never used quota (use_quota false) gives nothing back. The
   * per-type resources are its volume's type's, as Cinder's (a retype moved them there).
   */
  async releaseSnapshot(
    tx: EntityManager,
    snapshot: {
      project_id: string;
      volume_id: string | null;
      volume_size: number;
      volume_type_id: string | null;
      use_quota: boolean;
    },
    noSnapshotGbQuota: boolean,
  ): Promise<void> {
    if (!snapshot.use_quota) return;
    const volumes = (await tx.query(`SELECT volume_type_id FROM volumes WHERE id = $1`, [
      snapshot.volume_id,
    ])) as { volume_type_id: string | null }[];
    const typeId = volumes.length === 1 ? volumes[0].volume_type_id : snapshot.volume_type_id;
    const typeName = await this.typeNameOf(typeId, tx);
    const deltas = snapshotDeltas(snapshot.volume_size, typeName, noSnapshotGbQuota, -1);
    await this.consume(snapshot.project_id, deltas, tx);
  }

  /** A deleted backup's usage given back (cinder/backup/manager.py delete_backup), in `tx`. */
  async releaseBackup(
    tx: EntityManager,
    backup: { project_id: string; size: number | null },
  ): Promise<void> {
    await this.consume(backup.project_id, backupDeltas(backup.size ?? 0, -1), tx);
  }

  /** Moves reservations into in_use (never below zero) and forgets them. */
  commit(reservations: string[], tx?: EntityManager): Promise<void> {
    return this.settle(reservations, true, tx);
  }

  /** Releases reservations without using them. */
  rollback(reservations: string[], tx?: EntityManager): Promise<void> {
    return this.settle(reservations, false, tx);
  }

  private async settle(reservations: string[], commit: boolean, tx?: EntityManager): Promise<void> {
    if (reservations.length === 0) return;
    await this.inTx(tx, async (m) => {
      // Usage rows first, in the order reserve locks them, then the reservations.
      await m.query(
        `SELECT u.id FROM quota_usages u
         WHERE u.id IN (SELECT usage_id FROM reservations WHERE uuid = ANY($1::uuid[]))
         ORDER BY u.resource FOR UPDATE`,
        [reservations],
      );
      const rows = (await m.query(
        `DELETE FROM reservations WHERE uuid = ANY($1::uuid[]) RETURNING usage_id, delta`,
        [reservations],
      )) as [{ usage_id: number; delta: number }[], number];
      for (const r of rows[0]) {
        await m.query(
          `UPDATE quota_usages
           SET reserved = reserved - CASE WHEN $2 >= 0 THEN LEAST($2, reserved) ELSE 0 END,
               in_use = CASE WHEN $3 THEN GREATEST(in_use + $2, 0) ELSE in_use END,
               updated_at = ${NOW_UTC}
           WHERE id = $1`,
          [r.usage_id, r.delta, commit],
        );
      }
    });
  }
}

/** Cinder's reservation_clean_interval default: reservation_expire. */
export const RESERVATION_CLEAN_INTERVAL_S = RESERVATION_EXPIRE_S;

/**
 * Quota administration (Cinder's quota_create/update/destroy_by_project, quota_class_create/update,
 * get_class_quotas, reservation_expire), kept apart from the reserve path above.
 */
export class QuotaAdmin {
  constructor(
    private readonly dataSource: DataSource,
    private readonly engine: QuotaEngine,
  ) {}

  /** The project's own limits only (Cinder's get_project_quotas with defaults=False). */
  async ownLimits(projectId: string, tx?: EntityManager): Promise<Record<string, number>> {
    const m = tx ?? this.dataSource.manager;
    const rows = (await m.query(`SELECT resource, hard_limit FROM quotas WHERE project_id = $1`, [
      projectId,
    ])) as { resource: string; hard_limit: number }[];
    return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]));
  }

  /** Sets the project's limits (Cinder's quota_update, or quota_create when it has none yet). */
  async setProjectLimits(
    projectId: string,
    limits: Record<string, number>,
    tx?: EntityManager,
  ): Promise<void> {
    const m = tx ?? this.dataSource.manager;
    for (const [resource, limit] of Object.entries(limits).sort(([a], [b]) => a.localeCompare(b))) {
      await m.query(
        `INSERT INTO quotas (project_id, resource, hard_limit) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, resource)
         DO UPDATE SET hard_limit = EXCLUDED.hard_limit, updated_at = ${NOW_UTC}`,
        [projectId, resource, limit],
      );
    }
  }

  /**
   * Forgets the project's own limits, so it sees the defaults again (Cinder's
   * quota_destroy_by_project: usages and reservations stay, they still describe what exists).
   */
  async destroyProjectLimits(projectId: string, tx?: EntityManager): Promise<void> {
    const m = tx ?? this.dataSource.manager;
    await m.query(`DELETE FROM quotas WHERE project_id = $1`, [projectId]);
  }

  /**
   * A quota class's limits (Cinder's get_class_quotas): the class's own over the defaults (the
   * `default` class over the configured values).
   */
  async classLimits(
    className: string,
    resources: string[],
    tx?: EntityManager,
  ): Promise<Record<string, number>> {
    const m = tx ?? this.dataSource.manager;
    const limits = await this.engine.defaultLimits(resources, m);
    const rows = (await m.query(
      `SELECT resource, hard_limit FROM quota_classes WHERE class_name = $1 AND resource = ANY($2)`,
      [className, resources],
    )) as { resource: string; hard_limit: number }[];
    for (const r of rows) limits[r.resource] = r.hard_limit;
    return limits;
  }

  /** Sets a class's limits (Cinder's quota_class_update, or quota_class_create). */
  async setClassLimits(
    className: string,
    limits: Record<string, number>,
    tx?: EntityManager,
  ): Promise<void> {
    const m = tx ?? this.dataSource.manager;
    for (const [resource, limit] of Object.entries(limits).sort(([a], [b]) => a.localeCompare(b))) {
      await m.query(
        `INSERT INTO quota_classes (class_name, resource, hard_limit) VALUES ($1, $2, $3)
         ON CONFLICT (class_name, resource)
         DO UPDATE SET hard_limit = EXCLUDED.hard_limit, updated_at = ${NOW_UTC}`,
        [className, resource, limit],
      );
    }
  }

  /**
   * Rolls back every reservation past its `expire` (Cinder's reservation_expire: what a positive
   * one held is released, and it is forgotten); returns how many. One transaction per project,
   * through rollback, which locks the usage rows in the order reserve does: an expiry never
   * deadlocks with a reserve, and one settled meanwhile by its owner is simply gone.
   */
  async expireReservations(): Promise<number> {
    const rows = (await this.dataSource.query(
      `SELECT project_id, array_agg(uuid::text) AS uuids FROM reservations
       WHERE expire < ${NOW_UTC} GROUP BY project_id`,
    )) as { project_id: string; uuids: string[] }[];
    let expired = 0;
    for (const row of rows) {
      await this.dataSource.transaction(async (m) => {
        // The usage rows first (as rollback and reserve lock them), then what is still there.
        await m.query(
          `SELECT id FROM quota_usages WHERE project_id = $1 ORDER BY resource FOR UPDATE`,
          [row.project_id],
        );
        const left = (await m.query(
          `SELECT uuid::text AS uuid FROM reservations
           WHERE uuid = ANY($1::uuid[]) AND expire < ${NOW_UTC}`,
          [row.uuids],
        )) as { uuid: string }[];
        await this.engine.rollback(
          left.map((r) => r.uuid),
          m,
        );
        expired += left.length;
      });
    }
    return expired;
  }
}

/**
 * Cinder's reserve_opts for one snapshot with add_volume_type_opts: `snapshots` and (unless
 * no_snapshot_gb_quota) `gigabytes`, with the per-type resources when the type is known.
 */
export function snapshotDeltas(
  size: number,
  typeName: string | null,
  noSnapshotGbQuota: boolean,
  sign = 1,
): Record<string, number> {
  const deltas: Record<string, number> = { snapshots: sign };
  if (typeName !== null) deltas[`snapshots_${typeName}`] = sign;
  if (!noSnapshotGbQuota) {
    deltas.gigabytes = sign * size;
    if (typeName !== null) deltas[`gigabytes_${typeName}`] = sign * size;
  }
  return deltas;
}

/** Cinder's reserve_opts for one backup (no per-type resources). */
export function backupDeltas(size: number, sign = 1): Record<string, number> {
  return { backups: sign, backup_gigabytes: sign * size };
}

/**
 * The quota reservations a message carries (its `reservations`), read leniently: a dead-lettered
 * message may break its contract elsewhere, and its reservations must still be rolled back.
 */
export function reservationsIn(payload: unknown): string[] {
  const list = (payload as { reservations?: unknown } | null)?.reservations;
  if (!Array.isArray(list)) return [];
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  return list.filter((r): r is string => typeof r === 'string' && uuid.test(r));
}
