import type { EntityManager } from 'typeorm';
import {
  imageLocationMachine,
  type ImageLocationEvent,
  type ImageLocationStatus,
} from '@cinderflow/status-machines';
import { ImageEntity, ImageLocationEntity } from '../entities/image.entity';
import { applyTransition } from '../transition';
import { NOW_UTC } from '../utc';
import { ImageUploadReservationsRepository } from './image-upload-reservations.repository';

// The first key of the two-key advisory locks that stand for a project's image storage; apart
// from the backends' space ('CFBC') and the migrations' single-key lock.
const STORAGE_LOCK_SPACE = 0x43464953; // 'CFIS'
// ... and those that stand for the data one location URL names.
const DATA_LOCK_SPACE = 0x43464944; // 'CFID'

/** Location statuses that hold space in a store (seed 002: quota counts by location status). */
export const SPACE_HOLDING_LOCATION_STATUSES: readonly ImageLocationStatus[] = [
  'active',
  'pending_delete',
];

/**
 * What image data occupies and who holds it: storage usage per owner (Glance's
 * user_get_storage_usage, counted by location status), the lock that makes a quota check and
 * the write it allows one step, the uploads a glance-api host left behind, and location rows.
 */
export class ImageStorageRepository {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Serialises storage accounting of one owner until the transaction ends: an upload's commit
   * and a location add check the quota and write under it, so two can't both fit in one gap.
   */
  async lockOwner(owner: string): Promise<void> {
    if (!this.manager.queryRunner?.isTransactionActive) {
      throw new Error('lockOwner needs a transaction');
    }
    await this.manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      STORAGE_LOCK_SPACE,
      owner,
    ]);
  }

  /**
   * Bytes an owner's images hold: each image's size once per location that still holds data
   * (`active` or `pending_delete`, seed 002), whatever the image's status, plus what the
   * owner's uploads in progress hold reserved (unexpired). `excludeImageId` leaves out the
   * image whose data is being replaced (Glance's image_id argument), and its reservation.
   */
  async usage(owner: string, excludeImageId?: string): Promise<number> {
    const stored = await this.storedBytes(owner, excludeImageId);
    return (
      stored +
      (await new ImageUploadReservationsRepository(this.manager).openBytes(owner, excludeImageId))
    );
  }

  /** The stored part of `usage`: bytes in locations that hold data. */
  async storedBytes(owner: string, excludeImageId?: string): Promise<number> {
    const query = this.manager
      .createQueryBuilder(ImageEntity, 'i')
      .innerJoin(ImageLocationEntity, 'l', 'l.image_id = i.id')
      .select('COALESCE(SUM(i.size), 0)', 'total')
      .where('i.owner = :owner', { owner })
      .andWhere('i.size > 0')
      .andWhere('l.status IN (:...holding)', { holding: SPACE_HOLDING_LOCATION_STATUSES });
    if (excludeImageId) query.andWhere('i.id <> :excludeImageId', { excludeImageId });
    const row = await query.getRawOne<{ total: string }>();
    return Number(row?.total ?? 0);
  }

  /** Glance's user_get_image_count: the owner's images but `killed`, `pending_delete`, `deleted`. */
  async imageCount(owner: string): Promise<number> {
    return this.manager
      .createQueryBuilder(ImageEntity, 'i')
      .where('i.owner = :owner', { owner })
      .andWhere(`i.status NOT IN ('killed', 'pending_delete', 'deleted')`)
      .getCount();
  }

  /** Glance's user_get_uploading_count: the owner's images taking data (`saving`, `uploading`, `importing`). */
  async uploadingCount(owner: string): Promise<number> {
    return this.manager
      .createQueryBuilder(ImageEntity, 'i')
      .where('i.owner = :owner', { owner })
      .andWhere(`i.status IN ('saving', 'uploading', 'importing')`)
      .getCount();
  }

  /** Images a glance-api host left `saving` (its uploads died with it). */
  savingOn(host: string): Promise<ImageEntity[]> {
    return this.manager
      .createQueryBuilder(ImageEntity, 'i')
      .where(`i.status = 'saving'`)
      .andWhere('i.upload_host = :host', { host })
      .andWhere('i.deleted = false')
      .getMany();
  }

  /** A live image row, locked for the rest of the transaction. */
  lockImage(id: string): Promise<ImageEntity | null> {
    return this.manager
      .createQueryBuilder(ImageEntity, 'i')
      .setLock('pessimistic_write')
      .where('i.id = :id', { id })
      .andWhere('i.deleted = false')
      .getOne();
  }

  /** Locations of any image, in any status but `deleted`, that name this URL. */
  /**
   * Serialises, until the transaction ends, whoever removes or registers the data a URL names:
   * two removers of two locations naming the same data take turns (the second sees the
   * first's location deleted), and a location added meanwhile either comes first (and keeps
   * the data) or finds the data gone.
   */
  async lockData(url: string): Promise<void> {
    if (!this.manager.queryRunner?.isTransactionActive) {
      throw new Error('lockData needs a transaction');
    }
    await this.manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      DATA_LOCK_SPACE,
      url,
    ]);
  }

  /**
   * Records that a `deleted` location's data is gone (`deleted`, `deleted_at`): until then it
   * is a leftover (see ImagesRepository.claimLocation). Not a status change.
   */
  async markDataRemoved(id: number): Promise<ImageLocationEntity> {
    await this.manager
      .createQueryBuilder()
      .update(ImageLocationEntity)
      .set({ deleted: true, deleted_at: () => NOW_UTC, updated_at: () => NOW_UTC })
      .where('id = :id', { id })
      .andWhere('deleted = false')
      .execute();
    return this.manager.findOneByOrFail(ImageLocationEntity, { id });
  }

  locationsNamed(url: string): Promise<ImageLocationEntity[]> {
    return this.manager
      .createQueryBuilder(ImageLocationEntity, 'l')
      .where('l.value = :url', { url })
      .andWhere(`l.status <> 'deleted'`)
      .getMany();
  }

  /** Records the size of an image's data where it had none (a location added to it). */
  async setSizeIfUnset(id: string, size: number): Promise<void> {
    await this.manager
      .createQueryBuilder()
      .update(ImageEntity)
      .set({ size: String(size), updated_at: () => NOW_UTC })
      .where('id = :id', { id })
      .andWhere('(size IS NULL OR size = 0)')
      .execute();
  }

  /** Replaces a location's metadata (a PATCH replace naming the same URLs). */
  async setLocationMetadata(id: number, metadata: Record<string, unknown>): Promise<void> {
    await this.manager
      .createQueryBuilder()
      .update(ImageLocationEntity)
      .set({ meta_data: () => 'CAST(:metadata AS jsonb)', updated_at: () => NOW_UTC })
      .setParameter('metadata', JSON.stringify(metadata))
      .where('id = :id', { id })
      .execute();
  }

  /** Applies a location machine event atomically (one conditional UPDATE). */
  transitionLocation(id: number, event: ImageLocationEvent): Promise<ImageLocationEntity> {
    return applyTransition(this.manager, {
      machine: imageLocationMachine,
      entity: ImageLocationEntity,
      id,
      event,
    });
  }
}
