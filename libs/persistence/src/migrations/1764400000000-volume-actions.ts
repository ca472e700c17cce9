import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the everyday volume actions keep: Cinder's volume_admin_metadata (readonly, a pending
 * extend's new size) as one jsonb column, the migration status, and volume_glance_metadata.
 */
export class VolumeActions1764400000000 implements MigrationInterface {
  name = 'VolumeActions1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volumes ADD COLUMN admin_metadata jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE volumes ADD COLUMN migration_status varchar(255)`);
    await q.query(`
      CREATE TABLE volume_glance_metadata (
        id serial PRIMARY KEY,
        volume_id uuid NOT NULL REFERENCES volumes(id),
        key varchar(255) NOT NULL,
        value text NOT NULL,
        created_at timestamp(6) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
        UNIQUE (volume_id, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE volume_glance_metadata`);
    await q.query(`ALTER TABLE volumes DROP COLUMN migration_status`);
    await q.query(`ALTER TABLE volumes DROP COLUMN admin_metadata`);
  }
}
