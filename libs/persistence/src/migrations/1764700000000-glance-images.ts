import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What glance-api needs beside the machine tables: an image's checksums, limits, tags, custom
 * properties and members, which upload holds a `saving` image, and what a task's worker holds.
 */
export class GlanceImages1764700000000 implements MigrationInterface {
  name = 'GlanceImages1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE images
        ADD COLUMN checksum varchar(32),
        ADD COLUMN os_hash_algo varchar(64),
        ADD COLUMN os_hash_value varchar(128),
        ADD COLUMN virtual_size bigint,
        ADD COLUMN min_disk integer NOT NULL DEFAULT 0,
        ADD COLUMN min_ram integer NOT NULL DEFAULT 0,
        ADD COLUMN os_hidden boolean NOT NULL DEFAULT false,
        ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
        ADD COLUMN properties jsonb NOT NULL DEFAULT '{}',
        ADD COLUMN upload_host varchar(255)`);
    // The API hides deleted and pending_delete images; lists walk (created_at, id).
    await q.query(
      `CREATE INDEX images_live ON images (created_at DESC, id DESC)
         WHERE status NOT IN ('deleted', 'pending_delete')`,
    );
    await q.query(`CREATE INDEX images_owner ON images (owner)`);
    await q.query(`CREATE INDEX images_tags ON images USING gin (tags)`);
    // The scrubber's worklist.
    await q.query(
      `CREATE INDEX image_locations_pending ON image_locations (updated_at)
         WHERE status = 'pending_delete'`,
    );
    await q.query(`
      CREATE TABLE image_members (
        id serial PRIMARY KEY,
        image_id uuid NOT NULL REFERENCES images (id),
        member varchar(255) NOT NULL,
        can_share boolean NOT NULL DEFAULT false,
        status varchar(20) NOT NULL DEFAULT 'pending',
        created_at timestamp(6) NOT NULL,
        updated_at timestamp(6),
        deleted_at timestamp(6),
        deleted boolean NOT NULL DEFAULT false
      )`);
    await q.query(
      `CREATE UNIQUE INDEX image_members_live ON image_members (image_id, member) WHERE NOT deleted`,
    );
    await q.query(`CREATE INDEX image_members_member ON image_members (member) WHERE NOT deleted`);
    await q.query(`ALTER TABLE tasks ADD COLUMN worker_host varchar(255)`);
    await q.query(`CREATE INDEX tasks_owner ON tasks (owner, created_at DESC) WHERE NOT deleted`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tasks_owner`);
    await q.query(`ALTER TABLE tasks DROP COLUMN worker_host`);
    await q.query(`DROP TABLE image_members`);
    await q.query(`DROP INDEX image_locations_pending`);
    await q.query(`DROP INDEX images_tags`);
    await q.query(`DROP INDEX images_owner`);
    await q.query(`DROP INDEX images_live`);
    await q.query(`
      ALTER TABLE images
        DROP COLUMN upload_host, DROP COLUMN properties, DROP COLUMN tags, DROP COLUMN os_hidden,
        DROP COLUMN min_ram, DROP COLUMN min_disk, DROP COLUMN virtual_size,
        DROP COLUMN os_hash_value, DROP COLUMN os_hash_algo, DROP COLUMN checksum`);
  }
}
