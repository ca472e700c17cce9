import { Brackets, type EntityManager, LessThan } from 'typeorm';
import { BackupEntity } from '../entities/backup.entity';
import { fetchPage, type Page, type PageRequest } from './keyset-page';
import { findLive, type Scope } from './live-rows';

/** The filters `GET /backups` accepts, already parsed. */
export interface BackupFilters {
  name?: string;
  status?: string;
  volume_id?: string;
}

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** Backup rows: what the backup API's update and import need beyond status changes. */
export class BackupsRepository {
  constructor(private readonly manager: EntityManager) {}

  findLive(id: string, scope: Scope = {}): Promise<BackupEntity | null> {
    return findLive(this.manager, BackupEntity, id, scope);
  }

  /** One page of the scope's backups. */
  list(scope: Scope, filters: BackupFilters, page: PageRequest): Promise<Page<BackupEntity>> {
    const qb = this.manager.createQueryBuilder(BackupEntity, 'b').where('b.deleted = false');
    if (scope.projectId !== undefined) qb.andWhere('b.project_id = :p', { p: scope.projectId });
    if (filters.name !== undefined) qb.andWhere('b.display_name = :n', { n: filters.name });
    if (filters.status !== undefined) qb.andWhere('b.status = :s', { s: filters.status });
    if (filters.volume_id !== undefined) {
      // An id that is no UUID names no volume (and PostgreSQL would refuse it).
      qb.andWhere(UUID.test(filters.volume_id) ? 'b.volume_id = :v' : 'false', {
        v: filters.volume_id,
      });
    }
    return fetchPage(qb, 'b', page);
  }

  /**
   * The parent of an incremental backup: the volume's newest available backup (by data
   * timestamp), or with `olderThan` the newest whose data is older than that.
   */
  latestAvailableOfVolume(volumeId: string, olderThan?: Date): Promise<BackupEntity | null> {
    return this.manager.findOne(BackupEntity, {
      where: {
        volume_id: volumeId,
        status: 'available',
        deleted: false,
        ...(olderThan ? { data_timestamp: LessThan(olderThan) } : {}),
      },
      order: { data_timestamp: 'DESC', created_at: 'DESC' },
    });
  }

  /** The row with this id (deleted or not), locked FOR UPDATE until the transaction ends. */
  lockAny(id: string): Promise<BackupEntity | null> {
    return this.manager.findOne(BackupEntity, {
      where: { id },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** Just the status and deleted flag (a running create looks at them after every object). */
  statusOf(id: string): Promise<Pick<BackupEntity, 'status' | 'deleted'> | null> {
    return this.manager.findOne(BackupEntity, {
      select: { status: true, deleted: true },
      where: { id },
    });
  }

  /**
   * Takes a `creating` backup for `host` (unless another host has it); the row as taken, or
   * null if it is not there to take.
   */
  async claimCreate(id: string, host: string): Promise<BackupEntity | null> {
    const result = await this.manager
      .createQueryBuilder()
      .update(BackupEntity)
      .set({ host })
      .where("id = :id AND deleted = false AND status = 'creating'", { id })
      .andWhere('(host IS NULL OR host = :host)', { host })
      .returning('*')
      .execute();
    return (result.raw as BackupEntity[])[0] ?? null;
  }

  /**
   * Takes a row the API made for an import (`creating`, the import's placeholder volume id) for
   * `host`: one no service took yet, or one `host` took before and could not give back (the
   * database went away under it); false if there is none such.
   */
  async claimImport(id: string, host: string, importVolumeId: string): Promise<boolean> {
    const result = await this.manager
      .createQueryBuilder()
      .update(BackupEntity)
      .set({ host })
      .where("id = :id AND deleted = false AND status = 'creating'", { id })
      .andWhere('(host IS NULL OR host = :host)', { host })
      .andWhere('volume_id = :none', { none: importVolumeId })
      .execute();
    return result.affected === 1;
  }

  /**
   * Gives a `creating` backup that `host` took (claimCreate, claimImport) back, so that any
   * backup service can take it again (a redelivery may reach another one); false if it is not
   * `host`'s (any more). With `volumeId`, only a backup of that volume (an import's placeholder).
   */
  async releaseCreating(id: string, host: string, volumeId?: string): Promise<boolean> {
    const qb = this.manager
      .createQueryBuilder()
      .update(BackupEntity)
      .set({ host: null })
      .where("id = :id AND deleted = false AND status = 'creating' AND host = :host", { id, host });
    if (volumeId !== undefined) qb.andWhere('volume_id = :volumeId', { volumeId });
    const result = await qb.execute();
    return result.affected === 1;
  }

  /** A running backup's or restore's percentage. */
  async setProgress(id: string, percent: number): Promise<void> {
    await this.manager.update(BackupEntity, { id }, { progress: percent });
  }

  /** One more incremental backup depends on this one. */
  async addDependent(id: string): Promise<void> {
    await this.manager.increment(BackupEntity, { id }, 'num_dependent_backups', 1);
  }

  /**
   * Whether the volume a backup reads (for a backup of a snapshot: the snapshot) may be
   * `backing-up` for another backup: one of it being created, or one made after this one (the
   * volume was reset and backed up again, and that backup may still be ending).
   */
  sourceTakenByOther(backup: Pick<BackupEntity, 'id' | 'volume_id' | 'snapshot_id'>) {
    const qb = this.manager
      .createQueryBuilder(BackupEntity, 'b')
      .where('b.id <> :id', { id: backup.id });
    if (backup.snapshot_id) {
      qb.andWhere('b.snapshot_id = :snapshot', { snapshot: backup.snapshot_id });
    } else {
      qb.andWhere('b.volume_id = :volume AND b.snapshot_id IS NULL', { volume: backup.volume_id });
    }
    return qb
      .andWhere(
        new Brackets((either) =>
          either
            .where("b.status = 'creating' AND b.deleted = false")
            // the API writes a backup with the hold on its source: the newest row holds it
            .orWhere('b.created_at > (SELECT o.created_at FROM backups o WHERE o.id = :id)'),
        ),
      )
      .getExists();
  }

  /** Whether another backup is being restored onto the volume. */
  otherRestoreOnto(volumeId: string | null, exceptId: string): Promise<boolean> {
    return this.manager
      .createQueryBuilder(BackupEntity, 'b')
      .where("b.restore_volume_id = :volume AND b.id <> :id AND b.status = 'restoring'", {
        volume: volumeId,
        id: exceptId,
      })
      .andWhere('b.deleted = false')
      .getExists();
  }

  /** A new backup row (its status then moves through the backup machine). */
  async insert(backup: Partial<BackupEntity> & { id: string }): Promise<void> {
    await this.manager.insert(BackupEntity, backup);
  }

  /** The row with this id, deleted or not (an import may reuse a deleted backup's id). */
  findAny(id: string): Promise<BackupEntity | null> {
    return this.manager.findOne(BackupEntity, { where: { id } });
  }

  /** Name, description, metadata: fields no status depends on. */
  async updateFields(
    id: string,
    fields: Partial<Pick<BackupEntity, 'display_name' | 'display_description' | 'metadata'>>,
  ): Promise<void> {
    if (Object.keys(fields).length === 0) return;
    await this.manager.update(BackupEntity, { id, deleted: false }, fields);
  }

  /**
   * A new row for an imported backup; a deleted backup's row with the same id goes first
   * (Cinder revives it: nothing of the old row but its id survives the import).
   */
  async insertImported(row: Partial<BackupEntity> & { id: string }): Promise<void> {
    await this.manager.delete(BackupEntity, { id: row.id, deleted: true, status: 'deleted' });
    await this.manager.insert(BackupEntity, row);
  }
}
