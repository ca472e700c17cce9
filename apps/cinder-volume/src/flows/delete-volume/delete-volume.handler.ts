import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NOW_UTC, QuotaEngine, SnapshotsRepository, VolumeEntity } from '@cinderflow/persistence';
import { defineWork, ManagerWork } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';
import { DeleteSnapshotHandler } from '../delete-snapshot/delete-snapshot.handler';

/** The API moved the volume to `deleting`; a restart resumes the delete. */
export const DeleteVolumeWork = defineWork({
  resourceType: 'volume',
  machine: volumeMachine,
  entity: VolumeEntity,
  status: 'deleting',
  succeeded: 'delete_succeeded',
  failed: 'delete_failed',
  onRestart: 'resume',
});

/**
 * The manager side of delete: remove the bytes, then soft-delete the row. A driver failure
 * leaves the volume in `error_deleting`. A cascade delete (the API moved every snapshot of the
 * volume to `deleting` with it) first deletes the snapshots, as Cinder's delete_volume does.
 */
@Injectable()
export class DeleteVolumeHandler implements OnModuleInit {
  constructor(
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly work: ManagerWork,
    private readonly snapshots: DeleteSnapshotHandler,
  ) {
    this.quotas = new QuotaEngine(dataSource);
  }

  private readonly quotas: QuotaEngine;

  onModuleInit(): void {
    this.work.register(DeleteVolumeWork, (id) => this.handle(id));
  }

  handle(volumeId: string) {
    return this.work.run(DeleteVolumeWork, volumeId, {
      run: async () => {
        await this.deleteSnapshotsOf(volumeId);
        await this.driver.deleteVolume({ id: volumeId });
      },
      set: () => ({ deleted: true, deleted_at: () => NOW_UTC, terminated_at: () => NOW_UTC }),
      // The usage is given back with the row's deletion.
      then: (tx, row) => this.quotas.releaseVolume(tx, row),
    });
  }

  /**
   * The volume's snapshots, which only a cascade delete leaves (all `deleting`); one in any other
   * status stops the delete (cinder/volume/manager.py delete_volume's words).
   */
  private async deleteSnapshotsOf(volumeId: string): Promise<void> {
    const repo = new SnapshotsRepository(this.dataSource.manager);
    const live = await repo.liveOfVolume(volumeId);
    for (const snapshot of live) {
      if (snapshot.status !== 'deleting') {
        throw new Error(
          `Invalid snapshot: Snapshot ${snapshot.id} was found in state ${snapshot.status} ` +
            "rather than 'deleting' during cascade delete.",
        );
      }
      if ((await this.snapshots.handle(snapshot.id)) === 'failed') {
        throw new Error(`Invalid snapshot: Snapshot ${snapshot.id} could not be deleted.`);
      }
    }
    // One moved on meanwhile (a reset-status) is still there: the volume's bytes must stay.
    const left = await repo.countLiveOfVolume(volumeId);
    if (left > 0)
      throw new Error(`Invalid volume: Volume ${volumeId} still has ${left} snapshots.`);
  }
}
