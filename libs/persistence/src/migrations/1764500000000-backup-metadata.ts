import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A backup's metadata (3.43) and the snapshot it was taken of, as Cinder's backups have. */
export class BackupMetadata1764500000000 implements MigrationInterface {
  name = 'BackupMetadata1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE backups ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE backups ADD COLUMN snapshot_id uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE backups DROP COLUMN snapshot_id`);
    await q.query(`ALTER TABLE backups DROP COLUMN metadata`);
  }
}
