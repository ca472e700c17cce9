import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import { BackupRpc, Binaries, Destinations } from '@cinderflow/contracts';
import type { RpcClient } from '@cinderflow/messaging';
import {
  applyTransition,
  BackupEntity,
  isServiceUp,
  NOW_UTC,
  ServiceRegistry,
  StatusConflictError,
  VolumeEntity,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG, RPC_CLIENT } from '@cinderflow/service-runtime';
import { backupMachine, volumeMachine } from '@cinderflow/status-machines';
import { CinderHttpError, invalidBackup, invalidVolume } from '../common/cinder-errors';
import { CreateVolumeFlow } from '../flows/create-volume/create-volume.flow';
import { VolumesService } from '../volumes/volumes.service';
import { isUuid } from '../common/validation';
import { findBackup } from './find-backup';

export interface CreateBackupRequest {
  volumeId: string;
  name: string | null;
  description: string | null;
  container: string | null;
  incremental: boolean;
  force: boolean;
}

/** Cinder's backup API (cinder/backup/api.py): checks, conditional updates, casts. */
@Injectable()
export class BackupsService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(CONFIG) private readonly config: ApiConfig,
    private readonly volumes: VolumesService,
    private readonly createVolume: CreateVolumeFlow,
  ) {}

  async create(caller: RequestContext, request: CreateBackupRequest): Promise<BackupEntity> {
    const volume = await this.volumes.get(caller, request.volumeId);
    await this.requireBackupService();
    if (volume.status === 'in-use' && !request.force) {
      throw invalidVolume('Backing up an in-use volume must use the force flag.');
    }
    if (volume.status !== 'available' && volume.status !== 'in-use') {
      throw invalidVolume(
        `Volume to be backed up must be available or in-use, but the current status is "${volume.status}".`,
      );
    }
    let parent: BackupEntity | null = null;
    if (request.incremental) {
      parent = await this.dataSource.manager.findOne(BackupEntity, {
        where: { volume_id: volume.id, status: 'available', deleted: false },
        order: { data_timestamp: 'DESC', created_at: 'DESC' },
      });
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
      data_timestamp: now,
      created_at: now,
    };
    try {
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event: request.force ? 'backup_start_forced' : 'backup_start',
        });
        await tx.insert(BackupEntity, backup);
      });
    } catch (error) {
      if (error instanceof StatusConflictError) {
        throw invalidVolume(
          `Volume to be backed up must be available or in-use, but the current status is "${error.current}".`,
        );
      }
      throw error;
    }
    await this.rpc.cast(Destinations.backup(), BackupRpc.createBackup, { backup_id: id });
    return this.get(caller, id);
  }

  async delete(caller: RequestContext, id: string, force: boolean): Promise<void> {
    const backup = await this.get(caller, id);
    if (backup.num_dependent_backups > 0)
      throw invalidBackup('Incremental backups exist for this backup.');
    try {
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: backupMachine,
          entity: BackupEntity,
          id,
          event: force ? 'force_delete' : 'delete',
          where: { sql: 'num_dependent_backups = 0', params: {} },
        });
        if (!backup.host) {
          // Never reached a backup service: nothing stored anywhere.
          await applyTransition(tx, {
            machine: backupMachine,
            entity: BackupEntity,
            id,
            event: 'delete_succeeded',
            set: { deleted: true, deleted_at: () => NOW_UTC },
          });
        }
      });
    } catch (error) {
      if (error instanceof StatusConflictError)
        throw invalidBackup('Backup status must be available or error');
      throw error;
    }
    if (backup.host) {
      await this.rpc.cast(Destinations.backupHost(backup.host), BackupRpc.deleteBackup, {
        backup_id: id,
      });
    }
  }

  async restore(
    caller: RequestContext,
    id: string,
    request: { volumeId: string | null; name: string | null },
  ): Promise<{ backup_id: string; volume_id: string; volume_name: string | null }> {
    const backup = await this.get(caller, id);
    if (backup.status !== 'available') throw invalidBackup('Backup status must be available');
    if (!backup.host) throw invalidBackup('Backup has no backup service to restore from');
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
      });
    } catch (error) {
      if (error instanceof StatusConflictError) {
        throw error.machine === 'backup'
          ? invalidBackup('Backup status must be available')
          : invalidVolume('Volume to be restored to must be available');
      }
      throw error;
    }
    await this.rpc.cast(Destinations.backupHost(backup.host), BackupRpc.restoreBackup, {
      backup_id: id,
      volume_id: volume.id,
      volume_is_new: isNew,
    });
    return { backup_id: id, volume_id: volume.id, volume_name: volume.display_name };
  }

  get(caller: RequestContext, id: string): Promise<BackupEntity> {
    return findBackup(this.dataSource.manager, caller, id);
  }

  async list(
    caller: RequestContext,
    filters: Record<string, string>,
    allTenants: boolean,
  ): Promise<BackupEntity[]> {
    const qb = this.dataSource
      .getRepository(BackupEntity)
      .createQueryBuilder('b')
      .where('b.deleted = false');
    if (!(allTenants && caller.isAdmin)) qb.andWhere('b.project_id = :p', { p: caller.projectId });
    if (filters.name) qb.andWhere('b.display_name = :n', { n: filters.name });
    if (filters.status) qb.andWhere('b.status = :s', { s: filters.status });
    if (filters.volume_id) {
      // An id that is no UUID names no volume (and PostgreSQL would refuse it).
      qb.andWhere(isUuid(filters.volume_id) ? 'b.volume_id = :v' : 'false', {
        v: filters.volume_id,
      });
    }
    return qb.orderBy('b.created_at', 'DESC').addOrderBy('b.id', 'DESC').getMany();
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
    const services = await new ServiceRegistry(this.dataSource).list({ binary: Binaries.backup });
    const now = new Date();
    if (
      !services.some((s) => !s.disabled && isServiceUp(s, now, this.config.SERVICE_DOWN_TIME_S))
    ) {
      throw new CinderHttpError(503, 'Service cinder-backup could not be found.');
    }
  }
}
