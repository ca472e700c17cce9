import type { EntityManager } from 'typeorm';

export interface VolumeSummary {
  totalCount: number;
  totalSize: number;
  /** Every distinct value of every metadata key, by key. */
  metadata: Record<string, string[]>;
}

/** Cinder's db get_volume_summary: count and size of live volumes, and their distinct metadata. */
export class VolumeSummaryRepository {
  constructor(private readonly manager: EntityManager) {}

  /** One project's volumes, or (`projectId` undefined) everyone's. */
  async summarize(projectId: string | undefined): Promise<VolumeSummary> {
    const params = [projectId ?? null];
    const [totals] = (await this.manager.query(
      `SELECT count(*)::bigint AS count, COALESCE(sum(size), 0)::bigint AS size FROM volumes
       WHERE NOT deleted AND ($1::text IS NULL OR project_id = $1)`,
      params,
    )) as { count: string; size: string }[];
    const pairs = (await this.manager.query(
      `SELECT DISTINCT m.key, m.value FROM volumes v, jsonb_each_text(v.metadata) m
       WHERE NOT v.deleted AND ($1::text IS NULL OR v.project_id = $1) ORDER BY m.key, m.value`,
      params,
    )) as { key: string; value: string }[];
    const metadata: Record<string, string[]> = {};
    for (const { key, value } of pairs) (metadata[key] ??= []).push(value);
    return { totalCount: Number(totals.count), totalSize: Number(totals.size), metadata };
  }
}
