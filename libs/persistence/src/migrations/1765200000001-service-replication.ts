import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cinder's replication fields of a service row: `frozen` (freeze-host: management operations on
 * the backend's volumes are refused), `active_backend_id` and `replication_status` (no driver
 * here replicates: Cinder's volume manager writes 'disabled' for such a backend at start), and
 * `cluster_name` (no clusters here: always null, kept for the 3.7 view).
 */
export class ServiceReplication1765200000001 implements MigrationInterface {
  name = 'ServiceReplication1765200000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE services
        ADD COLUMN frozen boolean NOT NULL DEFAULT false,
        ADD COLUMN active_backend_id varchar(255),
        ADD COLUMN replication_status varchar(36) NOT NULL DEFAULT 'disabled',
        ADD COLUMN cluster_name varchar(255)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE services
        DROP COLUMN frozen, DROP COLUMN active_backend_id,
        DROP COLUMN replication_status, DROP COLUMN cluster_name`);
  }
}
