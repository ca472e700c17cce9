import type { MigrationInterface, QueryRunner } from 'typeorm';

/** How far a running backup or restore has got, in percent. */
export class BackupProgress1764000000000 implements MigrationInterface {
  name = 'BackupProgress1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE backups ADD COLUMN progress integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE backups DROP COLUMN progress`);
  }
}
