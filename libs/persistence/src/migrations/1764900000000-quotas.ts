import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cinder's quota tables: project hard limits (quotas), class limits (quota_classes, the `default`
 * class overrides the configured defaults), usages (in_use + reserved per project and resource)
 * and reservations (a delta held against a usage until it is committed or rolled back).
 */
export class Quotas1764900000000 implements MigrationInterface {
  name = 'Quotas1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE quotas (
        id serial PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        resource varchar(255) NOT NULL,
        hard_limit integer NOT NULL,
        created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
        updated_at timestamp,
        CONSTRAINT quotas_project_resource UNIQUE (project_id, resource)
      )`);
    await q.query(`
      CREATE TABLE quota_classes (
        id serial PRIMARY KEY,
        class_name varchar(255) NOT NULL,
        resource varchar(255) NOT NULL,
        hard_limit integer NOT NULL,
        created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
        updated_at timestamp,
        CONSTRAINT quota_classes_class_resource UNIQUE (class_name, resource)
      )`);
    await q.query(`
      CREATE TABLE quota_usages (
        id serial PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        resource varchar(300) NOT NULL,
        in_use integer NOT NULL DEFAULT 0,
        reserved integer NOT NULL DEFAULT 0,
        created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
        updated_at timestamp,
        CONSTRAINT quota_usages_project_resource UNIQUE (project_id, resource)
      )`);
    await q.query(`
      CREATE TABLE reservations (
        id serial PRIMARY KEY,
        uuid uuid NOT NULL UNIQUE,
        usage_id integer NOT NULL REFERENCES quota_usages(id),
        project_id varchar(255) NOT NULL,
        resource varchar(300) NOT NULL,
        delta integer NOT NULL,
        expire timestamp NOT NULL,
        created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
      )`);
    await q.query(`CREATE INDEX reservations_expire ON reservations (expire)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reservations`);
    await q.query(`DROP TABLE quota_usages`);
    await q.query(`DROP TABLE quota_classes`);
    await q.query(`DROP TABLE quotas`);
  }
}
