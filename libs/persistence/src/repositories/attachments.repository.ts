import { type EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { VolumeAttachmentEntity } from '../entities/volume-attachment.entity';
import { VolumeEntity } from '../entities/volume.entity';
import { fetchPage, type Page, type PageRequest } from './keyset-page';
import { findLive, type Scope } from './live-rows';

/** The filters `GET /attachments` accepts (Cinder's resource_filters.json `attachment`). */
export interface AttachmentFilters {
  volume_id?: string;
  attach_status?: string;
  instance_id?: string;
}

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** Volume attachments; an attachment is visible to whoever sees its volume. */
export class AttachmentsRepository {
  constructor(private readonly manager: EntityManager) {}

  findLive(id: string): Promise<VolumeAttachmentEntity | null> {
    return findLive(this.manager, VolumeAttachmentEntity, id);
  }

  /** The live attachment if it belongs to this volume. */
  findLiveOfVolume(id: string, volumeId: string): Promise<VolumeAttachmentEntity | null> {
    return this.manager.findOne(VolumeAttachmentEntity, {
      where: { id, volume_id: volumeId, deleted: false },
    });
  }

  /** How many live attachments the volume has. */
  countOfVolume(volumeId: string): Promise<number> {
    return this.manager.count(VolumeAttachmentEntity, {
      where: { volume_id: volumeId, deleted: false },
    });
  }

  /** How many of the volume's live attachments are `attached`. */
  countAttachedOfVolume(volumeId: string): Promise<number> {
    return this.manager.count(VolumeAttachmentEntity, {
      where: { volume_id: volumeId, deleted: false, attach_status: 'attached' },
    });
  }

  /** A new attachment row (its status then moves through the attachment machine). */
  async insert(row: QueryDeepPartialEntity<VolumeAttachmentEntity>): Promise<void> {
    await this.manager.insert(VolumeAttachmentEntity, row);
  }

  /** The volume's live attachments, oldest first. */
  ofVolume(volumeId: string): Promise<VolumeAttachmentEntity[]> {
    return this.manager.find(VolumeAttachmentEntity, {
      where: { volume_id: volumeId, deleted: false },
      order: { created_at: 'ASC' },
    });
  }

  /** Attached attachments of some volumes, by volume (the volume view lists those). */
  async attachedOf(volumeIds: string[]): Promise<Map<string, VolumeAttachmentEntity[]>> {
    const byVolume = new Map<string, VolumeAttachmentEntity[]>();
    if (volumeIds.length === 0) return byVolume;
    const rows = await this.manager.find(VolumeAttachmentEntity, {
      where: { volume_id: In(volumeIds), deleted: false, attach_status: 'attached' },
      order: { created_at: 'ASC' },
    });
    for (const row of rows) {
      byVolume.set(row.volume_id, [...(byVolume.get(row.volume_id) ?? []), row]);
    }
    return byVolume;
  }

  /** One page of the attachments of the scope's volumes. */
  list(
    scope: Scope,
    filters: AttachmentFilters,
    page: PageRequest,
  ): Promise<Page<VolumeAttachmentEntity>> {
    const qb = this.manager
      .createQueryBuilder(VolumeAttachmentEntity, 'a')
      .innerJoin(VolumeEntity, 'v', 'v.id = a.volume_id')
      .where('a.deleted = false');
    if (scope.projectId !== undefined) qb.andWhere('v.project_id = :p', { p: scope.projectId });
    if (filters.volume_id !== undefined) {
      // An id that is no UUID names no volume (and PostgreSQL would refuse it).
      qb.andWhere(UUID.test(filters.volume_id) ? 'a.volume_id = :vid' : 'false', {
        vid: filters.volume_id,
      });
    }
    if (filters.attach_status !== undefined)
      qb.andWhere('a.attach_status = :s', { s: filters.attach_status });
    if (filters.instance_id !== undefined)
      qb.andWhere('a.instance_uuid = :i', { i: filters.instance_id });
    return fetchPage(qb, 'a', page);
  }
}
