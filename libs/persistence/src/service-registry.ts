import type { DataSource } from 'typeorm';
import { ServiceEntity } from './entities/service.entity';
import { NOW_UTC } from './utc';

export interface ServiceIdentity {
  host: string;
  binary: string;
  topic: string;
  availabilityZone: string;
}

/** Cinder's default: a service whose heartbeat is older than this is down. */
export const SERVICE_DOWN_TIME_S = 60;

export function isServiceUp(
  service: Pick<ServiceEntity, 'updated_at' | 'created_at'>,
  now = new Date(),
  downTimeS = SERVICE_DOWN_TIME_S,
): boolean {
  const last = service.updated_at ?? service.created_at;
  return Math.abs(now.getTime() - last.getTime()) <= downTimeS * 1000;
}

/** The `services` table: register on start, heartbeat while running. */
export class ServiceRegistry {
  constructor(private readonly dataSource: DataSource) {}

  async register(identity: ServiceIdentity): Promise<ServiceEntity> {
    const rows = (await this.dataSource.query(
      `INSERT INTO services (host, "binary", topic, availability_zone, created_at, updated_at)
       VALUES ($1, $2, $3, $4, ${NOW_UTC}, ${NOW_UTC})
       ON CONFLICT (host, "binary") DO UPDATE
         SET topic = EXCLUDED.topic, availability_zone = EXCLUDED.availability_zone, updated_at = ${NOW_UTC}
       RETURNING *`,
      [identity.host, identity.binary, identity.topic, identity.availabilityZone],
    )) as ServiceEntity[];
    return rows[0];
  }

  async heartbeat(host: string, binary: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE services SET updated_at = ${NOW_UTC}, report_count = report_count + 1
       WHERE host = $1 AND "binary" = $2`,
      [host, binary],
    );
  }

  /**
   * Services, oldest first. `host` matches as Cinder's _filter_host: with a `#` exactly, with an
   * `@` that backend and its pools, otherwise that host, its backends and pools.
   */
  list(filter: { host?: string; binary?: string } = {}): Promise<ServiceEntity[]> {
    const query = this.dataSource
      .getRepository(ServiceEntity)
      .createQueryBuilder('s')
      .orderBy('s.id', 'ASC');
    if (filter.binary) query.andWhere('s.binary = :binary', { binary: filter.binary });
    if (filter.host) {
      const host = filter.host;
      const like = (suffix: string) => `${host.replace(/[\\%_]/g, (c) => `\\${c}`)}${suffix}`;
      if (host.includes('#')) query.andWhere('s.host = :host', { host });
      else if (host.includes('@'))
        query.andWhere('(s.host = :host OR s.host LIKE :pools)', { host, pools: like('#%') });
      else
        query.andWhere('(s.host = :host OR s.host LIKE :backends OR s.host LIKE :pools)', {
          host,
          backends: like('@%'),
          pools: like('#%'),
        });
    }
    return query.getMany();
  }

  /** Enable or disable one service (os-services enable/disable); false when there is none. */
  async setDisabled(
    host: string,
    binary: string,
    disabled: boolean,
    reason?: string | null,
  ): Promise<boolean> {
    // Service.get_by_args: the first service of the binary the host filter matches.
    const [service] = await this.list({ host, binary });
    if (!service) return false;
    // As Cinder's service_update: only a reason given changes it (enable keeps the old one).
    await this.dataSource.query(
      `UPDATE services SET disabled = $2, disabled_reason = COALESCE($3, disabled_reason)
       WHERE id = $1`,
      [service.id, disabled, reason ?? null],
    );
    return true;
  }

  /**
   * freeze/thaw: flip `frozen` of the cinder-volume services of this host (or backend) from
   * `expected`, as Cinder's conditional update; answers which hosts changed and which did not.
   */
  async setFrozen(
    host: string,
    expected: boolean,
  ): Promise<{ changed: string[]; unchanged: string[] }> {
    const services = await this.list({ host, binary: 'cinder-volume' });
    const changed: string[] = [];
    const unchanged: string[] = [];
    for (const s of services) {
      const result = (await this.dataSource.query(
        `UPDATE services SET frozen = $2 WHERE id = $1 AND frozen = $3 RETURNING id`,
        [s.id, !expected, expected],
      )) as [unknown[], number];
      (result[1] > 0 ? changed : unchanged).push(s.host);
    }
    return { changed, unchanged };
  }
}
