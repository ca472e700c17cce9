import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the tasks API and the task worker need beside the machine table: Glance's `image_id`,
 * `request_id` and `user_id` columns of a task, and the image the worker builds for an import
 * (chosen when it claims the task, so that a run again after a database blink finds it).
 */
export class GlanceTasks1764740000000 implements MigrationInterface {
  name = 'GlanceTasks1764740000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tasks
        ADD COLUMN image_id varchar(36),
        ADD COLUMN request_id varchar(64),
        ADD COLUMN user_id varchar(64),
        ADD COLUMN import_image_id uuid`);
    // A restarted worker settles the tasks it held.
    await q.query(
      `CREATE INDEX tasks_processing ON tasks (worker_host) WHERE status = 'processing'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tasks_processing`);
    await q.query(`
      ALTER TABLE tasks
        DROP COLUMN import_image_id, DROP COLUMN user_id, DROP COLUMN request_id,
        DROP COLUMN image_id`);
  }
}
