import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import {
  applyTransition,
  BackupEntity,
  finishWork,
  recordWork,
  VolumeEntity,
} from '@cinderflow/persistence';
import { LOGGER } from '@cinderflow/service-runtime';
import { backupMachine, volumeMachine } from '@cinderflow/status-machines';
import { BACKUP_DRIVER, BACKUP_HOST, GiB } from '../../backup-service';
import type { ChunkedBackupDriver } from '../../chunked/chunked-backup.driver';
import { progressReporter } from '../../progress';
import { captureVolumeMeta } from '../../volume-meta';
import { VolumeConnection } from '../../volume-connection';

/**
 * Cinder's backup manager create_backup: read the volume through a connection, store its
 * chunks, then the backup is `available` (or `error` with its reason) and the volume returns to
 * the status it had.
 */
@Injectable()
export class CreateBackupHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(BACKUP_DRIVER) private readonly driver: ChunkedBackupDriver,
    @Inject(BACKUP_HOST) private readonly host: string,
    private readonly connection: VolumeConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(backupId: string): Promise<void> {
    const log = this.logger.child({ backup_id: backupId });
    // Claim it for this host; a duplicate, or a backup another service took, changes nothing.
    const claimed = await this.dataSource.transaction(async (tx) => {
      const result = await tx
        .createQueryBuilder()
        .update(BackupEntity)
        .set({ host: this.host })
        .where("id = :id AND deleted = false AND status = 'creating'", { id: backupId })
        .andWhere('(host IS NULL OR host = :host)', { host: this.host })
        .returning('*')
        .execute();
      const backup = (result.raw as BackupEntity[])[0];
      if (backup) {
        await recordWork(tx, {
          resourceType: 'backup',
          resourceId: backupId,
          status: 'creating',
          serviceHost: this.host,
        });
      }
      return backup;
    });
    if (!claimed) {
      log.info('backup not waiting to be created here; nothing to do');
      return;
    }
    const volume = await this.dataSource.manager.findOneByOrFail(VolumeEntity, {
      id: claimed.volume_id,
    });
    try {
      const result = await this.connection.with(volume, (sourcePath) =>
        this.driver.backup({
          backupId,
          volumeId: volume.id,
          sourcePath,
          sizeBytes: volume.size * GiB,
          parentId: claimed.parent_id,
          volumeMeta: captureVolumeMeta(volume),
          onProgress: progressReporter(this.dataSource, backupId, 'backup', log),
        }),
      );
      await this.finish(claimed, 'create_succeeded', {
        object_count: result.objectCount,
        container: claimed.container ?? this.driver.containerOf(backupId),
        progress: 100,
      });
      log.info({ objects: result.objectCount, stored_bytes: result.storedBytes }, 'backup created');
    } catch (error) {
      const reason = (error as Error).message;
      log.error({ err: reason }, 'backup failed');
      await this.driver.delete(backupId).catch(() => undefined);
      await this.finish(claimed, 'create_failed', { fail_reason: reason });
    }
  }

  private async finish(
    backup: BackupEntity,
    event: 'create_succeeded' | 'create_failed',
    set: Partial<BackupEntity>,
  ): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await applyTransition(tx, {
        machine: backupMachine,
        entity: BackupEntity,
        id: backup.id,
        event,
        set,
      });
      await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: backup.volume_id,
        event: 'backup_finished',
      });
      if (event === 'create_succeeded' && backup.parent_id) {
        await tx.increment(BackupEntity, { id: backup.parent_id }, 'num_dependent_backups', 1);
      }
      await finishWork(tx, 'backup', backup.id);
    });
  }
}
