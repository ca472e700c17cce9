import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import {
  applyTransition,
  BackupEntity,
  finishWork,
  NOW_UTC,
  recordWork,
} from '@cinderflow/persistence';
import { LOGGER } from '@cinderflow/service-runtime';
import { backupMachine } from '@cinderflow/status-machines';
import { BACKUP_DRIVER, BACKUP_HOST } from '../../backup-service';
import type { ChunkedBackupDriver } from '../../chunked/chunked-backup.driver';

/** Removes a backup's chunks and metadata from the repository, then the row. */
@Injectable()
export class DeleteBackupHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(BACKUP_DRIVER) private readonly driver: ChunkedBackupDriver,
    @Inject(BACKUP_HOST) private readonly host: string,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(backupId: string): Promise<void> {
    const log = this.logger.child({ backup_id: backupId });
    const backup = await this.dataSource.manager.findOneBy(BackupEntity, {
      id: backupId,
      deleted: false,
    });
    if (!backup || backup.status !== 'deleting') {
      log.info('backup not deleting; nothing to do');
      return;
    }
    await recordWork(this.dataSource.manager, {
      resourceType: 'backup',
      resourceId: backupId,
      status: 'deleting',
      serviceHost: this.host,
    });
    try {
      await this.driver.delete(backupId);
    } catch (error) {
      log.error({ err: (error as Error).message }, 'could not delete the backup data');
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: backupMachine,
          entity: BackupEntity,
          id: backupId,
          event: 'delete_failed',
          set: { fail_reason: (error as Error).message },
        });
        await finishWork(tx, 'backup', backupId);
      });
      return;
    }
    await this.dataSource.transaction(async (tx) => {
      await applyTransition(tx, {
        machine: backupMachine,
        entity: BackupEntity,
        id: backupId,
        event: 'delete_succeeded',
        set: { deleted: true, deleted_at: () => NOW_UTC },
      });
      if (backup.parent_id) {
        await tx.decrement(BackupEntity, { id: backup.parent_id }, 'num_dependent_backups', 1);
      }
      await finishWork(tx, 'backup', backupId);
    });
    log.info('backup deleted');
  }
}
