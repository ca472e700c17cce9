import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  backendOf,
  BackupRpc,
  type CreateVolume,
  Destinations,
  SchedulerRpc,
} from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { Outbox } from '@cinderflow/messaging';
import { currentContext } from '@cinderflow/request-context';
import {
  applyTransition,
  BackupEntity,
  BackupsRepository,
  finishWork,
  MessageActions,
  MessageDetails,
  recordUserMessage,
  RecordNotFoundError,
  recordWork,
  SnapshotsRepository,
  StatusConflictError,
  VolumeEntity,
  VolumeGlanceMetadataRepository,
  VolumesRepository,
} from '@cinderflow/persistence';
import { LOGGER, OUTBOX } from '@cinderflow/service-runtime';
import { backupMachine, volumeMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';
import { VOLUME_SERVICE, type VolumeServiceInfo } from '../../volume-service.identity';
import { CreateFromImage } from './create-from-image';

/**
 * The manager side of create (Cinder's volume_create_manager flow): create the bytes through the
 * driver, then move the volume to `available`. On a driver failure the request goes back to
 * the scheduler with this backend excluded (OnFailureRescheduleTask).
 */
@Injectable()
export class CreateVolumeHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    @Inject(OUTBOX) private readonly outbox: Outbox,
    @Inject(VOLUME_SERVICE) private readonly service: VolumeServiceInfo,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly fromImage: CreateFromImage,
  ) {}

  async handle(message: CreateVolume): Promise<void> {
    const { request_spec: spec, retry, host } = message;
    const log = this.logger.child({ volume_id: spec.volume_id, attempt: retry.num_attempts });
    if (backendOf(host) !== this.service.serviceHost) {
      log.warn({ host }, 'create addressed to another backend ignored');
      return;
    }
    // Only the attempt the scheduler assigned to us counts: a duplicate or stale message (the
    // volume moved on, or a newer attempt exists) changes nothing.
    // A create from an image is also taken up again `downloading` (a transient failure made the
    // message come back mid-way); the download starts over.
    const statuses = spec.image_id === undefined ? ['creating'] : ['creating', 'downloading'];
    const claimed = await this.dataSource.transaction(async (tx) => {
      const volume = await new VolumesRepository(tx).findLive(spec.volume_id);
      if (
        !volume ||
        !statuses.includes(volume.status) ||
        volume.host !== host ||
        volume.scheduling_attempt !== retry.num_attempts
      ) {
        return 'skip';
      }
      if (spec.backup_id !== undefined && (await handedToBackup(tx, spec.backup_id, volume.id))) {
        return 'handed';
      }
      await recordWork(tx, {
        resourceType: 'volume',
        resourceId: volume.id,
        status: volume.status,
        serviceHost: this.service.serviceHost,
      });
      return volume.status === 'downloading' ? 'downloading' : 'claimed';
    });
    if (claimed === 'skip') {
      log.info('create already handled or superseded; nothing to do');
      return;
    }
    if (claimed === 'handed') {
      // A delivery before this one handed the volume over; its restore cast went out with it.
      log.info('volume already handed to cinder-backup; nothing to do');
      return;
    }

    if (claimed !== 'downloading') {
      try {
        await this.createBytes(spec);
      } catch (error) {
        await this.reschedule(message, error as Error, log);
        return;
      }
    }

    if (spec.image_id !== undefined) {
      await this.fromImage.fill(
        message,
        claimed === 'downloading' ? 'downloading' : 'creating',
        log,
      );
      return;
    }

    if (spec.backup_id !== undefined) {
      await this.handToBackup(message, spec.backup_id, log);
      return;
    }

    try {
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: spec.volume_id,
          event: 'create_succeeded',
          set: { launched_at: new Date(), ...(await bootableFromSource(tx, spec)) },
          where: {
            sql: 'host = :host AND scheduling_attempt = :attempt',
            params: { host, attempt: retry.num_attempts },
          },
        });
        await copyGlanceMetadata(tx, spec);
        await finishWork(tx, 'volume', spec.volume_id);
      });
      log.info({ host }, 'volume created');
    } catch (error) {
      if (error instanceof StatusConflictError) {
        // Another delivery of the same message finished first.
        log.info({ status: error.current }, 'volume no longer creating; leaving it as it is');
        return;
      }
      throw error;
    }
  }

  /**
   * Cinder's _create_raw_volume, _create_from_snapshot or _create_from_source_volume: the new
   * volume holds the source's bytes as they are now; one made from an image starts as a raw
   * volume. Each driver call is idempotent (a redelivery calls it again).
   */
  private createBytes(spec: CreateVolume['request_spec']): Promise<void> {
    const volume = { id: spec.volume_id, size: spec.size };
    if (spec.snapshot_id !== undefined) {
      return this.driver.createVolumeFromSnapshot(volume, { id: spec.snapshot_id });
    }
    if (spec.source_volid !== undefined) {
      return this.driver.createClonedVolume(volume, { id: spec.source_volid });
    }
    return this.driver.createVolume(volume);
  }

  /**
   * Cinder's _create_from_backup for a driver that cannot do it itself: the volume made here
   * stays `creating` while cinder-backup restores the backup into it, and leaves it `available`
   * (or `error`). This service's part of the work ends with the hand-over.
   */
  private async handToBackup(message: CreateVolume, backupId: string, log: Logger) {
    const { request_spec: spec, host, retry } = message;
    const ours = { host, attempt: retry.num_attempts };
    const outcome = await this.dataSource.transaction(async (tx) => {
      // This service's part ends here, whatever the outcome.
      await finishWork(tx, 'volume', spec.volume_id);
      // Locked, so that a concurrent delivery cannot hand over a volume that moved on meanwhile.
      if (!(await lockCreating(tx, spec.volume_id, ours))) return 'moved-on' as const;
      try {
        const backup = await applyTransition(tx, {
          machine: backupMachine,
          entity: BackupEntity,
          id: backupId,
          event: 'restore_start',
          set: { restore_volume_id: spec.volume_id },
        });
        await this.outbox.send(tx, Destinations.backupHost(backup.host!), BackupRpc.restoreBackup, {
          backup_id: backupId,
          volume_id: spec.volume_id,
          volume_is_new: true,
        });
        return 'handed' as const;
      } catch (error) {
        // Gone (deleted since the API checked it) or taken for something else: no hand-over.
        if (!(error instanceof StatusConflictError || error instanceof RecordNotFoundError)) {
          throw error;
        }
        if (await handedToBackup(tx, backupId, spec.volume_id)) return 'already-handed' as const;
        // The backup was taken for something else (a restore, a delete) since the API checked
        // it: this volume cannot be made from it.
        const status = error instanceof StatusConflictError ? error.current : 'gone';
        log.warn({ backup_id: backupId, status }, 'backup no longer available');
        const volume = await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: spec.volume_id,
          event: 'create_failed',
        });
        await recordUserMessage(tx, {
          projectId: volume.project_id,
          requestId: currentContext()?.requestId ?? '-',
          resourceUuid: volume.id,
          action: MessageActions.BACKUP_RESTORE,
          detail: MessageDetails.BACKUP_INVALID_STATE,
          explanation: `backup ${backupId} is ${status}, not available`,
        });
        return 'failed' as const;
      }
    });
    if (outcome === 'moved-on' || outcome === 'already-handed') {
      log.info({ outcome }, 'another delivery already took this volume further');
    } else if (outcome === 'failed') {
      await this.driver.deleteVolume({ id: spec.volume_id }).catch(() => undefined);
    } else {
      log.info(
        { backup_id: backupId },
        'volume created; restore of the backup handed to cinder-backup',
      );
    }
  }

  private async reschedule(message: CreateVolume, error: Error, log: Logger): Promise<void> {
    const { request_spec: spec, retry } = message;
    log.warn({ err: error.message }, 'driver failed to create the volume; rescheduling');
    // Leave no half-made volume behind on this backend.
    await this.driver.deleteVolume({ id: spec.volume_id }).catch(() => undefined);
    await this.dataSource.transaction(async (tx) => {
      await finishWork(tx, 'volume', spec.volume_id);
      await this.outbox.send(tx, Destinations.scheduler(), SchedulerRpc.createVolume, {
        request_spec: spec,
        retry: {
          num_attempts: retry.num_attempts + 1,
          backends: [...retry.backends, this.service.serviceHost],
          exc_reasons: [...retry.exc_reasons, `${this.service.serviceHost}: ${error.message}`],
        },
      });
    });
  }
}

/** The volume, locked, if it is still `creating` on this attempt at this host. */
async function lockCreating(
  manager: EntityManager,
  volumeId: string,
  ours: { host: string; attempt: number },
): Promise<boolean> {
  const volume = await new VolumesRepository(manager).lockCreatingAttempt(volumeId, ours);
  return volume !== null;
}

/** Whether the backup is already being restored into this volume (an earlier delivery did it). */
async function handedToBackup(
  manager: EntityManager,
  backupId: string,
  volumeId: string,
): Promise<boolean> {
  const backup = await new BackupsRepository(manager).findAny(backupId);
  return backup?.status === 'restoring' && backup.restore_volume_id === volumeId;
}

/**
 * Cinder's _handle_bootable_volume_glance_meta for a snapshot or a clone: a volume made from a
 * bootable volume (or a snapshot of one) gets the image metadata the snapshot kept
 * (volume_glance_metadata_copy_to_volume) or the source volume has
 * (volume_glance_metadata_copy_from_volume_to_volume). None to copy is no error.
 */
async function copyGlanceMetadata(
  manager: EntityManager,
  spec: CreateVolume['request_spec'],
): Promise<void> {
  if (!(await bootableFromSource(manager, spec)).bootable) return;
  const glance = new VolumeGlanceMetadataRepository(manager);
  if (spec.snapshot_id !== undefined) {
    await glance.copyFromSnapshot(spec.volume_id, spec.snapshot_id);
  } else if (spec.source_volid !== undefined) {
    await glance.copyFromVolume(spec.volume_id, spec.source_volid);
  }
}

/** A volume made from a bootable volume (or a snapshot of one) is bootable too, as in Cinder. */
async function bootableFromSource(
  manager: EntityManager,
  spec: CreateVolume['request_spec'],
): Promise<{ bootable?: true }> {
  let sourceId = spec.source_volid;
  if (spec.snapshot_id !== undefined) {
    const snapshot = await new SnapshotsRepository(manager).findAny(spec.snapshot_id);
    sourceId = snapshot?.volume_id;
  }
  if (sourceId === undefined) return {};
  const source = await new VolumesRepository(manager).findAny(sourceId);
  return source?.bootable ? { bootable: true } : {};
}
