import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_VOLUME_TYPE_ID } from '../entities/volume-type.entity';

export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE volume_types (
        id uuid PRIMARY KEY,
        name varchar(255) NOT NULL,
        description varchar(255),
        is_public boolean NOT NULL DEFAULT true,
        extra_specs jsonb NOT NULL DEFAULT '{}',
        created_at timestamp(6) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
        deleted boolean NOT NULL DEFAULT false
      )`);
    await q.query(
      `CREATE UNIQUE INDEX volume_types_name_live ON volume_types (name) WHERE NOT deleted`,
    );
    await q.query(
      `INSERT INTO volume_types (id, name, description) VALUES ($1, '__DEFAULT__', 'Default Volume Type')`,
      [DEFAULT_VOLUME_TYPE_ID],
    );

    await q.query(`
      CREATE TABLE volumes (
        id uuid PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        user_id varchar(255) NOT NULL,
        display_name varchar(255),
        display_description varchar(255),
        size integer NOT NULL CHECK (size > 0),
        status varchar(255) NOT NULL,
        attach_status varchar(255) NOT NULL DEFAULT 'detached',
        availability_zone varchar(255) NOT NULL,
        host varchar(255),
        volume_type_id uuid NOT NULL REFERENCES volume_types (id),
        metadata jsonb NOT NULL DEFAULT '{}',
        bootable boolean NOT NULL DEFAULT false,
        multiattach boolean NOT NULL DEFAULT false,
        scheduling_attempt integer NOT NULL DEFAULT 0,
        previous_status varchar(255),
        created_at timestamp(6) NOT NULL,
        updated_at timestamp(6),
        launched_at timestamp(6),
        terminated_at timestamp(6),
        deleted_at timestamp(6),
        deleted boolean NOT NULL DEFAULT false
      )`);
    await q.query(
      `CREATE INDEX volumes_project_live ON volumes (project_id, created_at DESC) WHERE NOT deleted`,
    );
    await q.query(`CREATE INDEX volumes_host ON volumes (host) WHERE NOT deleted`);

    await q.query(`
      CREATE TABLE services (
        id serial PRIMARY KEY,
        host varchar(255) NOT NULL,
        "binary" varchar(255) NOT NULL,
        topic varchar(255) NOT NULL,
        availability_zone varchar(255) NOT NULL,
        report_count integer NOT NULL DEFAULT 0,
        disabled boolean NOT NULL DEFAULT false,
        disabled_reason varchar(255),
        created_at timestamp(6) NOT NULL,
        updated_at timestamp(6)
      )`);
    await q.query(`CREATE UNIQUE INDEX services_host_binary ON services (host, "binary")`);

    await q.query(`
      CREATE TABLE workers (
        id serial PRIMARY KEY,
        resource_type varchar(40) NOT NULL,
        resource_id uuid NOT NULL,
        status varchar(255) NOT NULL,
        service_host varchar(255) NOT NULL,
        created_at timestamp(6) NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX workers_resource ON workers (resource_type, resource_id)`);

    await q.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        request_id varchar(255) NOT NULL,
        resource_type varchar(255) NOT NULL,
        resource_uuid varchar(36),
        event_id varchar(255) NOT NULL,
        message_level varchar(255) NOT NULL,
        action_id varchar(10) NOT NULL,
        detail_id varchar(10) NOT NULL,
        detail text,
        created_at timestamp(6) NOT NULL,
        expires_at timestamp(6) NOT NULL
      )`);
    await q.query(`CREATE INDEX messages_project ON messages (project_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['messages', 'workers', 'services', 'volumes', 'volume_types']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
