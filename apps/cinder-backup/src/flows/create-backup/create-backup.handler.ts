import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import { isTransientError } from '@cinderflow/messaging';
import {
  applyTransition,
  BackupEntity,
  backupSourceLeft,
  finishWork,
  returnBackupSource,
  type VolumeEntity,
  WorkClaims,
  type WorkRun,
  BackupsRepository,
  SnapshotsRepository,
  VolumeGlanceMetadataRepository,
  VolumesRepository,
} from '@cinderflow/persistence';
import { LOGGER } from '@cinderflow/service-runtime';
import { backupMachine } from '@cinderflow/status-machines';
import { BACKUP_DRIVER, BACKUP_HOST, GiB } from '../../backup-service';
import {
  BackupCancelledError,
  type BackupResult,
  type ChunkedBackupDriver,
} from '../../chunked/chunked-backup.driver';
import { progressReporter } from '../../progress';
import { captureVolumeMeta } from '../../volume-meta';
import { VolumeConnection } from '../../volume-connection';

/** The workers note of a running create (see WorkClaims). */
const CREATING = 'creating';

/** The backup and its volume as they are now, both rows locked until the transaction ends. */
interface Standing {
  /** The backup's status; `deleting`/`deleted` means a force-delete cancelled the create. */
  backup: string;
  /** null while the volume is still `backing-up` for this backup; else why it is not. */
  volumeLeft: string | null;
}

/**
 * Cinder's backup manager create_backup: read the volume through a connection, store its
 * chunks, then the backup is `available` (or `error` with its reason) and the volume returns to
 * the status it had.
 *
 * One delivery at a time does the work: it notes it in `workers` (WorkClaims), and a duplicate
 * that finds the note, or a backup no longer `creating`, changes nothing; a run again of a
 * delivery that could not give its note back (the database was away) takes it over. The stored
 * data is this handler's own only while the backup is `creating` under its note: that is the
 * only time it removes it (a force-delete that cancelled the backup aside, whose data is garbage
 * anyway).
 * A transient failure (the database, the broker or cinder-volume away for a while, at any step)
 * is no reason for `error`: the handler removes what it stored, gives the backup and its note
 * back and propagates it, so that the message runs again from the start, here or at another
 * backup service.
 * If the volume was reset or deleted meanwhile, the backup cannot be trusted: it ends `error`
 * and the volume is left as the admin left it.
 */
@Injectable()
export class CreateBackupHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(BACKUP_DRIVER) private readonly driver: ChunkedBackupDriver,
    @Inject(BACKUP_HOST) private readonly host: string,
    private readonly connection: VolumeConnection,
    @Inject(WorkClaims) private readonly claims: WorkClaims,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(backupId: string): Promise<void> {
    const log = this.logger.child({ backup_id: backupId });
    const run = this.claims.begin({
      resourceType: 'backup',
      resourceId: backupId,
      status: CREATING,
    });
    if (!run) {
      log.info('this backup is already being created; nothing to do');
      return;
    }
    try {
      await this.claimAndCreate(run, backupId, log);
    } finally {
      run.end();
    }
  }

  private async claimAndCreate(run: WorkRun, backupId: string, log: Logger): Promise<void> {
    const claim = await this.claim(run, backupId);
    if (claim === 'busy') {
      log.info('this backup is already being created; nothing to do');
      return;
    }
    if (claim === 'not-ours') {
      log.info('backup not waiting to be created here; nothing to do');
      return;
    }
    if ('stranded' in claim) {
      await this.finishAbandon(claim.stranded, log);
      return;
    }
    try {
      await this.create(claim, log);
    } catch (error) {
      // Transient or unexpected: give the claim back so that a redelivery, here or elsewhere,
      // runs it again; if the database is away this fails too, and a run again here takes the
      // note and the backup over.
      await this.release(run, backupId, log).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Notes the work and takes the backup for this host, or neither: a backup another host took,
   * or one no longer `creating` (a duplicate after the first delivery finished) stays as it is.
   * One no longer `creating` whose volume is still `backing-up` for it was cancelled under a run
   * that could not clean up (abandon() met the database away): its volume returns now.
   */
  private claim(
    run: WorkRun,
    backupId: string,
  ): Promise<BackupEntity | 'busy' | 'not-ours' | { stranded: BackupEntity }> {
    return this.dataSource.transaction(async (tx) => {
      if (!(await run.claim(tx))) return 'busy';
      const backups = new BackupsRepository(tx);
      const backup = await backups.claimCreate(backupId, this.host);
      if (backup) return backup;
      const row = await backups.lockAny(backupId);
      const stranded =
        row && row.status !== 'creating' && !(await backupSourceLeft(tx, row)) ? row : null;
      if (stranded) await this.returnVolume(tx, stranded);
      await finishWork(tx, 'backup', backupId, CREATING);
      return stranded ? { stranded } : 'not-ours';
    });
  }

  private async create(backup: BackupEntity, log: Logger): Promise<void> {
    if (backup.snapshot_id) {
      await this.createOfSnapshot(backup, backup.snapshot_id, log);
      return;
    }
    const manager = this.dataSource.manager;
    const volume = await new VolumesRepository(manager).findAny(backup.volume_id);
    if (volume?.status !== 'backing-up') {
      // Cinder checks this before it reads anything (a reset while the cast was queued).
      const got = volume?.status ?? 'deleted';
      const reason = `Create backup aborted, expected volume status backing-up but got ${got}.`;
      await this.fail(backup, reason, log);
      return;
    }
    if (await this.otherBackupOf(manager, backup)) {
      const reason = `Create backup aborted, volume ${volume.id} was reset and another backup now reads it.`;
      await this.fail(backup, reason, log);
      return;
    }
    await this.store(backup, volume, volume.size * GiB, log, (read) =>
      this.connection.with(volume, read),
    );
  }

  /**
   * A backup of a snapshot (Cinder's backup from snapshot): the snapshot's bytes, read through
   * a connection to the snapshot; the snapshot is `backing-up` meanwhile, the volume untouched.
   */
  private async createOfSnapshot(
    backup: BackupEntity,
    snapshotId: string,
    log: Logger,
  ): Promise<void> {
    const manager = this.dataSource.manager;
    const snapshot = await new SnapshotsRepository(manager).findLive(snapshotId);
    if (snapshot?.status !== 'backing-up') {
      const got = snapshot?.status ?? 'deleted';
      const reason = `Create backup aborted, expected snapshot status backing-up but got ${got}.`;
      await this.fail(backup, reason, log);
      return;
    }
    const volume = await new VolumesRepository(manager).findAny(backup.volume_id);
    if (!volume || volume.deleted) {
      await this.fail(backup, `Create backup aborted, volume ${backup.volume_id} is gone.`, log);
      return;
    }
    await this.store(backup, volume, snapshot.volume_size * GiB, log, (read) =>
      this.connection.withSnapshot(volume, snapshotId, read),
    );
  }

  /** Reads the source through `connect` into the repository, then settles the backup. */
  private async store(
    backup: BackupEntity,
    volume: VolumeEntity,
    sizeBytes: number,
    log: Logger,
    connect: (read: (sourcePath: string) => Promise<BackupResult>) => Promise<BackupResult>,
  ): Promise<void> {
    let result: BackupResult;
    try {
      const glanceMetadata = await new VolumeGlanceMetadataRepository(this.dataSource.manager).get(
        volume.id,
      );
      // What an earlier delivery left before it gave its claim back is ours now.
      await this.driver.delete(backup.id);
      result = await connect((sourcePath) =>
        this.driver.backup({
          backupId: backup.id,
          volumeId: volume.id,
          sourcePath,
          sizeBytes,
          parentId: backup.parent_id,
          volumeMeta: captureVolumeMeta(volume, glanceMetadata),
          onProgress: progressReporter(this.dataSource, backup.id, 'backup', log),
          stillWanted: () => this.stillCreating(backup.id),
        }),
      );
    } catch (error) {
      if (error instanceof BackupCancelledError) {
        await this.abandon(backup, log);
        return;
      }
      // Not the backup's fault (e.g. the database blinked under the check after an object):
      // it runs again once the message is redelivered.
      if (isTransientError(error)) throw error;
      await this.fail(backup, (error as Error).message, log);
      return;
    }
    const end = await this.dataSource.transaction(async (tx) => {
      const now = await this.standing(tx, backup);
      if (now.backup !== 'creating') return 'cancelled';
      if (now.volumeLeft) return now.volumeLeft;
      await applyTransition(tx, {
        machine: backupMachine,
        entity: BackupEntity,
        id: backup.id,
        event: 'create_succeeded',
        set: {
          object_count: result.objectCount,
          container: backup.container ?? this.driver.containerOf(backup.id),
          progress: 100,
        },
      });
      await this.returnVolume(tx, backup);
      if (backup.parent_id) {
        await new BackupsRepository(tx).addDependent(backup.parent_id);
      }
      await finishWork(tx, 'backup', backup.id, CREATING);
      return 'created';
    });
    if (end === 'created') {
      log.info({ objects: result.objectCount, stored_bytes: result.storedBytes }, 'backup created');
    } else if (end === 'cancelled') {
      await this.abandon(backup, log);
    } else {
      await this.fail(backup, end, log);
    }
  }

  /** The backup ends `error` with `reason`, without its data; the volume returns if it can. */
  private async fail(backup: BackupEntity, reason: string, log: Logger): Promise<void> {
    log.error({ err: reason }, 'backup failed');
    const still = await new BackupsRepository(this.dataSource.manager).findAny(backup.id);
    if (still?.status === 'creating') {
      // Removed before the row says `error`: a crash in between leaves the note, and the
      // restart cleanup removes it again.
      await this.driver.delete(backup.id).catch((error: Error) => {
        log.error({ err: error.message }, 'could not remove the failed backup data');
      });
    }
    const end = await this.dataSource.transaction(async (tx) => {
      const now = await this.standing(tx, backup);
      if (now.backup !== 'creating') return 'cancelled';
      await applyTransition(tx, {
        machine: backupMachine,
        entity: BackupEntity,
        id: backup.id,
        event: 'create_failed',
        set: { fail_reason: reason },
      });
      if (!now.volumeLeft) await this.returnVolume(tx, backup);
      await finishWork(tx, 'backup', backup.id, CREATING);
      return 'failed';
    });
    if (end === 'cancelled') await this.abandon(backup, log);
  }

  /**
   * The backup left `creating` under us: a force-delete cancelled it (its data is garbage, and
   * the delete may have run before the last chunks were written), or an admin set it. The
   * status stays as it is; the volume is no longer read. If the database goes away meanwhile,
   * the error propagates: the redelivery finds the volume still held and returns it (claim).
   */
  private async abandon(backup: BackupEntity, log: Logger): Promise<void> {
    const status = await this.dataSource.transaction(async (tx) => {
      const now = await this.standing(tx, backup);
      if (!now.volumeLeft) await this.returnVolume(tx, backup);
      await finishWork(tx, 'backup', backup.id, CREATING);
      return now.backup;
    });
    await this.finishAbandon({ ...backup, status: status as BackupEntity['status'] }, log);
  }

  /** After the volume returned: a cancelled backup's data goes (a reset one keeps it). */
  private async finishAbandon(backup: BackupEntity, log: Logger): Promise<void> {
    const status = backup.status;
    if (status === 'deleting' || status === 'deleted') {
      await this.driver.delete(backup.id).catch((error: Error) => {
        log.error({ err: error.message }, 'could not remove the cancelled backup data');
      });
    }
    log.warn({ status }, 'backup no longer creating; create abandoned');
  }

  private async standing(tx: EntityManager, backup: BackupEntity): Promise<Standing> {
    const row = await new BackupsRepository(tx).lockAny(backup.id);
    const volumeLeft = await backupSourceLeft(tx, backup);
    return { backup: row ? row.status : 'deleted', volumeLeft };
  }

  /** Still `creating` (a force-delete or a reset stops the create at its next object). */
  private async stillCreating(backupId: string): Promise<boolean> {
    const row = await new BackupsRepository(this.dataSource.manager).statusOf(backupId);
    return row?.status === 'creating' && !row.deleted;
  }

  /** Another backup reads the volume: it is `backing-up` for that one. */
  private otherBackupOf(manager: EntityManager, backup: BackupEntity): Promise<boolean> {
    return new BackupsRepository(manager).sourceTakenByOther(backup);
  }

  /** The volume (or, for a backup of a snapshot, the snapshot) is what it was before. */
  private returnVolume(tx: EntityManager, backup: BackupEntity): Promise<void> {
    return returnBackupSource(tx, backup);
  }

  /**
   * Gives the backup back (no host, no note) while it is still `creating` and this host's, with
   * what this run stored removed first: the next run, maybe at another backup service with
   * another repository, starts from nothing, and nothing is left behind here. A backup no longer
   * this host's (a force-delete took it) keeps its data for whoever holds it now.
   */
  private release(run: WorkRun, backupId: string, log: Logger): Promise<void> {
    return this.dataSource.transaction(async (tx) => {
      if (await new BackupsRepository(tx).releaseCreating(backupId, this.host)) {
        // Under the row's lock: no other service can take the backup before the data is gone.
        await this.driver.delete(backupId);
        log.warn('backup create given back, to run again');
      }
      await run.release(tx);
    });
  }
}
