import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cinder's volume_glance_metadata also holds a snapshot's copy of its volume's image metadata
 * (volume_glance_metadata_copy_to_snapshot): a row belongs to a volume or to a snapshot.
 */
export class SnapshotGlanceMetadata1764810000000 implements MigrationInterface {
  name = 'SnapshotGlanceMetadata1764810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE volume_glance_metadata
        ALTER COLUMN volume_id DROP NOT NULL,
        ADD COLUMN snapshot_id uuid REFERENCES snapshots(id),
        ADD CONSTRAINT volume_glance_metadata_owner CHECK (num_nonnulls(volume_id, snapshot_id) = 1),
        ADD CONSTRAINT volume_glance_metadata_snapshot_key UNIQUE (snapshot_id, key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM volume_glance_metadata WHERE snapshot_id IS NOT NULL`);
    await q.query(`
      ALTER TABLE volume_glance_metadata
        DROP CONSTRAINT volume_glance_metadata_snapshot_key,
        DROP CONSTRAINT volume_glance_metadata_owner,
        DROP COLUMN snapshot_id,
        ALTER COLUMN volume_id SET NOT NULL`);
  }
}
