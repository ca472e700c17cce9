import type { EntityManager } from 'typeorm';
import { NOW_UTC } from '../utc';

/** An open reservation, as the sweep reports what it expired. */
export interface UploadReservation {
  imageId: string;
  owner: string;
  bytes: number;
  host: string;
}

/**
 * The quota an upload in progress holds (image_upload_reservations). Taking and growing one
 * must happen in the caller's transaction, after ImageStorageRepository.lockOwner and the quota
 * check it guards; giving one back needs no lock (it only frees room).
 */
export class ImageUploadReservationsRepository {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Sets the image's reservation to `bytes` (taking it, or growing it while data of unknown size
   * streams in), valid for `expireS` seconds from now.
   */
  async hold(
    reservation: { imageId: string; owner: string; host: string; bytes: number },
    expireS: number,
  ): Promise<void> {
    if (!this.manager.queryRunner?.isTransactionActive) {
      throw new Error('a reservation is taken in the transaction that checked the quota');
    }
    await this.manager.query(
      `INSERT INTO image_upload_reservations (image_id, owner, bytes, host, expire)
       VALUES ($1, $2, $3, $4, ${NOW_UTC} + make_interval(secs => $5))
       ON CONFLICT (image_id) DO UPDATE
       SET owner = EXCLUDED.owner, bytes = EXCLUDED.bytes, host = EXCLUDED.host,
           expire = EXCLUDED.expire, updated_at = ${NOW_UTC}`,
      [reservation.imageId, reservation.owner, reservation.bytes, reservation.host, expireS],
    );
  }

  /**
   * Pushes the expiry of a live upload's reservation out again; false if it is gone or already
   * expired (it counted for nothing meanwhile: it must be taken again, checked).
   */
  async touch(imageId: string, host: string, expireS: number): Promise<boolean> {
    const result = (await this.manager.query(
      `UPDATE image_upload_reservations
       SET expire = ${NOW_UTC} + make_interval(secs => $3), updated_at = ${NOW_UTC}
       WHERE image_id = $1 AND host = $2 AND expire > ${NOW_UTC}`,
      [imageId, host, expireS],
    )) as [unknown[], number];
    return result[1] > 0;
  }

  /**
   * Gives the image's reservation back (committed, failed, or the image deleted); with `host`,
   * only if that host's upload holds it.
   */
  async release(imageId: string, host?: string): Promise<void> {
    await this.manager.query(
      `DELETE FROM image_upload_reservations
       WHERE image_id = $1 AND ($2::varchar IS NULL OR host = $2)`,
      [imageId, host ?? null],
    );
  }

  /**
   * Bytes the owner's open (unexpired) reservations hold; `excludeImageId` leaves out the
   * reservation of the upload that is asking.
   */
  async openBytes(owner: string, excludeImageId?: string): Promise<number> {
    const rows = (await this.manager.query(
      `SELECT COALESCE(SUM(bytes), 0) AS total FROM image_upload_reservations
       WHERE owner = $1 AND expire > ${NOW_UTC} AND image_id IS DISTINCT FROM $2::uuid`,
      [owner, excludeImageId ?? null],
    )) as { total: string }[];
    return Number(rows[0]?.total ?? 0);
  }

  /** The image's reservation, expired or not; null without one. */
  async find(imageId: string): Promise<(UploadReservation & { expired: boolean }) | null> {
    const rows = (await this.manager.query(
      `SELECT image_id, owner, bytes, host, expire <= ${NOW_UTC} AS expired
       FROM image_upload_reservations WHERE image_id = $1`,
      [imageId],
    )) as { image_id: string; owner: string; bytes: string; host: string; expired: boolean }[];
    if (rows.length === 0) return null;
    const [row] = rows;
    return {
      imageId: row.image_id,
      owner: row.owner,
      bytes: Number(row.bytes),
      host: row.host,
      expired: row.expired,
    };
  }

  /**
   * Removes up to `limit` reservations past their expiry, returning them. An expired one
   * already counts for nothing; this only forgets it. Rows another sweep is removing are
   * skipped, so sweeps on several glance-api processes do not wait for each other.
   */
  async deleteExpired(limit: number): Promise<UploadReservation[]> {
    const rows = (await this.manager.query(
      `DELETE FROM image_upload_reservations WHERE image_id IN (
         SELECT image_id FROM image_upload_reservations WHERE expire <= ${NOW_UTC}
         ORDER BY expire LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING image_id, owner, bytes, host`,
      [limit],
    )) as [{ image_id: string; owner: string; bytes: string; host: string }[], number];
    return rows[0].map((row) => ({
      imageId: row.image_id,
      owner: row.owner,
      bytes: Number(row.bytes),
      host: row.host,
    }));
  }
}
