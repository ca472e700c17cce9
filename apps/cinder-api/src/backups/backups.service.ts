import { notFound } from '../common/cinder-errors';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import {
  BACKUP_SERVICE,
  BackupRecordError,
  BackupRpc,
  Binaries,
  decodeBackupRecord,
  Destinations,
  encodeBackupRecord,
} from '@cinderflow/contracts';
import type { Outbox } from '@cinderflow/messaging';
import {
  applyTransition,
  BackupEntity,
  backupDeltas,
  backupSourceLeft,
  BackupsRepository,
  isServiceUp,
  NOW_UTC,
  OverQuotaError,
  type QuotaEngine,
  returnBackupSource,
  ServiceRegistry,
  SnapshotEntity,
  SnapshotsRepository,
  StatusConflictError,
  VolumeEntity,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG, OUTBOX } from '@cinderflow/service-runtime';
import { backupMachine, snapshotMachine, volumeMachine } from '@cinderflow/status-machines';
import {
  CinderHttpError,
  invalidBackup,
  invalidInput,
  invalidVolume,
  NOT_FOUND,
} from '../common/cinder-errors';
import { scopeOf } from '../common/scope';
import { authorize } from '../common/policy';
import { quotaEngineOf } from '../common/quota';
import { overQuotaFault } from '../common/quota-errors';
import type { ListParams } from '../common/list-params';
import type { ApiVersion } from '../common/microversion';
import { CreateVolumeFlow } from '../flows/create-volume/create-volume.flow';
import { VolumesService } from '../volumes/volumes.service';
import { isUuid } from '../common/validation';
import { findBackup } from './find-backup';

/** Filters a backup list takes (Cinder's resource_filters.json `backup`). */
export const BACKUP_FILTERS = ['name', 'status', 'volume_id'] as const;

/**
 * What a backup list sorts by (Cinder sorts by the Backup model's columns; `name` is
 * `display_name` from 3.37). Nullable columns are COALESCEd: keyset pages need non-NULL keys.
 */
export function backupSortColumns(version: ApiVersion): Record<string, string> {
  const columns: Record<string, string> = {
    id: 'b.id',
    display_name: "COALESCE(b.display_name, '')",
    display_description: "COALESCE(b.display_description, '')",
    status: 'b.status',
    size: 'b.size',
    volume_id: 'b.volume_id',
    availability_zone: "COALESCE(b.availability_zone, '')",
    container: "COALESCE(b.container, '')",
    object_count: 'b.object_count',
    project_id: 'b.project_id',
    user_id: 'b.user_id',
    created_at: 'b.created_at',
    updated_at: 'COALESCE(b.updated_at, b.created_at)',
    data_timestamp: 'COALESCE(b.data_timestamp, b.created_at)',
  };
  if (version.atLeast('3.37')) columns.name = columns.display_name;
  return columns;
}

export interface BackupPage {
  backups: BackupEntity[];
  /** The page size asked for (capped at osapi_max_limit): a full page has a next link. */
  limit: number;
  count?: number;
}

export interface CreateBackupRequest {
  volumeId: string;
  name: string | null;
  description: string | null;
  container: string | null;
  incremental: boolean;
  force: boolean;
  metadata: Record<string, string>;
  /** Back up this snapshot of the volume instead of the volume. */
  snapshotId: string | null;
}

/** Cinder's IMPORT_VOLUME_ID: an imported backup's volume until its record is read. */
export const IMPORT_VOLUME_ID = '00000000-0000-0000-0000-000000000000';

/** What `PUT /backups/{id}` may change. */
export type BackupUpdate = Partial<
  Pick<BackupEntity, 'display_name' | 'display_description' | 'metadata'>
>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Cinder's backup API (cinder/backup/api.py): checks, conditional updates, casts. */
@Injectable()
export class BackupsService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OUTBOX) private readonly outbox: Outbox,
    @Inject(CONFIG) private readonly config: ApiConfig,
    private readonly volumes: VolumesService,
    private readonly createVolume: CreateVolumeFlow,
  ) {
    this.quotas = quotaEngineOf(dataSource, config);
  }

  private readonly quotas: QuotaEngine;

  /**
   * Cinder's backup quota: backups and backup_gigabytes reserved and committed in the backup
   * row's own transaction; over quota is its 413 (BackupLimitExceeded,
   * VolumeBackupSizeExceedsAvailableQuota).
   */
  private async reserveQuota(tx: EntityManager, projectId: string, size: number): Promise<void> {
    try {
      await this.quotas.consume(projectId, backupDeltas(size), tx);
    } catch (err) {
      if (err instanceof OverQuotaError) throw overQuotaFault(err, 'backups', size);
      throw err;
    }
  }

  async create(caller: RequestContext, request: CreateBackupRequest): Promise<BackupEntity> {
    const volume = await this.volumes.get(caller, request.volumeId, 'backup:create');
    await this.requireBackupService();
    let snapshot: SnapshotEntity | null = null;
    if (request.snapshotId) {
      // A backup of a snapshot reads the snapshot: the volume's status does not matter.
      snapshot = await new SnapshotsRepository(this.dataSource.manager).findLive(
        request.snapshotId,
        scopeOf(caller, true),
      );
      if (!snapshot) throw notFound(NOT_FOUND.snapshot(request.snapshotId));
      if (snapshot.volume_id !== volume.id) {
        throw invalidVolume(
          `Volume ${volume.id} does not match with snapshot.volume_id ${snapshot.volume_id}.`,
        );
      }
      if (snapshot.status !== 'available') throw snapshotNotAvailable(snapshot.status);
    } else if (volume.status !== 'available' && volume.status !== 'in-use') {
      throw invalidVolume(
        `Volume to be backed up must be available or in-use, but the current status is "${volume.status}".`,
      );
    } else if (volume.status === 'in-use' && !request.force) {
      throw invalidVolume('Backing up an in-use volume must use the force flag.');
    }
    let parent: BackupEntity | null = null;
    if (request.incremental) {
      // Of a snapshot: the latest backup whose data is older than the snapshot's.
      parent = await new BackupsRepository(this.dataSource.manager).latestAvailableOfVolume(
        volume.id,
        snapshot?.created_at,
      );
      if (!parent) throw invalidBackup('No backups available to do an incremental backup.');
    }
    const id = randomUUID();
    const now = new Date();
    const backup: Partial<BackupEntity> = {
      id,
      project_id: caller.projectId,
      user_id: caller.userId,
      volume_id: volume.id,
      status: backupMachine.initial,
      display_name: request.name,
      display_description: request.description,
      availability_zone: volume.availability_zone,
      container: request.container,
      size: volume.size,
      parent_id: parent?.id ?? null,
      snapshot_id: snapshot?.id ?? null,
      // A snapshot's data is as old as the snapshot.
      data_timestamp: snapshot ? snapshot.created_at : now,
      created_at: now,
      metadata: request.metadata,
    };
    try {
      await this.dataSource.transaction(async (tx) => {
        await (snapshot
          ? applyTransition(tx, {
              machine: snapshotMachine,
              entity: SnapshotEntity,
              id: snapshot.id,
              event: 'backup_start',
            })
          : applyTransition(tx, {
              machine: volumeMachine,
              entity: VolumeEntity,
              id: volume.id,
              event: request.force ? 'backup_start_forced' : 'backup_start',
            }));
        await this.reserveQuota(tx, caller.projectId, volume.size);
        await new BackupsRepository(tx).insert({ ...backup, id });
        await this.outbox.send(tx, Destinations.backup(), BackupRpc.createBackup, {
          backup_id: id,
        });
      });
    } catch (error) {
      if (error instanceof StatusConflictError && error.machine === 'snapshot') {
        throw snapshotNotAvailable(error.current);
      }
      if (error instanceof StatusConflictError) {
        throw invalidVolume(
          `Volume to be backed up must be available or in-use, but the current status is "${error.current}".`,
        );
      }
      throw error;
    }
    return this.get(caller, id);
  }

  async delete(caller: RequestContext, id: string, force: boolean): Promise<void> {
    const backup = await this.get(caller, id, 'backup:delete');
    if (backup.num_dependent_backups > 0)
      throw invalidBackup('Incremental backups exist for this backup.');
    if (force && backup.status === 'deleting' && backup.host) {
      // Cinder's force skips the status check: a delete that seems stuck is sent again (the
      // handler does the work once whatever the deliveries).
      const host = backup.host;
      await this.dataSource.transaction((tx) =>
        this.outbox.send(tx, Destinations.backupHost(host), BackupRpc.deleteBackup, {
          backup_id: id,
        }),
      );
      return;
    }
    try {
      await this.dataSource.transaction(async (tx) => {
        // Under the row's lock: a backup service taking a `creating` backup (claimCreate) waits,
        // then finds it deleting; the host and status read here are the ones deleted.
        const row = await new BackupsRepository(tx).lockAny(id);
        const taken = await applyTransition(tx, {
          machine: backupMachine,
          entity: BackupEntity,
          id,
          event: force ? 'force_delete' : 'delete',
          where: { sql: 'num_dependent_backups = 0', params: {} },
        });
        if (!taken.host) {
          // Never reached a backup service, or given back by one to be run again: nothing
          // stored anywhere. A create it stops held its volume (snapshot) `backing-up`, and no
          // create is running to give it back (its message may wait for a backup service for
          // long): the volume returns to what it was now, Cinder's previous_status.
          await applyTransition(tx, {
            machine: backupMachine,
            entity: BackupEntity,
            id,
            event: 'delete_succeeded',
            set: { deleted: true, deleted_at: () => NOW_UTC },
          });
          await this.quotas.releaseBackup(tx, taken);
          if (row?.status === 'creating' && !(await backupSourceLeft(tx, row))) {
            await returnBackupSource(tx, row);
          }
        } else {
          await this.outbox.send(tx, Destinations.backupHost(taken.host), BackupRpc.deleteBackup, {
            backup_id: id,
          });
        }
      });
    } catch (error) {
      if (error instanceof StatusConflictError)
        throw invalidBackup('Backup status must be available or error');
      throw error;
    }
  }

  async restore(
    caller: RequestContext,
    id: string,
    request: { volumeId: string | null; name: string | null },
  ): Promise<{ backup_id: string; volume_id: string; volume_name: string | null }> {
    const backup = await this.get(caller, id, 'backup:restore');
    if (backup.status !== 'available') throw invalidBackup('Backup status must be available');
    const host = backup.host;
    if (!host) throw invalidBackup('Backup has no backup service to restore from');
    let volume: VolumeEntity;
    const isNew = request.volumeId === null;
    if (request.volumeId) {
      volume = await this.volumes.get(caller, request.volumeId);
      if (volume.size < backup.size) {
        throw invalidVolume(
          `volume size ${volume.size} is too small to restore backup of size ${backup.size}.`,
        );
      }
      if (volume.status !== 'available')
        throw invalidVolume('Volume to be restored to must be available');
    } else {
      volume = await this.newVolumeFor(caller, backup, request.name);
    }
    try {
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: backupMachine,
          entity: BackupEntity,
          id,
          event: 'restore_start',
          set: { restore_volume_id: volume.id, progress: 0, fail_reason: null },
        });
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event: 'restore_start',
        });
        await this.outbox.send(tx, Destinations.backupHost(host), BackupRpc.restoreBackup, {
          backup_id: id,
          volume_id: volume.id,
          volume_is_new: isNew,
        });
      });
    } catch (error) {
      if (error instanceof StatusConflictError) {
        throw error.machine === 'backup'
          ? invalidBackup('Backup status must be available')
          : invalidVolume('Volume to be restored to must be available');
      }
      throw error;
    }
    return { backup_id: id, volume_id: volume.id, volume_name: volume.display_name };
  }

  /** Cinder's backup update (3.9): name, description, metadata; any status. */
  async update(caller: RequestContext, id: string, fields: BackupUpdate): Promise<BackupEntity> {
    await this.get(caller, id, 'backup:update');
    await new BackupsRepository(this.dataSource.manager).updateFields(id, fields);
    return this.get(caller, id);
  }

  /** os-reset_status (admin): `available` or `error`, from any status but `deleted`. */
  async resetStatus(caller: RequestContext, id: string, status: 'available' | 'error') {
    await this.get(caller, id, 'volume_extension:backup_admin_actions:reset_status');
    await applyTransition(this.dataSource.manager, {
      machine: backupMachine,
      entity: BackupEntity,
      id,
      event: status === 'available' ? 'reset_to_available' : 'reset_to_error',
    });
  }

  /** os-force_delete (admin): delete whatever the status, a running create or restore too. */
  async forceDelete(caller: RequestContext, id: string): Promise<void> {
    await this.get(caller, id, 'volume_extension:backup_admin_actions:force_delete');
    await this.delete(caller, id, true);
  }

  /**
   * Cinder's export_record: the backup's fields (and the driver's info, none for this driver)
   * as base64 JSON, which import_record turns back into the backup.
   */
  async exportRecord(
    caller: RequestContext,
    id: string,
  ): Promise<{ backup_service: string; backup_url: string }> {
    const b = await this.get(caller, id, 'backup:export-import');
    if (b.status !== 'available')
      throw invalidBackup(`Backup status must be available and not ${b.status}.`);
    const record = {
      id: b.id,
      user_id: b.user_id,
      project_id: b.project_id,
      volume_id: b.volume_id,
      host: b.host,
      availability_zone: b.availability_zone,
      container: b.container,
      parent_id: b.parent_id,
      status: b.status,
      fail_reason: b.fail_reason,
      size: b.size,
      display_name: b.display_name,
      display_description: b.display_description,
      service_metadata: null,
      service: BACKUP_SERVICE,
      object_count: b.object_count,
      temp_volume_id: null,
      temp_snapshot_id: null,
      num_dependent_backups: b.num_dependent_backups,
      snapshot_id: b.snapshot_id,
      data_timestamp: iso(b.data_timestamp),
      restore_volume_id: b.restore_volume_id,
      metadata: b.metadata,
      encryption_key_id: null,
      created_at: iso(b.created_at),
      updated_at: iso(b.updated_at),
      deleted_at: null,
      deleted: false,
      driver_info: {},
    };
    return { backup_service: BACKUP_SERVICE, backup_url: encodeBackupRecord(record) };
  }

  /**
   * Cinder's import_record: a backup row `creating` with the record's id (a deleted backup's
   * row is reused), in the caller's project; cinder-backup fills it from the record once it
   * found the backup's data, or sets it `error` with why.
   */
  async importRecord(
    caller: RequestContext,
    backupService: string,
    backupUrl: string,
  ): Promise<BackupEntity> {
    authorize(caller, 'backup:backup-import');
    if (!(await this.backupServiceUp())) {
      throw new CinderHttpError(503, `Service ${backupService} could not be found.`);
    }
    let record: Record<string, unknown>;
    try {
      record = decodeBackupRecord(backupUrl);
    } catch (error) {
      if (error instanceof BackupRecordError) throw invalidInput(error.message);
      throw error;
    }
    if (!('id' in record)) throw invalidInput('Provided backup record is missing an id');
    if (!('size' in record)) throw invalidInput('Provided backup record is missing size attribute');
    const id = record.id;
    // Not Cinder's words: its database would refuse these with a 500.
    if (typeof id !== 'string' || !isUuid(id))
      throw invalidInput('Provided backup record has an invalid id');
    if (!Number.isSafeInteger(record.size) || (record.size as number) < 0)
      throw invalidInput('Provided backup record has an invalid size');
    await this.dataSource.transaction(async (tx) => {
      const backups = new BackupsRepository(tx);
      const existing = await backups.findAny(id);
      if (existing && existing.status !== 'deleted')
        throw invalidBackup('Backup already exists in database.');
      await this.reserveQuota(tx, caller.projectId, record.size as number);
      await backups.insertImported({
        id,
        project_id: caller.projectId,
        user_id: caller.userId,
        volume_id: IMPORT_VOLUME_ID,
        status: backupMachine.initial,
        size: record.size as number,
        metadata: {},
        created_at: new Date(),
      });
      await this.outbox.send(tx, Destinations.backup(), BackupRpc.importRecord, {
        backup_id: id,
        backup_service: backupService,
        backup_url: backupUrl,
      });
    });
    return this.get(caller, id);
  }

  /**
   * A backup the caller may see, then the policy `rules` on it: another project's backup is a
   * 404 before any rule can make it a 403.
   */
  async get(caller: RequestContext, id: string, ...rules: string[]): Promise<BackupEntity> {
    const backup = await findBackup(this.dataSource.manager, caller, id);
    for (const rule of rules) authorize(caller, rule, backup);
    return backup;
  }

  /** One page of the caller's backups (every project's for an admin asking all_tenants). */
  async list(caller: RequestContext, params: ListParams): Promise<BackupPage> {
    const f = params.filters;
    const page = await new BackupsRepository(this.dataSource.manager).list(
      scopeOf(caller, params.allTenants),
      { name: f.name, status: f.status, volume_id: f.volume_id },
      {
        sort: params.sort,
        limit: params.limit,
        marker: params.marker,
        withCount: params.withCount,
        markerNotFound: (marker) => notFound(`Backup ${marker} could not be found.`),
      },
    );
    return { backups: page.rows, limit: params.limit, count: page.count };
  }

  /** Cinder creates the target volume itself and waits for it to leave `creating`. */
  private async newVolumeFor(
    caller: RequestContext,
    backup: BackupEntity,
    name: string | null,
  ): Promise<VolumeEntity> {
    const { volume } = await this.createVolume.run(caller, {
      volume: {
        size: backup.size,
        name: name ?? `restore_backup_${backup.id}`,
        description: 'auto-created_from_restore_from_backup',
        availability_zone: backup.availability_zone,
      },
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const current = await this.volumes.get(caller, volume.id);
      if (current.status === 'available') return current;
      if (current.status !== 'creating' || Date.now() > deadline) {
        throw invalidVolume(
          `Volume ${volume.id} to restore into could not be created (status ${current.status}).`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async requireBackupService(): Promise<void> {
    if (!(await this.backupServiceUp())) {
      throw new CinderHttpError(503, 'Service cinder-backup could not be found.');
    }
  }

  private async backupServiceUp(): Promise<boolean> {
    const services = await new ServiceRegistry(this.dataSource).list({ binary: Binaries.backup });
    const now = new Date();
    return services.some(
      (s) => !s.disabled && isServiceUp(s, now, this.config.SERVICE_DOWN_TIME_S),
    );
  }
}

/** Cinder's InvalidSnapshot for a backup of a snapshot that is not `available`. */
function snapshotNotAvailable(status: string): CinderHttpError {
  return new CinderHttpError(
    400,
    `Invalid snapshot: Snapshot to be backed up must be available, but the current status is "${status}".`,
  );
}
