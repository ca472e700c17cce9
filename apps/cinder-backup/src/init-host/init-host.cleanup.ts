import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import {
  applyTransition,
  BackupEntity,
  finishWork,
  SnapshotEntity,
  unfinishedWork,
  VolumeEntity,
  BackupsRepository,
  VolumesRepository,
} from '@cinderflow/persistence';
import { LOGGER } from '@cinderflow/service-runtime';
import { backupMachine, snapshotMachine, volumeMachine } from '@cinderflow/status-machines';
import { BACKUP_DRIVER, BACKUP_HOST } from '../backup-service';
import type { ChunkedBackupDriver } from '../chunked/chunked-backup.driver';
import { DeleteBackupHandler } from '../flows/delete-backup/delete-backup.handler';

/**
 * Cinder's backup manager cleanup on start: a backup being created becomes `error` and its
 * volume returns to what it was; a restore leaves the backup `available` and the volume
 * `error_restoring`; a delete is resumed; an import becomes `error` (its data left alone).
 */
@Injectable()
export class InitHostCleanup {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(BACKUP_DRIVER) private readonly driver: ChunkedBackupDriver,
    @Inject(BACKUP_HOST) private readonly host: string,
    private readonly deleteBackup: DeleteBackupHandler,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(): Promise<void> {
    for (const work of await unfinishedWork(this.dataSource.manager, this.host)) {
      if (work.resource_type !== 'backup') continue;
      const backup = await new BackupsRepository(this.dataSource.manager).findLive(
        work.resource_id,
      );
      const log = this.logger.child({ backup_id: work.resource_id, status: work.status });
      if (work.status === 'importing' && backup?.status === 'creating') {
        // The record is not kept: the admin imports it again once this backup is deleted.
        await this.dataSource.transaction(async (tx) => {
          await applyTransition(tx, {
            machine: backupMachine,
            entity: BackupEntity,
            id: backup.id,
            event: 'cleanup_creating',
            set: { fail_reason: 'import interrupted by a manager restart' },
          });
          await finishWork(tx, 'backup', backup.id);
        });
        log.warn('unfinished import settled after a restart');
        continue;
      }
      if (!backup || backup.status !== work.status) {
        await finishWork(this.dataSource.manager, 'backup', work.resource_id);
        continue;
      }
      if (work.status === 'deleting') {
        log.warn('delete interrupted by a restart; resuming');
        await this.deleteBackup.resume(backup.id); // the note is this service's already
        continue;
      }
      await this.dataSource.transaction(async (tx) => {
        if (work.status === 'creating') {
          await applyTransition(tx, {
            machine: backupMachine,
            entity: BackupEntity,
            id: backup.id,
            event: 'cleanup_creating',
            set: { fail_reason: 'incomplete backup reset on manager restart' },
          });
          await (
            backup.snapshot_id
              ? applyTransition(tx, {
                  machine: snapshotMachine,
                  entity: SnapshotEntity,
                  id: backup.snapshot_id,
                  event: 'backup_finished',
                })
              : applyTransition(tx, {
                  machine: volumeMachine,
                  entity: VolumeEntity,
                  id: backup.volume_id,
                  event: 'backup_finished',
                })
          ).catch(() => undefined);
        } else if (work.status === 'restoring') {
          await applyTransition(tx, {
            machine: backupMachine,
            entity: BackupEntity,
            id: backup.id,
            event: 'restore_finished',
            set: {
              restore_volume_id: null,
              fail_reason: 'restore interrupted by a manager restart',
            },
          });
          if (backup.restore_volume_id) {
            // A volume still `creating` was being made from the backup: it never was usable.
            const target = await new VolumesRepository(tx).findAny(backup.restore_volume_id);
            await applyTransition(tx, {
              machine: volumeMachine,
              entity: VolumeEntity,
              id: backup.restore_volume_id,
              event: target?.status === 'creating' ? 'restore_new_volume_failed' : 'restore_failed',
            }).catch(() => undefined);
          }
        }
        await finishWork(tx, 'backup', backup.id);
      });
      if (work.status === 'creating') await this.driver.delete(backup.id).catch(() => undefined);
      log.warn('unfinished work settled after a restart');
    }
  }
}
