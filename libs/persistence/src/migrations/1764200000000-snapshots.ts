import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Snapshots, and the volume columns that say what a volume was created from. */
export class Snapshots1764200000000 implements MigrationInterface {
  name = 'Snapshots1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE snapshots (
        id uuid PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        user_id varchar(255) NOT NULL,
        volume_id uuid NOT NULL REFERENCES volumes (id),
        status varchar(255) NOT NULL,
        progress varchar(255),
        volume_size integer NOT NULL,
        display_name varchar(255),
        display_description varchar(255),
        volume_type_id uuid NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}',
        group_snapshot_id uuid,
        provider_location varchar(255),
        use_quota boolean NOT NULL DEFAULT true,
        created_at timestamp(6) NOT NULL,
        updated_at timestamp(6),
        deleted_at timestamp(6),
        deleted boolean NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE INDEX snapshots_volume_idx ON snapshots (volume_id) WHERE NOT deleted`);
    await q.query(`CREATE INDEX snapshots_project_idx ON snapshots (project_id, created_at)`);
    await q.query(`ALTER TABLE volumes ADD COLUMN snapshot_id uuid`);
    await q.query(`ALTER TABLE volumes ADD COLUMN source_volid uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volumes DROP COLUMN source_volid`);
    await q.query(`ALTER TABLE volumes DROP COLUMN snapshot_id`);
    await q.query(`DROP TABLE snapshots`);
  }
}
