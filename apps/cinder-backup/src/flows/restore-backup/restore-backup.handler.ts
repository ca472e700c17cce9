import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import { isTransientError } from '@cinderflow/messaging';
import {
  applyTransition,
  BackupEntity,
  finishWork,
  VolumeEntity,
  WorkClaims,
  type WorkRun,
  BackupsRepository,
  VolumeGlanceMetadataRepository,
  VolumesRepository,
} from '@cinderflow/persistence';
import { LOGGER } from '@cinderflow/service-runtime';
import { backupMachine, volumeMachine } from '@cinderflow/status-machines';
import { BACKUP_DRIVER } from '../../backup-service';
import type { ChunkedBackupDriver } from '../../chunked/chunked-backup.driver';
import { progressReporter } from '../../progress';
import { restoredFields, restoredGlanceMetadata, type VolumeMeta } from '../../volume-meta';
import { VolumeConnection } from '../../volume-connection';

/** Cinder's restore_backup refuses any other volume status. */
const RESTORABLE: string[] = ['restoring-backup', 'creating'];

/** The workers note of a running restore. */
const RESTORING = 'restoring';

/**
 * Cinder's restore_backup: write the backup chain onto the volume, checking every chunk's
 * SHA-256, then bring back what the backup recorded of its volume (see volume-meta.ts). The
 * backup is `available` again either way; the volume is `available`, or `error_restoring`
 * (`error` if it was made for this restore — Cinder means to, though a slip in its manager
 * compares the backup's status instead) — never silently wrong. A volume reset or deleted
 * before or while the restore runs is left as the admin left it; the backup is `available`
 * again with the reason in fail_reason. A backup force-deleted meanwhile is the delete's.
 *
 * A transient failure (the database, the broker or cinder-volume away for a while, the
 * repository out of reach) is no `error_restoring`: the handler gives its note back and
 * propagates it, so that the message runs again. The restore writes every chunk of the volume
 * from the start, zeros included, so a run again over what an interrupted one wrote leaves the
 * same bytes.
 */
@Injectable()
export class RestoreBackupHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(BACKUP_DRIVER) private readonly driver: ChunkedBackupDriver,
    private readonly connection: VolumeConnection,
    @Inject(WorkClaims) private readonly claims: WorkClaims,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(backupId: string, volumeId: string, volumeIsNew: boolean): Promise<void> {
    const log = this.logger.child({ backup_id: backupId, volume_id: volumeId });
    const run = this.claims.begin({
      resourceType: 'backup',
      resourceId: backupId,
      status: RESTORING,
    });
    if (!run) {
      log.info('this restore is already under way; nothing to do');
      return;
    }
    try {
      // Claim first, check second: a duplicate that arrives after the first delivery finished
      // then sees the backup `available` again instead of restoring over a volume in use.
      if (!(await run.claim(this.dataSource.manager))) {
        log.info('this restore is already under way; nothing to do');
        return;
      }
      await this.restoreClaimed(run, backupId, volumeId, volumeIsNew, log);
    } finally {
      run.end();
    }
  }

  /** The restore, once this delivery holds the note. */
  private async restoreClaimed(
    run: WorkRun,
    backupId: string,
    volumeId: string,
    volumeIsNew: boolean,
    log: Logger,
  ): Promise<void> {
    try {
      const [backup, volume] = await Promise.all([
        new BackupsRepository(this.dataSource.manager).findLive(backupId),
        new VolumesRepository(this.dataSource.manager).findLive(volumeId),
      ]);
      if (!backup || backup.status !== 'restoring' || backup.restore_volume_id !== volumeId) {
        if (await this.settleStranded(backupId, volumeId, volumeIsNew, log)) return;
        log.info('no restore waiting for this volume; nothing to do');
        await this.release(backupId);
        return;
      }
      // Reset or deleted before the restore began (Cinder checks the same).
      if (!volume) {
        await this.abort(backup, `Restore backup aborted, volume ${volumeId} was deleted.`, log);
        return;
      }
      if (!RESTORABLE.includes(volume.status)) {
        const expected = RESTORABLE.join(',');
        const reason = `Restore backup aborted, expected volume status ${expected} but got ${volume.status}.`;
        await this.abort(backup, reason, log);
        return;
      }
      if (await this.otherRestoreOnto(this.dataSource.manager, backup)) {
        const reason = `Restore backup aborted, volume ${volumeId} was reset and another backup now restores onto it.`;
        await this.abort(backup, reason, log);
        return;
      }
      await this.restore(backup, volume, volumeIsNew, log);
    } catch (error) {
      // Transient or unexpected: give the note back so that the redelivery runs the restore
      // again; if the database is away this fails too, and a run again here takes the note over.
      await this.dataSource
        .transaction((tx) => run.release(tx))
        .then(() => log.warn('restore given back, to run again'))
        .catch(() => undefined);
      throw error;
    }
  }

  private async restore(
    backup: BackupEntity,
    volume: VolumeEntity,
    volumeIsNew: boolean,
    log: Logger,
  ): Promise<void> {
    let chain: (VolumeMeta | null)[];
    try {
      await this.connection.with(volume, (targetPath) =>
        this.driver.restore({
          backupId: backup.id,
          targetPath,
          onProgress: progressReporter(this.dataSource, backup.id, 'restore', log),
        }),
      );
      chain = await this.volumeMetaChain(backup.id);
    } catch (error) {
      // Not the backup's fault (e.g. the database blinked under a progress update): the message
      // runs again and restores from the start.
      if (isTransientError(error)) throw error;
      const reason = (error as Error).message;
      log.error({ err: reason }, 'restore failed');
      await this.finish(backup, volume, volumeIsNew, reason);
      return;
    }
    await this.finish(backup, volume, volumeIsNew, null, chain);
    log.info('backup restored');
  }

  /** What each backup of the chain recorded of its volume, the full backup first. */
  private async volumeMetaChain(backupId: string): Promise<(VolumeMeta | null)[]> {
    const chain: (VolumeMeta | null)[] = [];
    for (let id: string | null = backupId; id !== null;) {
      const meta = await this.driver.metadata(id);
      chain.unshift(meta.volume_meta ?? null);
      id = meta.parent_id;
    }
    return chain;
  }

  /**
   * A restore given back after a transient failure, whose backup was force-deleted (or reset)
   * before the message ran again: it cannot run any more, and its volume, part-written, would
   * stay `restoring-backup` (or `creating`) for good. It ends as a failed restore's does (Cinder
   * sets the volume `error` when it finds the backup no longer `restoring`). True if so.
   */
  private async settleStranded(
    backupId: string,
    volumeId: string,
    volumeIsNew: boolean,
    log: Logger,
  ): Promise<boolean> {
    const settled = await this.dataSource.transaction(async (tx) => {
      const row = await new BackupsRepository(tx).lockAny(backupId);
      // restore_volume_id goes with the end of a restore: still set, this one never ended.
      if (!row || row.restore_volume_id !== volumeId) return false;
      if (row.status === 'restoring' && !row.deleted) return false;
      const volume = await new VolumesRepository(tx).lockAny(volumeId);
      if (!volume || volume.deleted || !RESTORABLE.includes(volume.status)) return false;
      if (await this.otherRestoreOnto(tx, row)) return false;
      await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volumeId,
        event: volumeIsNew ? 'restore_new_volume_failed' : 'restore_failed',
      });
      await finishWork(tx, 'backup', backupId, RESTORING);
      return true;
    });
    if (settled)
      log.error('backup left restoring before its restore could run again; restore failed');
    return settled;
  }

  private release(backupId: string): Promise<void> {
    return this.dataSource.transaction((tx) => finishWork(tx, 'backup', backupId, RESTORING));
  }

  /** Nothing was written: the backup is `available` again, the volume as someone left it. */
  private async abort(backup: BackupEntity, reason: string, log: Logger): Promise<void> {
    log.error({ err: reason }, 'restore aborted');
    await this.dataSource.transaction(async (tx) => {
      await applyTransition(tx, {
        machine: backupMachine,
        entity: BackupEntity,
        id: backup.id,
        event: 'restore_finished',
        set: { restore_volume_id: null, fail_reason: reason },
      });
      await finishWork(tx, 'backup', backup.id, RESTORING);
    });
  }

  /** Another backup being restored onto the volume: it is `restoring-backup` for that one. */
  private otherRestoreOnto(manager: EntityManager, backup: BackupEntity): Promise<boolean> {
    return new BackupsRepository(manager).otherRestoreOnto(backup.restore_volume_id, backup.id);
  }

  async finish(
    backup: BackupEntity,
    volume: VolumeEntity,
    volumeIsNew: boolean,
    failure: string | null,
    chain: (VolumeMeta | null)[] = [],
  ) {
    await this.dataSource.transaction(async (tx) => {
      const row = await new BackupsRepository(tx).lockAny(backup.id);
      // Fields from the row as it is now: edits made while the restore ran are kept.
      const current = await new VolumesRepository(tx).lockAny(volume.id);
      const volumeLeft =
        !current || current.deleted
          ? `volume ${volume.id} was deleted while the restore ran`
          : !RESTORABLE.includes(current.status)
            ? `volume ${volume.id} left ${volume.status} (it is ${current.status}) while the restore ran`
            : (await this.otherRestoreOnto(tx, backup))
              ? `volume ${volume.id} was reset while the restore ran and another backup now restores onto it`
              : null;
      // A force-delete took the backup over meanwhile: its status is the delete's now.
      if (row && !row.deleted && row.status === 'restoring') {
        await applyTransition(tx, {
          machine: backupMachine,
          entity: BackupEntity,
          id: backup.id,
          event: 'restore_finished',
          set: { restore_volume_id: null, progress: 100, fail_reason: volumeLeft ?? failure },
        });
      }
      if (current && !volumeLeft) {
        const glance = failure ? null : restoredGlanceMetadata(chain);
        if (glance) await new VolumeGlanceMetadataRepository(tx).replaceAll(volume.id, glance);
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event: failure
            ? volumeIsNew
              ? 'restore_new_volume_failed'
              : 'restore_failed'
            : 'restore_succeeded',
          set: failure
            ? {}
            : {
                ...restoredFields(chain, current, backup),
                ...(glance ? { bootable: true } : {}),
                // a volume made from the backup is launched now, as one made empty would be
                ...(current.status === 'creating' ? { launched_at: new Date() } : {}),
              },
        });
      }
      await finishWork(tx, 'backup', backup.id, RESTORING);
    });
  }
}
