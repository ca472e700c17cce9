import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { NOW_UTC, VolumeEntity } from '@cinderflow/persistence';
import { defineWork, ManagerWork } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';

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
 * leaves the volume in `error_deleting`.
 */
@Injectable()
export class DeleteVolumeHandler implements OnModuleInit {
  constructor(
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    private readonly work: ManagerWork,
  ) {}

  onModuleInit(): void {
    this.work.register(DeleteVolumeWork, (id) => this.handle(id));
  }

  handle(volumeId: string) {
    return this.work.run(DeleteVolumeWork, volumeId, {
      run: () => this.driver.deleteVolume({ id: volumeId }),
      set: () => ({ deleted: true, deleted_at: () => NOW_UTC, terminated_at: () => NOW_UTC }),
    });
  }
}
