import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import {
  applyTransition,
  BackupEntity,
  finishWork,
  NOW_UTC,
  QuotaEngine,
  takeOverWork,
  WorkClaims,
  BackupsRepository,
} from '@cinderflow/persistence';
import { LOGGER } from '@cinderflow/service-runtime';
import { backupMachine } from '@cinderflow/status-machines';
import { BACKUP_DRIVER } from '../../backup-service';
import type { ChunkedBackupDriver } from '../../chunked/chunked-backup.driver';

/** The workers note of a running delete. */
const DELETING = 'deleting';

/**
 * Removes a backup's chunks and metadata from the repository, then the row. One delivery at a
 * time does it (WorkClaims); a force-delete takes the note over from a create or restore still
 * running, which then leave the backup to it.
 */
@Injectable()
export class DeleteBackupHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(BACKUP_DRIVER) private readonly driver: ChunkedBackupDriver,
    @Inject(WorkClaims) private readonly claims: WorkClaims,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(backupId: string): Promise<void> {
    const log = this.logger.child({ backup_id: backupId });
    const work = { resourceType: 'backup', resourceId: backupId, status: DELETING };
    const run = this.claims.begin(work);
    if (!run) {
      log.info('this backup is already being deleted; nothing to do');
      return;
    }
    try {
      // Claim first, check second: a duplicate that arrives after the first delivery finished
      // then finds the row deleted.
      const claimed = await this.dataSource.transaction(
        async (tx) =>
          (await run.claim(tx)) ||
          takeOverWork(tx, { ...work, serviceHost: this.claims.serviceHost }, [
            'creating',
            'restoring',
          ]),
      );
      if (!claimed) {
        log.info('this backup is already being deleted; nothing to do');
        return;
      }
      try {
        await this.resume(backupId);
      } catch (error) {
        // Unexpected (the database, say): give the claim back so that a redelivery elsewhere
        // can retry; if the database is away this fails too, and a run again here takes the
        // note over.
        await this.dataSource
          .transaction((tx) => finishWork(tx, 'backup', backupId, DELETING))
          .catch(() => undefined);
        throw error;
      }
    } finally {
      run.end();
    }
  }

  /** The delete itself, once this service holds the note (also: a restart resuming it). */
  async resume(backupId: string): Promise<void> {
    const log = this.logger.child({ backup_id: backupId });
    const backup = await new BackupsRepository(this.dataSource.manager).findLive(backupId);
    if (!backup || backup.status !== 'deleting') {
      log.info('backup not deleting; nothing to do');
      await this.dataSource.transaction((tx) => finishWork(tx, 'backup', backupId, DELETING));
      return;
    }
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
        await finishWork(tx, 'backup', backupId, DELETING);
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
      // Cinder's delete_backup gives the usage back with the row's deletion.
      await new QuotaEngine(this.dataSource).releaseBackup(tx, backup);
      if (backup.parent_id) {
        await tx.decrement(BackupEntity, { id: backup.parent_id }, 'num_dependent_backups', 1);
      }
      await finishWork(tx, 'backup', backupId, DELETING);
    });
    log.info('backup deleted');
  }
}
