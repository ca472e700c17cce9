import type { EntityManager } from 'typeorm';
import { NOW_UTC } from '../utc';

/** What a metadata write found: the metadata after it, or why it did not happen. */
export type MetadataWrite =
  | { kind: 'done'; metadata: Record<string, string> }
  | { kind: 'not-found' }
  | { kind: 'refused'; status: string };

/** Statuses in which Cinder refuses to change a volume's user metadata. */
const METADATA_LOCKED_STATUSES = ['maintenance', 'uploading'];

/**
 * A volume's user metadata (Cinder's volume_metadata, here the volume's jsonb column): each write
 * is one conditional UPDATE, so two writers never lose each other's keys.
 */
export class VolumeMetadataRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Merges `metadata` in (or, with `replace`, makes it the whole metadata). */
  async write(
    volumeId: string,
    metadata: Record<string, string>,
    replace: boolean,
  ): Promise<MetadataWrite> {
    const rows = (await this.manager.query(
      `UPDATE volumes
       SET metadata = CASE WHEN $3 THEN $2::jsonb ELSE metadata || $2::jsonb END,
           updated_at = ${NOW_UTC}
       WHERE id = $1 AND NOT deleted AND status <> ALL($4)
       RETURNING metadata`,
      [volumeId, JSON.stringify(metadata), replace, METADATA_LOCKED_STATUSES],
    )) as [{ metadata: Record<string, string> }[], number];
    if (rows[0].length === 1) return { kind: 'done', metadata: rows[0][0].metadata };
    return this.whyNot(volumeId);
  }

  /** Removes one key; `not-found` when the volume or the key is missing. */
  async deleteKey(volumeId: string, key: string): Promise<MetadataWrite> {
    const rows = (await this.manager.query(
      `UPDATE volumes SET metadata = metadata - $2::text, updated_at = ${NOW_UTC}
       WHERE id = $1 AND NOT deleted AND metadata ? $2::text AND status <> ALL($3)
       RETURNING metadata`,
      [volumeId, key, METADATA_LOCKED_STATUSES],
    )) as [{ metadata: Record<string, string> }[], number];
    if (rows[0].length === 1) return { kind: 'done', metadata: rows[0][0].metadata };
    const current = (await this.manager.query(
      `SELECT status, metadata ? $2::text AS has FROM volumes WHERE id = $1 AND NOT deleted`,
      [volumeId, key],
    )) as { status: string; has: boolean }[];
    if (current.length === 0 || !current[0].has) return { kind: 'not-found' };
    return { kind: 'refused', status: current[0].status };
  }

  /** os-set_bootable: false when the volume is in maintenance (Cinder refuses the update). */
  async setBootable(volumeId: string, bootable: boolean): Promise<boolean> {
    const rows = (await this.manager.query(
      `UPDATE volumes SET bootable = $2, updated_at = ${NOW_UTC}
       WHERE id = $1 AND NOT deleted AND status <> 'maintenance' RETURNING id`,
      [volumeId, bootable],
    )) as [unknown[], number];
    return rows[0].length === 1;
  }

  /**
   * Sets one admin metadata item while the volume is in `status`; the status it has otherwise
   * (null when the volume is gone).
   */
  async setAdminItem(
    volumeId: string,
    key: string,
    value: string,
    status: string,
  ): Promise<{ ok: true } | { ok: false; status: string | null }> {
    const rows = (await this.manager.query(
      `UPDATE volumes SET admin_metadata = admin_metadata || jsonb_build_object($2::text, $3::text),
         updated_at = ${NOW_UTC}
       WHERE id = $1 AND NOT deleted AND volumes.status = $4 RETURNING id`,
      [volumeId, key, value, status],
    )) as [unknown[], number];
    if (rows[0].length === 1) return { ok: true };
    const current = await this.whyNot(volumeId);
    return { ok: false, status: current.kind === 'refused' ? current.status : null };
  }

  private async whyNot(volumeId: string): Promise<MetadataWrite> {
    const current = (await this.manager.query(
      `SELECT status FROM volumes WHERE id = $1 AND NOT deleted`,
      [volumeId],
    )) as { status: string }[];
    return current.length === 0
      ? { kind: 'not-found' }
      : { kind: 'refused', status: current[0].status };
  }
}
