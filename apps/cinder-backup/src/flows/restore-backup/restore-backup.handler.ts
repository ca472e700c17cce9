import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import {
  applyTransition,
  BackupEntity,
  claimWork,
  finishWork,
  VolumeEntity,
} from '@cinderflow/persistence';
import { LOGGER } from '@cinderflow/service-runtime';
import { backupMachine, volumeMachine } from '@cinderflow/status-machines';
import { BACKUP_DRIVER, BACKUP_HOST } from '../../backup-service';
import type { ChunkedBackupDriver } from '../../chunked/chunked-backup.driver';
import { progressReporter } from '../../progress';
import { restoredFields } from '../../volume-meta';
import { VolumeConnection } from '../../volume-connection';

/**
 * Cinder's restore_backup: write the backup chain onto the volume, checking every chunk's
 * SHA-256, then bring back what the backup recorded of its volume (see volume-meta.ts). The backup is `available` again either way; the volume is `available`, or
 * `error_restoring` (`error` if it was made for this restore) — never silently wrong.
 */
@Injectable()
export class RestoreBackupHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(BACKUP_DRIVER) private readonly driver: ChunkedBackupDriver,
    @Inject(BACKUP_HOST) private readonly host: string,
    private readonly connection: VolumeConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(backupId: string, volumeId: string, volumeIsNew: boolean): Promise<void> {
    const log = this.logger.child({ backup_id: backupId, volume_id: volumeId });
    const backup = await this.dataSource.manager.findOneBy(BackupEntity, {
      id: backupId,
      deleted: false,
    });
    if (!backup || backup.status !== 'restoring' || backup.restore_volume_id !== volumeId) {
      log.info('no restore waiting for this volume; nothing to do');
      return;
    }
    const claimed = await claimWork(this.dataSource.manager, {
      resourceType: 'backup',
      resourceId: backupId,
      status: 'restoring',
      serviceHost: this.host,
    });
    if (!claimed) {
      log.info('this restore is already under way; nothing to do');
      return;
    }
    const volume = await this.dataSource.manager.findOneByOrFail(VolumeEntity, { id: volumeId });
    try {
      await this.connection.with(volume, (targetPath) =>
        this.driver.restore({
          backupId,
          targetPath,
          onProgress: progressReporter(this.dataSource, backupId, 'restore', log),
        }),
      );
      // The requested backup's record of its volume (Cinder restores each backup's in chain
      // order, so the last one's wins).
      const { volume_meta: meta } = await this.driver.metadata(backupId);
      await this.finish(
        backup,
        volume,
        volumeIsNew,
        null,
        restoredFields(meta ?? null, volume, backup),
      );
      log.info('backup restored');
    } catch (error) {
      const reason = (error as Error).message;
      log.error({ err: reason }, 'restore failed');
      await this.finish(backup, volume, volumeIsNew, reason);
    }
  }

  async finish(
    backup: BackupEntity,
    volume: VolumeEntity,
    volumeIsNew: boolean,
    failure: string | null,
    restored: Partial<VolumeEntity> = {},
  ) {
    await this.dataSource.transaction(async (tx) => {
      await applyTransition(tx, {
        machine: backupMachine,
        entity: BackupEntity,
        id: backup.id,
        event: 'restore_finished',
        set: { restore_volume_id: null, progress: 100, fail_reason: failure },
      });
      await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volume.id,
        event: failure
          ? volumeIsNew
            ? 'restore_new_volume_failed'
            : 'restore_failed'
          : 'restore_succeeded',
        set: failure ? {} : restored,
      });
      await finishWork(tx, 'backup', backup.id);
    });
  }
}
