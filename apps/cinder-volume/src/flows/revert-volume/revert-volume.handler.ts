import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import {
  applyTransition,
  RecordNotFoundError,
  SnapshotEntity,
  SnapshotsRepository,
  StatusConflictError,
  VolumeEntity,
} from '@cinderflow/persistence';
import { defineWork, LOGGER, ManagerWork } from '@cinderflow/service-runtime';
import { snapshotMachine, volumeMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';

/**
 * The API moved the volume to `reverting` (and its latest snapshot to `restoring`); a restart
 * runs the revert again: the driver's revert is idempotent, and finishing beats leaving both held.
 */
export const RevertVolumeWork = defineWork({
  resourceType: 'volume',
  machine: volumeMachine,
  entity: VolumeEntity,
  status: 'reverting',
  succeeded: 'revert_succeeded',
  failed: 'revert_failed',
  onRestart: 'resume',
});

/**
 * The manager side of os-revert (Cinder's VolumeManager.revert_to_snapshot): the driver puts the
 * snapshot's bytes back; then the volume is `available` and the snapshot `available` again, in
 * one transaction. A driver failure leaves the volume `error` and frees the snapshot.
 */
@Injectable()
export class RevertVolumeHandler implements OnModuleInit {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    private readonly work: ManagerWork,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.work.register(RevertVolumeWork, (id) => this.resume(id));
  }

  handle(volumeId: string, snapshotId: string) {
    const release = (tx: EntityManager) => this.releaseSnapshot(tx, snapshotId);
    return this.work.run(RevertVolumeWork, volumeId, {
      run: (volume) =>
        this.driver.revertToSnapshot({ id: volume.id, size: volume.size }, { id: snapshotId }),
      then: release,
      onFailure: release,
    });
  }

  /** After a restart: the snapshot the revert was to is the volume's one held `restoring`. */
  private async resume(volumeId: string) {
    const snapshot = (await new SnapshotsRepository(this.dataSource.manager).liveOfVolume(volumeId))
      .filter((s) => s.status === 'restoring')
      .pop();
    if (snapshot) return this.handle(volumeId, snapshot.id);
    // Nothing to revert to any more (reset or deleted meanwhile): the revert cannot finish.
    return this.work.run(RevertVolumeWork, volumeId, {
      run: () => Promise.reject(new Error(`volume ${volumeId} has no snapshot restoring`)),
    });
  }

  /** The snapshot is no longer held by the revert, whatever its outcome. */
  private async releaseSnapshot(tx: EntityManager, snapshotId: string): Promise<void> {
    try {
      await applyTransition(tx, {
        machine: snapshotMachine,
        entity: SnapshotEntity,
        id: snapshotId,
        event: 'revert_finished',
      });
    } catch (error) {
      if (!(error instanceof StatusConflictError || error instanceof RecordNotFoundError)) {
        throw error;
      }
      // Moved on meanwhile (a reset-status or a force-delete): leave it as it is.
      this.logger.warn({ snapshot_id: snapshotId }, 'snapshot no longer restoring; left as it is');
    }
  }
}
