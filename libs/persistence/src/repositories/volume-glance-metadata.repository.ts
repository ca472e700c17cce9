import type { EntityManager } from 'typeorm';
import type { MetadataWrite } from './volume-metadata.repository';

/** Statuses in which Cinder refuses to change a volume's metadata, image metadata included. */
const LOCKED_STATUSES = ['maintenance', 'uploading'];

type Rows = { volume_id: string; key: string; value: string }[];

/**
 * Cinder's volume_glance_metadata: the image properties a volume carries (os-set_image_metadata
 * and friends; shown as `volume_image_metadata`). Writes take the volume's row lock, so a status
 * change cannot slip between the status check and the write.
 */
export class VolumeGlanceMetadataRepository {
  constructor(private readonly manager: EntityManager) {}

  async get(volumeId: string): Promise<Record<string, string>> {
    return (await this.ofVolumes([volumeId])).get(volumeId) ?? {};
  }

  /** The image metadata of several volumes (those without any are absent). */
  async ofVolumes(volumeIds: string[]): Promise<Map<string, Record<string, string>>> {
    const found = new Map<string, Record<string, string>>();
    if (volumeIds.length === 0) return found;
    const rows = (await this.manager.query(
      `SELECT volume_id, key, value FROM volume_glance_metadata
       WHERE volume_id = ANY($1::uuid[]) ORDER BY id`,
      [volumeIds],
    )) as Rows;
    for (const row of rows) {
      found.set(row.volume_id, { ...found.get(row.volume_id), [row.key]: row.value });
    }
    return found;
  }

  /** Adds or changes keys; the whole image metadata after. */
  async write(volumeId: string, metadata: Record<string, string>): Promise<MetadataWrite> {
    return this.manager.transaction(async (tx) => {
      const refusal = await this.lock(tx, volumeId);
      if (refusal) return refusal;
      for (const [key, value] of Object.entries(metadata)) {
        await tx.query(
          `INSERT INTO volume_glance_metadata (volume_id, key, value) VALUES ($1, $2, $3)
           ON CONFLICT (volume_id, key) DO UPDATE SET value = EXCLUDED.value`,
          [volumeId, key, value],
        );
      }
      return { kind: 'done', metadata: await new VolumeGlanceMetadataRepository(tx).get(volumeId) };
    });
  }

  /**
   * Replaces all of the volume's image metadata (a backup restore's
   * volume_glance_metadata_delete_by_volume, then a create per key), in the caller's
   * transaction, which holds the volume's row.
   */
  async replaceAll(volumeId: string, metadata: Record<string, string>): Promise<void> {
    await this.manager.query(`DELETE FROM volume_glance_metadata WHERE volume_id = $1`, [volumeId]);
    for (const [key, value] of Object.entries(metadata)) {
      await this.manager.query(
        `INSERT INTO volume_glance_metadata (volume_id, key, value) VALUES ($1, $2, $3)`,
        [volumeId, key, value],
      );
    }
  }

  /** Removes one key; `not-found` when the volume or the key is missing. */
  async deleteKey(volumeId: string, key: string): Promise<MetadataWrite> {
    return this.manager.transaction(async (tx) => {
      const refusal = await this.lock(tx, volumeId);
      if (refusal?.kind === 'not-found') return refusal;
      const has = (await tx.query(
        `SELECT 1 FROM volume_glance_metadata WHERE volume_id = $1 AND key = $2`,
        [volumeId, key],
      )) as unknown[];
      if (has.length === 0) return { kind: 'not-found' };
      if (refusal) return refusal;
      await tx.query(`DELETE FROM volume_glance_metadata WHERE volume_id = $1 AND key = $2`, [
        volumeId,
        key,
      ]);
      return { kind: 'done', metadata: await new VolumeGlanceMetadataRepository(tx).get(volumeId) };
    });
  }

  /**
   * Cinder's volume_glance_metadata_bulk_create, in the caller's transaction (the one that ends
   * the create): keys already there with the same value are left alone, as a redelivered create
   * would write them again.
   */
  async bulkCreate(volumeId: string, metadata: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(metadata)) {
      await this.manager.query(
        `INSERT INTO volume_glance_metadata (volume_id, key, value) VALUES ($1, $2, $3)
         ON CONFLICT (volume_id, key) DO UPDATE SET value = EXCLUDED.value`,
        [volumeId, key, value],
      );
    }
  }

  /** Cinder's volume_snapshot_glance_metadata_get: what a snapshot kept of its volume's. */
  async ofSnapshot(snapshotId: string): Promise<Record<string, string>> {
    const rows = (await this.manager.query(
      `SELECT key, value FROM volume_glance_metadata WHERE snapshot_id = $1 ORDER BY id`,
      [snapshotId],
    )) as Rows;
    return Object.fromEntries(rows.map((row) => [row.key, row.value]));
  }

  /** Cinder's volume_glance_metadata_copy_to_snapshot: the snapshot keeps its volume's. */
  async copyToSnapshot(snapshotId: string, volumeId: string): Promise<void> {
    await this.manager.query(
      `INSERT INTO volume_glance_metadata (snapshot_id, key, value)
       SELECT $1, key, value FROM volume_glance_metadata WHERE volume_id = $2 ORDER BY id
       ON CONFLICT (snapshot_id, key) DO UPDATE SET value = EXCLUDED.value`,
      [snapshotId, volumeId],
    );
  }

  /** Cinder's volume_glance_metadata_copy_to_volume: a volume made from a snapshot. */
  async copyFromSnapshot(volumeId: string, snapshotId: string): Promise<void> {
    await this.manager.query(
      `INSERT INTO volume_glance_metadata (volume_id, key, value)
       SELECT $1, key, value FROM volume_glance_metadata WHERE snapshot_id = $2 ORDER BY id
       ON CONFLICT (volume_id, key) DO UPDATE SET value = EXCLUDED.value`,
      [volumeId, snapshotId],
    );
  }

  /** Cinder's volume_glance_metadata_copy_from_volume_to_volume: a clone. */
  async copyFromVolume(volumeId: string, sourceVolumeId: string): Promise<void> {
    await this.manager.query(
      `INSERT INTO volume_glance_metadata (volume_id, key, value)
       SELECT $1, key, value FROM volume_glance_metadata WHERE volume_id = $2 ORDER BY id
       ON CONFLICT (volume_id, key) DO UPDATE SET value = EXCLUDED.value`,
      [volumeId, sourceVolumeId],
    );
  }

  private async lock(tx: EntityManager, volumeId: string): Promise<MetadataWrite | null> {
    const rows = (await tx.query(
      `SELECT status FROM volumes WHERE id = $1 AND NOT deleted FOR UPDATE`,
      [volumeId],
    )) as { status: string }[];
    if (rows.length === 0) return { kind: 'not-found' };
    if (LOCKED_STATUSES.includes(rows[0].status))
      return { kind: 'refused', status: rows[0].status };
    return null;
  }
}
