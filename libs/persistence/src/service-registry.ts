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

  list(filter: { host?: string; binary?: string } = {}): Promise<ServiceEntity[]> {
    return this.dataSource.getRepository(ServiceEntity).find({
      where: {
        ...(filter.host ? { host: filter.host } : {}),
        ...(filter.binary ? { binary: filter.binary } : {}),
      },
      order: { id: 'ASC' },
    });
  }
}
