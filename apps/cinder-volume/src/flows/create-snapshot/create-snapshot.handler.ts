import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import {
  MessageActions,
  MessageDetails,
  SnapshotEntity,
  VolumeGlanceMetadataRepository,
  VolumesRepository,
} from '@cinderflow/persistence';
import { defineWork, ManagerWork } from '@cinderflow/service-runtime';
import { snapshotMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';

/**
 * The API created the snapshot `creating` and cast here (cinder/volume/manager.py
 * create_snapshot). A restart in the middle cannot know how far the driver got: `error`.
 */
export const CreateSnapshotWork = defineWork({
  resourceType: 'snapshot',
  machine: snapshotMachine,
  entity: SnapshotEntity,
  status: 'creating',
  succeeded: 'create_succeeded',
  failed: 'create_failed',
  onRestart: 'fail',
  failureMessage: {
    action: MessageActions.SNAPSHOT_CREATE,
    detail: MessageDetails.SNAPSHOT_CREATE_ERROR,
    resource: 'VOLUME_SNAPSHOT',
  },
});

/**
 * The manager side of create snapshot: the driver's point-in-time copy, then `available`; the
 * snapshot of a bootable volume keeps its image metadata, in the same transaction
 * (volume_glance_metadata_copy_to_snapshot), for the volumes made from it.
 */
@Injectable()
export class CreateSnapshotHandler implements OnModuleInit {
  constructor(
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    private readonly work: ManagerWork,
  ) {}

  onModuleInit(): void {
    this.work.register(CreateSnapshotWork);
  }

  /** A duplicate message finds the snapshot no longer `creating` and changes nothing. */
  handle(snapshotId: string) {
    return this.work.run(CreateSnapshotWork, snapshotId, {
      run: (row) => this.driver.createSnapshot({ id: row.id, volumeId: row.volume_id }),
      set: () => ({ progress: '100%' }),
      then: async (tx, row) => {
        const volume = await new VolumesRepository(tx).findAny(row.volume_id);
        if (volume?.bootable) {
          await new VolumeGlanceMetadataRepository(tx).copyToSnapshot(row.id, row.volume_id);
        }
      },
    });
  }
}
