import type { EntityManager } from 'typeorm';
import { SnapshotEntity } from '../entities/snapshot.entity';
import { VolumeEntity } from '../entities/volume.entity';
import { VolumeTypeEntity } from '../entities/volume-type.entity';
import { NOW_UTC } from '../utc';
import { fetchPage, type Page, type PageRequest } from './keyset-page';
import { findLive, type Scope } from './live-rows';

/** The filters `GET /volumes` accepts, already parsed. */
export interface VolumeFilters {
  name?: string;
  status?: string;
  availability_zone?: string;
  size?: number;
  bootable?: boolean;
  /** Volumes whose metadata holds all of these pairs. */
  metadata?: Record<string, string>;
  /** Volumes whose image metadata (volume_glance_metadata) holds all of these pairs. */
  glance_metadata?: Record<string, string>;
  /** For an all-projects scope: only this project's. */
  project_id?: string;
}

const INT_MAX = 2_147_483_647;

/** Volume rows: lookups and lists the API and the services share. */
export class VolumesRepository {
  constructor(private readonly manager: EntityManager) {}

  findLive(id: string, scope: Scope = {}): Promise<VolumeEntity | null> {
    return findLive(this.manager, VolumeEntity, id, scope);
  }

  /** The row with this id (deleted or not), locked FOR UPDATE until the transaction ends. */
  lockAny(id: string): Promise<VolumeEntity | null> {
    return this.manager.findOne(VolumeEntity, {
      where: { id },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** The row with this id, deleted or not. */
  findAny(id: string): Promise<VolumeEntity | null> {
    return this.manager.findOne(VolumeEntity, { where: { id } });
  }

  /**
   * The live volume, locked FOR UPDATE until the transaction ends (serialises changes computed
   * from its current state, such as its attachments).
   */
  lockLive(id: string): Promise<VolumeEntity | null> {
    return this.manager
      .createQueryBuilder(VolumeEntity, 'v')
      .setLock('pessimistic_write')
      .where('v.id = :id AND v.deleted = false', { id })
      .getOne();
  }

  /** The live volume, held FOR SHARE until the transaction ends (its status can't change). */
  lockLiveForShare(id: string): Promise<VolumeEntity | null> {
    return this.manager
      .createQueryBuilder(VolumeEntity, 'v')
      .setLock('pessimistic_read')
      .where('v.id = :id AND v.deleted = false', { id })
      .getOne();
  }

  /** Holds the row FOR UPDATE until the transaction ends, deleted or not. */
  async lock(id: string): Promise<void> {
    await this.manager
      .createQueryBuilder(VolumeEntity, 'v')
      .setLock('pessimistic_write')
      .where('v.id = :id', { id })
      .getOne();
  }

  /** A new volume row (its status then moves through the volume machine). */
  async insert(volume: VolumeEntity): Promise<void> {
    await this.manager.insert(VolumeEntity, volume);
  }

  /** The volume, locked, if it is still `creating` at this host on this scheduling attempt. */
  lockCreatingAttempt(
    id: string,
    ours: { host: string; attempt: number },
  ): Promise<VolumeEntity | null> {
    return this.manager
      .createQueryBuilder(VolumeEntity, 'v')
      .setLock('pessimistic_write')
      .where("v.id = :id AND v.status = 'creating' AND v.host = :host", { id, host: ours.host })
      .andWhere('v.scheduling_attempt = :attempt', { attempt: ours.attempt })
      .getOne();
  }

  async list(scope: Scope, filters: VolumeFilters, page: PageRequest): Promise<Page<VolumeEntity>> {
    const qb = this.manager.createQueryBuilder(VolumeEntity, 'v').where('v.deleted = false');
    const project = scope.projectId ?? filters.project_id;
    if (project !== undefined) qb.andWhere('v.project_id = :project', { project });
    if (filters.name !== undefined) qb.andWhere('v.display_name = :name', { name: filters.name });
    if (filters.status !== undefined) qb.andWhere('v.status = :status', { status: filters.status });
    if (filters.availability_zone !== undefined)
      qb.andWhere('v.availability_zone = :az', { az: filters.availability_zone });
    if (filters.size !== undefined) {
      // A size beyond the integer column matches nothing (PostgreSQL would refuse to compare).
      qb.andWhere(filters.size <= INT_MAX ? 'v.size = :size' : 'false', { size: filters.size });
    }
    if (filters.bootable !== undefined)
      qb.andWhere('v.bootable = :bootable', { bootable: filters.bootable });
    if (filters.metadata !== undefined) {
      qb.andWhere('v.metadata @> CAST(:metadata AS jsonb)', {
        metadata: JSON.stringify(filters.metadata),
      });
    }
    Object.entries(filters.glance_metadata ?? {}).forEach(([key, value], i) => {
      qb.andWhere(
        'EXISTS (SELECT 1 FROM volume_glance_metadata g ' +
          `WHERE g.volume_id = v.id AND g.key = :gk${i} AND g.value = :gv${i})`,
        { [`gk${i}`]: key, [`gv${i}`]: value },
      );
    });
    return fetchPage(qb, 'v', page);
  }

  /** Changes plain columns (not the status: that goes through its machine); null if gone. */
  async update(
    id: string,
    changes: Partial<Pick<VolumeEntity, 'display_name' | 'display_description' | 'metadata'>>,
  ): Promise<VolumeEntity | null> {
    const result = await this.manager
      .createQueryBuilder()
      .update(VolumeEntity)
      .set({ ...changes, updated_at: () => NOW_UTC })
      .where('id = :id AND deleted = false', { id })
      .returning('*')
      .execute();
    const rows = result.raw as VolumeEntity[];
    return rows[0] ?? null;
  }

  /**
   * Places a `creating` volume on a backend for this scheduling attempt, if the previous
   * attempt is still the current one; false if the volume moved on meanwhile.
   */
  async claimForCreate(id: string, host: string, attempt: number): Promise<boolean> {
    const claim = await this.manager
      .createQueryBuilder()
      .update(VolumeEntity)
      .set({ host, scheduling_attempt: attempt })
      .where('id = :id AND deleted = false AND status = :status', { id, status: 'creating' })
      .andWhere('scheduling_attempt = :previous', { previous: attempt - 1 })
      .execute();
    return claim.affected === 1;
  }

  /**
   * Records the size an `extending` volume grows to (admin metadata `extend_new_size`, which
   * the capacity accounting counts); false if the volume is not extending any more.
   */
  async holdExtendSize(id: string, newSize: number): Promise<boolean> {
    const held = await this.manager
      .createQueryBuilder()
      .update(VolumeEntity)
      .set({
        admin_metadata: () =>
          `admin_metadata || jsonb_build_object('extend_new_size', '${newSize}')`,
      })
      .where("id = :id AND deleted = false AND status = 'extending'", { id })
      .execute();
    return held.affected === 1;
  }

  /**
   * Marks the volume `migrating` towards `pool` (admin metadata `migration_host`, which the
   * capacity accounting counts) if it is still in `status` and its migration status is `from`
   * (null: none, or a finished one); false if it moved on meanwhile.
   */
  async claimMigration(
    id: string,
    pool: string,
    status: string,
    from: string | null,
  ): Promise<boolean> {
    const quoted = pool.replace(/'/g, "''");
    const claimed = await this.manager
      .createQueryBuilder()
      .update(VolumeEntity)
      .set({
        migration_status: 'migrating',
        admin_metadata: () => `admin_metadata || jsonb_build_object('migration_host', '${quoted}')`,
      })
      .where('id = :id AND deleted = false AND status = :status', { id, status })
      .andWhere(
        from
          ? 'migration_status = :from'
          : "(migration_status IS NULL OR migration_status IN ('error', 'success'))",
        { from },
      )
      .execute();
    return claimed.affected === 1;
  }

  /**
   * Ends an unlocked migration (os-migrate_volume without lock_volume) that something else
   * overtook: the volume was attached, backed up, reset... meanwhile, which, as Cinder's
   * lock_volume=False says, aborts the migration. migration_status `error` and the hold on the
   * destination released; the status is left as it is. A locked migration (`maintenance`) or a
   * retype's (`retyping`) is not touched, nor one past `phase` (the scheduler aborts only one
   * still `starting`, so that a duplicate message does not abort a migration under way). False
   * if there was no such migration.
   */
  async abortUnlockedMigration(id: string, phase: 'starting' | 'migrating'): Promise<boolean> {
    const aborted = await this.manager
      .createQueryBuilder()
      .update(VolumeEntity)
      .set({
        migration_status: 'error',
        admin_metadata: () => "admin_metadata - 'migration_host'",
        updated_at: () => NOW_UTC,
      })
      .where('id = :id AND deleted = false', { id })
      .andWhere('migration_status = :phase', { phase })
      .andWhere("status NOT IN ('maintenance', 'retyping')")
      .execute();
    return aborted.affected === 1;
  }

  /**
   * The row's version (PostgreSQL's xmin): any write to the row changes it, so work that must
   * find the row untouched at its end (an unlocked migration) compares it then.
   */
  async rowVersion(id: string): Promise<string | null> {
    const rows = (await this.manager.query('SELECT xmin::text AS v FROM volumes WHERE id = $1', [
      id,
    ])) as { v: string }[];
    return rows[0]?.v ?? null;
  }

  /**
   * The volume's newest snapshot, whatever its status (Cinder's get_latest_snapshot): os-revert
   * may only go back to it.
   */
  latestSnapshot(volumeId: string): Promise<SnapshotEntity | null> {
    return this.manager
      .createQueryBuilder(SnapshotEntity, 's')
      .where('s.volume_id = :volumeId AND s.deleted = false', { volumeId })
      .orderBy('s.created_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .getOne();
  }

  /** Every volume type's name by id (views show the name). */
  async typeNames(): Promise<Map<string, string>> {
    const types = await this.manager.find(VolumeTypeEntity);
    return new Map(types.map((t) => [t.id, t.name]));
  }
}
