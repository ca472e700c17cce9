import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cinder's `transfers` table: a volume offered to another project. The auth key is never
 * stored, only its salt and the HMAC-SHA1 of the key under it. An accepted or deleted transfer
 * is soft-deleted (accepted ones keep `accepted` and `destination_project_id`).
 */
export class Transfers1765300000001 implements MigrationInterface {
  name = 'Transfers1765300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE transfers (
        id uuid PRIMARY KEY,
        volume_id uuid NOT NULL REFERENCES volumes(id),
        display_name varchar(255),
        salt varchar(255),
        crypt_hash varchar(255),
        expires_at timestamp(6),
        no_snapshots boolean NOT NULL DEFAULT false,
        source_project_id varchar(255),
        destination_project_id varchar(255),
        accepted boolean NOT NULL DEFAULT false,
        created_at timestamp(6) NOT NULL,
        updated_at timestamp(6),
        deleted_at timestamp(6),
        deleted boolean NOT NULL DEFAULT false
      )`);
    // A volume is `awaiting-transfer` for one transfer at a time.
    await q.query(
      `CREATE UNIQUE INDEX transfers_live_volume_idx ON transfers (volume_id) WHERE NOT deleted`,
    );
    await q.query(`CREATE INDEX transfers_created_idx ON transfers (created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE transfers`);
  }
}
