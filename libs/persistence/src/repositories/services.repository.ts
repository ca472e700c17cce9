import type { EntityManager } from 'typeorm';
import { ServiceEntity } from '../entities/service.entity';

/** Service rows (registered binaries), for questions beyond the ServiceRegistry's lists. */
export class ServicesRepository {
  constructor(private readonly manager: EntityManager) {}

  /** How many services listen on this topic, up or down. */
  countOfTopic(topic: string): Promise<number> {
    return this.manager.count(ServiceEntity, { where: { topic } });
  }

  /** Cinder's db.is_backend_frozen: is the backend of this `host@backend#pool` frozen? */
  async isBackendFrozen(volumeHost: string): Promise<boolean> {
    const rows = (await this.manager.query(
      `SELECT 1 FROM services WHERE host = $1 AND frozen LIMIT 1`,
      [volumeHost.split('#')[0]],
    )) as unknown[];
    return rows.length > 0;
  }

  /**
   * os-hosts show: per project, the live volumes on this backend (and its pools) and the live
   * snapshots of them, as Cinder's volume_data_get_for_project / snapshot_data_get_for_project
   * with a host.
   */
  async usageOnBackend(backend: string): Promise<HostUsage[]> {
    const pools = `${backend.replace(/[\\%_]/g, (c) => `\\${c}`)}#%`;
    const rows = (await this.manager.query(
      `WITH v AS (
         SELECT id, project_id, size FROM volumes
         WHERE NOT deleted AND (host = $1 OR host LIKE $2)
       ), s AS (
         SELECT sn.project_id, sn.volume_size FROM snapshots sn JOIN v ON v.id = sn.volume_id
         WHERE NOT sn.deleted
       )
       SELECT p.project_id,
         (SELECT count(*) FROM v WHERE v.project_id = p.project_id)::int AS volume_count,
         (SELECT coalesce(sum(size), 0) FROM v WHERE v.project_id = p.project_id)::int AS volume_gb,
         (SELECT count(*) FROM s WHERE s.project_id = p.project_id)::int AS snapshot_count,
         (SELECT coalesce(sum(volume_size), 0) FROM s WHERE s.project_id = p.project_id)::int
           AS snapshot_gb
       FROM (SELECT DISTINCT project_id FROM v) p ORDER BY p.project_id`,
      [backend, pools],
    )) as HostUsage[];
    return rows;
  }
}

export interface HostUsage {
  project_id: string;
  volume_count: number;
  volume_gb: number;
  snapshot_count: number;
  snapshot_gb: number;
}
