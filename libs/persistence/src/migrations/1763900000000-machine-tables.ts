import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables for the attachment, backup and Glance machines. */
export class MachineTables1763900000000 implements MigrationInterface {
  name = 'MachineTables1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE volume_attachment (
        id uuid PRIMARY KEY,
        volume_id uuid NOT NULL REFERENCES volumes (id),
        attach_status varchar(255) NOT NULL,
        instance_uuid varchar(36),
        attached_host varchar(255),
        mountpoint varchar(255),
        attach_mode varchar(4),
        connector jsonb,
        connection_info jsonb,
        attach_time timestamp(6),
        detach_time timestamp(6),
        created_at timestamp(6) NOT NULL,
        updated_at timestamp(6),
        deleted_at timestamp(6),
        deleted boolean NOT NULL DEFAULT false
      )`);
    await q.query(
      `CREATE INDEX volume_attachment_volume ON volume_attachment (volume_id) WHERE NOT deleted`,
    );

    await q.query(`
      CREATE TABLE backups (
        id uuid PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        user_id varchar(255) NOT NULL,
        volume_id uuid NOT NULL,
        status varchar(255) NOT NULL,
        display_name varchar(255),
        display_description varchar(255),
        availability_zone varchar(255),
        host varchar(255),
        container varchar(255),
        fail_reason text,
        size integer NOT NULL,
        object_count integer NOT NULL DEFAULT 0,
        parent_id uuid,
        num_dependent_backups integer NOT NULL DEFAULT 0,
        restore_volume_id uuid,
        data_timestamp timestamp(6),
        created_at timestamp(6) NOT NULL,
        updated_at timestamp(6),
        deleted_at timestamp(6),
        deleted boolean NOT NULL DEFAULT false
      )`);
    await q.query(
      `CREATE INDEX backups_project_live ON backups (project_id, created_at DESC) WHERE NOT deleted`,
    );
    await q.query(`CREATE INDEX backups_volume_live ON backups (volume_id) WHERE NOT deleted`);

    await q.query(`
      CREATE TABLE images (
        id uuid PRIMARY KEY,
        name varchar(255),
        status varchar(30) NOT NULL,
        size bigint,
        disk_format varchar(30),
        container_format varchar(30),
        owner varchar(255),
        visibility varchar(20) NOT NULL DEFAULT 'shared',
        protected boolean NOT NULL DEFAULT false,
        created_at timestamp(6) NOT NULL,
        updated_at timestamp(6),
        deleted_at timestamp(6),
        deleted boolean NOT NULL DEFAULT false
      )`);
    await q.query(`
      CREATE TABLE image_locations (
        id serial PRIMARY KEY,
        image_id uuid NOT NULL REFERENCES images (id),
        value text NOT NULL,
        meta_data jsonb NOT NULL DEFAULT '{}',
        status varchar(30) NOT NULL,
        created_at timestamp(6) NOT NULL,
        updated_at timestamp(6),
        deleted_at timestamp(6),
        deleted boolean NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE INDEX image_locations_image ON image_locations (image_id)`);
    await q.query(`
      CREATE TABLE tasks (
        id uuid PRIMARY KEY,
        type varchar(30) NOT NULL,
        status varchar(30) NOT NULL,
        owner varchar(255) NOT NULL,
        input jsonb,
        result jsonb,
        message text,
        expires_at timestamp(6),
        created_at timestamp(6) NOT NULL,
        updated_at timestamp(6),
        deleted_at timestamp(6),
        deleted boolean NOT NULL DEFAULT false
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['tasks', 'image_locations', 'images', 'backups', 'volume_attachment']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
