import type { DataSource, EntityManager } from 'typeorm';
import { NOW_UTC } from './utc';

/** One usage value that does not match what exists. */
export interface QuotaDrift {
  resource: string;
  /** `in_use` recounted from the rows, `reserved` from the open reservations. */
  field: 'in_use' | 'reserved';
  saved: number;
  actual: number;
}

export interface ProjectRecount {
  projectId: string;
  drifts: QuotaDrift[];
}

export interface RecountOptions {
  /** Only this project (Cinder's `--project-id`); all projects with usage rows otherwise. */
  projectId?: string;
  /** Write the recounted values (`sync`); only report them otherwise (`check`). */
  fix: boolean;
  /** Cinder's no_snapshot_gb_quota: snapshots do not count towards gigabytes. */
  noSnapshotGbQuota?: boolean;
}

/** What a resource's sync counts: Cinder's _sync_<resource> with the volume type it is for. */
interface SyncTarget {
  kind: 'volumes' | 'gigabytes' | 'snapshots' | 'backups' | 'backup_gigabytes' | 'groups';
  volumeTypeId?: string;
}

/**
 * Cinder's `cinder-manage quota check|sync`: recounts each existing usage row of a project from
 * what exists (volumes, their sizes plus snapshot sizes, snapshots, backups, backup sizes,
 * groups; the per-type ones for their volume type) and `reserved` from the open reservations;
 * reports the drift and, with `fix`, writes the recounted values. A project is one transaction,
 * its usage rows locked first in the order reserve locks them, then its reservations, so it
 * cannot deadlock with running services.
 */
export async function recountQuotaUsages(
  dataSource: DataSource,
  options: RecountOptions,
): Promise<ProjectRecount[]> {
  // A named project without usage rows has nothing to recount (Cinder says so and stops).
  const projects = options.projectId
    ? (
        (await dataSource.query(`SELECT 1 FROM quota_usages WHERE project_id = $1 LIMIT 1`, [
          options.projectId,
        ])) as unknown[]
      ).map(() => options.projectId!)
    : (
        (await dataSource.query(
          `SELECT DISTINCT project_id FROM quota_usages ORDER BY project_id`,
        )) as { project_id: string }[]
      ).map((r) => r.project_id);
  const out: ProjectRecount[] = [];
  for (const projectId of projects) {
    out.push({
      projectId,
      drifts: await dataSource.transaction((m) => recountProject(m, projectId, options)),
    });
  }
  return out;
}

async function syncTargets(m: EntityManager): Promise<Map<string, SyncTarget>> {
  const targets = new Map<string, SyncTarget>(
    (['volumes', 'gigabytes', 'snapshots', 'backups', 'backup_gigabytes', 'groups'] as const).map(
      (kind) => [kind, { kind }],
    ),
  );
  const types = (await m.query(`SELECT id, name FROM volume_types WHERE NOT deleted`)) as {
    id: string;
    name: string;
  }[];
  for (const t of types) {
    for (const kind of ['volumes', 'gigabytes', 'snapshots'] as const) {
      targets.set(`${kind}_${t.name}`, { kind, volumeTypeId: t.id });
    }
  }
  return targets;
}

async function count(
  m: EntityManager,
  projectId: string,
  target: SyncTarget,
  noSnapshotGbQuota: boolean,
): Promise<number> {
  const one = async (sql: string, params: unknown[]) =>
    ((await m.query(sql, params)) as { n: number }[])[0].n;
  const typeId = target.volumeTypeId ?? null;
  const volumes = (what: string) =>
    one(
      `SELECT ${what}::int AS n FROM volumes
       WHERE project_id = $1 AND NOT deleted AND ($2::uuid IS NULL OR volume_type_id = $2)`,
      [projectId, typeId],
    );
  // Cinder's _snapshot_data_get_for_project: use_quota snapshots, by their volume's type.
  const snapshots = (what: string) =>
    one(
      `SELECT ${what}::int AS n FROM snapshots s LEFT JOIN volumes v ON v.id = s.volume_id
       WHERE s.project_id = $1 AND NOT s.deleted AND s.use_quota
         AND ($2::uuid IS NULL OR v.volume_type_id = $2)`,
      [projectId, typeId],
    );
  const backups = (what: string) =>
    one(`SELECT ${what}::int AS n FROM backups WHERE project_id = $1 AND NOT deleted`, [projectId]);
  switch (target.kind) {
    case 'volumes':
      return volumes('count(*)');
    case 'gigabytes': {
      const gigabytes = await volumes('coalesce(sum(size), 0)');
      return noSnapshotGbQuota
        ? gigabytes
        : gigabytes + (await snapshots('coalesce(sum(s.volume_size), 0)'));
    }
    case 'snapshots':
      return snapshots('count(*)');
    case 'backups':
      return backups('count(*)');
    case 'backup_gigabytes':
      return backups('coalesce(sum(size), 0)');
    case 'groups': {
      const exists = (await m.query(`SELECT to_regclass('groups') IS NOT NULL AS e`)) as {
        e: boolean;
      }[];
      return exists[0].e
        ? one(`SELECT count(*)::int AS n FROM groups WHERE project_id = $1 AND NOT deleted`, [
            projectId,
          ])
        : 0;
    }
  }
}

async function recountProject(
  m: EntityManager,
  projectId: string,
  options: RecountOptions,
): Promise<QuotaDrift[]> {
  // Usage rows first, in reserve's order; only existing rows are recounted, as in Cinder.
  const usages = (await m.query(
    `SELECT id, resource, in_use, reserved FROM quota_usages
     WHERE project_id = $1 ORDER BY resource FOR UPDATE`,
    [projectId],
  )) as { id: number; resource: string; in_use: number; reserved: number }[];
  const targets = await syncTargets(m);
  const drifts: QuotaDrift[] = [];
  for (const usage of usages) {
    const target = targets.get(usage.resource);
    // A usage of a resource that no longer exists (a deleted volume type's) has nothing to count.
    if (target) {
      const inUse = await count(m, projectId, target, options.noSnapshotGbQuota ?? false);
      if (inUse !== usage.in_use) {
        drifts.push({
          resource: usage.resource,
          field: 'in_use',
          saved: usage.in_use,
          actual: inUse,
        });
        if (options.fix) {
          await m.query(
            `UPDATE quota_usages SET in_use = $2, updated_at = ${NOW_UTC} WHERE id = $1`,
            [usage.id, inUse],
          );
        }
      }
    }
    const reservations = (await m.query(
      `SELECT delta FROM reservations WHERE usage_id = $1 FOR UPDATE`,
      [usage.id],
    )) as { delta: number }[];
    const held = reservations.reduce((sum, r) => sum + (r.delta > 0 ? r.delta : 0), 0);
    if (held !== usage.reserved) {
      drifts.push({
        resource: usage.resource,
        field: 'reserved',
        saved: usage.reserved,
        actual: held,
      });
      if (options.fix) {
        await m.query(
          `UPDATE quota_usages SET reserved = $2, updated_at = ${NOW_UTC} WHERE id = $1`,
          [usage.id, held],
        );
      }
    }
  }
  return drifts;
}

/** The report as Cinder's cinder-manage prints it. */
export function formatRecount(results: ProjectRecount[], fix: boolean): string {
  const lines: string[] = [];
  for (const project of results) {
    lines.push(`Processing quota usage for project ${project.projectId}`);
    for (const d of project.drifts) {
      lines.push(
        `\t${d.resource}: invalid ${d.field === 'in_use' ? 'usage' : 'reserved'} saved=${d.saved} actual=${d.actual}${fix ? ' - fixed' : ''}`,
      );
    }
  }
  lines.push('Action successfully completed');
  return lines.join('\n') + '\n';
}
