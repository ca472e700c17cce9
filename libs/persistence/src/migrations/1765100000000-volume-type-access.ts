import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What Cinder keeps beside a volume type: the projects a private type is shared with
 * (volume_type_projects), its encryption (one live row per type, as Cinder's `encryption`
 * table), and per-project default types (default_volume_types, microversion 3.62).
 */
export class VolumeTypeAccess1765100000000 implements MigrationInterface {
  name = 'VolumeTypeAccess1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE volume_type_projects (
        volume_type_id uuid NOT NULL REFERENCES volume_types(id),
        project_id varchar(255) NOT NULL,
        created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
        PRIMARY KEY (volume_type_id, project_id)
      )`);
    await q.query(`
      CREATE TABLE volume_type_encryption (
        encryption_id uuid PRIMARY KEY,
        volume_type_id uuid NOT NULL REFERENCES volume_types(id),
        provider varchar(255) NOT NULL,
        cipher varchar(255),
        key_size integer,
        control_location varchar(255) NOT NULL,
        created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
        updated_at timestamp,
        deleted boolean NOT NULL DEFAULT false,
        deleted_at timestamp
      )`);
    await q.query(
      `CREATE UNIQUE INDEX volume_type_encryption_live ON volume_type_encryption (volume_type_id) WHERE NOT deleted`,
    );
    await q.query(`
      CREATE TABLE default_volume_types (
        project_id varchar(255) PRIMARY KEY,
        volume_type_id uuid NOT NULL REFERENCES volume_types(id),
        created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
        updated_at timestamp
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE default_volume_types`);
    await q.query(`DROP TABLE volume_type_encryption`);
    await q.query(`DROP TABLE volume_type_projects`);
  }
}
