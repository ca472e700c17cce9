import type { EntityManager } from 'typeorm';
import { SnapshotEntity } from '../entities/snapshot.entity';
import { VolumeEntity } from '../entities/volume.entity';
import { NOW_UTC } from '../utc';
import { fetchPage, type Page, type PageRequest } from './keyset-page';
import { findLive, type Scope } from './live-rows';

/** The filters `GET /snapshots` accepts, already parsed. */
export interface SnapshotFilters {
  name?: string;
  status?: string;
  volume_id?: string;
  /** Snapshots whose metadata holds all of these pairs. */
  metadata?: Record<string, string>;
  /** Snapshots of volumes in this availability zone. */
  availability_zone?: string;
  /** Cinder's `consumes_quota` filter (the `use_quota` column). */
  use_quota?: boolean;
  /** For an all-projects scope: only this project's. */
  project_id?: string;
}

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** Snapshot rows: lookups and lists the API and cinder-volume share. */
export class SnapshotsRepository {
  constructor(private readonly manager: EntityManager) {}

  findLive(id: string, scope: Scope = {}): Promise<SnapshotEntity | null> {
    return findLive(this.manager, SnapshotEntity, id, scope);
  }

  /** The row with this id (deleted or not), locked FOR UPDATE until the transaction ends. */
  lockAny(id: string): Promise<SnapshotEntity | null> {
    return this.manager.findOne(SnapshotEntity, {
      where: { id },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** The row with this id, deleted or not. */
  findAny(id: string): Promise<SnapshotEntity | null> {
    return this.manager.findOne(SnapshotEntity, { where: { id } });
  }

  async list(
    scope: Scope,
    filters: SnapshotFilters,
    page: PageRequest,
  ): Promise<Page<SnapshotEntity>> {
    const qb = this.manager.createQueryBuilder(SnapshotEntity, 's').where('s.deleted = false');
    const project = scope.projectId ?? filters.project_id;
    if (project !== undefined) qb.andWhere('s.project_id = :project', { project });
    if (filters.name !== undefined) qb.andWhere('s.display_name = :name', { name: filters.name });
    if (filters.status !== undefined) qb.andWhere('s.status = :status', { status: filters.status });
    if (filters.volume_id !== undefined) {
      // An id that cannot be a uuid matches nothing (PostgreSQL would refuse to compare it).
      qb.andWhere(UUID.test(filters.volume_id) ? 's.volume_id = :volumeId' : 'false', {
        volumeId: filters.volume_id,
      });
    }
    if (filters.metadata !== undefined) {
      qb.andWhere('s.metadata @> CAST(:metadata AS jsonb)', {
        metadata: JSON.stringify(filters.metadata),
      });
    }
    if (filters.use_quota !== undefined)
      qb.andWhere('s.use_quota = :useQuota', { useQuota: filters.use_quota });
    if (filters.availability_zone !== undefined) {
      qb.andWhere(
        `EXISTS (SELECT 1 FROM volumes v WHERE v.id = s.volume_id AND v.availability_zone = :az)`,
        { az: filters.availability_zone },
      );
    }
    return fetchPage(qb, 's', page);
  }

  /** The volume's snapshots that are not deleted, oldest first. */
  liveOfVolume(volumeId: string): Promise<SnapshotEntity[]> {
    return this.manager.find(SnapshotEntity, {
      where: { volume_id: volumeId, deleted: false },
      order: { created_at: 'ASC' },
    });
  }

  /** How many snapshots of the volume are not deleted (a volume with any can't be deleted). */
  countLiveOfVolume(volumeId: string): Promise<number> {
    return this.manager.count(SnapshotEntity, { where: { volume_id: volumeId, deleted: false } });
  }

  /** A new snapshot row (its status then moves through the snapshot machine). */
  async insert(snapshot: SnapshotEntity): Promise<void> {
    await this.manager.insert(SnapshotEntity, snapshot);
  }

  /** The row as stored (with the database's defaults); throws if there is none. */
  getAny(id: string): Promise<SnapshotEntity> {
    return this.manager.findOneByOrFail(SnapshotEntity, { id });
  }

  /** Changes plain columns (not the status: that goes through its machine); null if gone. */
  async update(
    id: string,
    changes: Partial<Pick<SnapshotEntity, 'display_name' | 'display_description'>>,
  ): Promise<SnapshotEntity | null> {
    const result = await this.manager
      .createQueryBuilder()
      .update(SnapshotEntity)
      .set({ ...changes, updated_at: () => NOW_UTC })
      .where('id = :id AND deleted = false', { id })
      .returning('*')
      .execute();
    const rows = result.raw as SnapshotEntity[];
    return rows[0] ?? null;
  }

  /**
   * Merges the pairs into the metadata (or, with `replace`, makes them the whole of it); the
   * metadata afterwards, or null if the snapshot is gone.
   */
  async updateMetadata(
    id: string,
    metadata: Record<string, string>,
    replace: boolean,
  ): Promise<Record<string, string> | null> {
    const result = await this.manager
      .createQueryBuilder()
      .update(SnapshotEntity)
      .set({
        metadata: () =>
          replace ? 'CAST(:metadata AS jsonb)' : 'metadata || CAST(:metadata AS jsonb)',
        updated_at: () => NOW_UTC,
      })
      .setParameter('metadata', JSON.stringify(metadata))
      .where('id = :id AND deleted = false', { id })
      .returning('*')
      .execute();
    const rows = result.raw as SnapshotEntity[];
    return rows.length === 0 ? null : rows[0].metadata;
  }

  /** Removes one metadata key; false if the snapshot is gone or has no such key. */
  async deleteMetadataKey(id: string, key: string): Promise<boolean> {
    const result = await this.manager
      .createQueryBuilder()
      .update(SnapshotEntity)
      .set({ metadata: () => 'metadata - CAST(:key AS text)', updated_at: () => NOW_UTC })
      .setParameter('key', key)
      .where('id = :id AND deleted = false AND (metadata -> CAST(:key AS text)) IS NOT NULL', {
        id,
        key,
      })
      .execute();
    return result.affected !== 0;
  }

  /** Whether the volume has any snapshot that is not deleted. */
  async anyLiveOfVolume(volumeId: string): Promise<boolean> {
    const rows = (await this.manager.query(
      'SELECT 1 FROM snapshots WHERE volume_id = $1 AND NOT deleted LIMIT 1',
      [volumeId],
    )) as unknown[];
    return rows.length > 0;
  }

  /** The volume a snapshot was taken of (soft-deleted or not: its host is still its backend). */
  volumeOf(snapshot: Pick<SnapshotEntity, 'volume_id'>): Promise<VolumeEntity | null> {
    return this.manager.findOne(VolumeEntity, { where: { id: snapshot.volume_id } });
  }
}
