import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MessageActions, MessageDetails, QuotaEngine, VolumeEntity } from '@cinderflow/persistence';
import { defineWork, ManagerWork } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';

/** Drops the pending size the API noted for the capacity accounting. */
const withoutPendingSize = (): string => "admin_metadata - 'extend_new_size'";

/** The API moved the volume to `extending`; a restart cannot tell how far the driver got. */
export const ExtendVolumeWork = defineWork({
  resourceType: 'volume',
  machine: volumeMachine,
  entity: VolumeEntity,
  status: 'extending',
  succeeded: 'extend_succeeded',
  failed: 'extend_failed',
  onRestart: 'fail',
  // A failed or interrupted extend no longer holds the new size on the backend.
  failedSet: () => ({ admin_metadata: withoutPendingSize }),
  failureMessage: {
    action: MessageActions.EXTEND_VOLUME,
    detail: MessageDetails.DRIVER_FAILED_EXTEND,
  },
});

/**
 * cinder/volume/manager.py extend_volume: the driver grows the bytes, then the volume takes the
 * new size and returns to what it was, and the growth's quota reservations are committed, in one
 * transaction; a driver failure leaves `error_extending` and a user message, and rolls them back.
 * A redelivery finds them settled (settling deletes them), so nothing is counted twice.
 */
@Injectable()
export class ExtendVolumeHandler implements OnModuleInit {
  private readonly quotas: QuotaEngine;

  constructor(
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    private readonly work: ManagerWork,
    @Inject(DataSource) dataSource: DataSource,
  ) {
    this.quotas = new QuotaEngine(dataSource);
  }

  onModuleInit(): void {
    this.work.register(ExtendVolumeWork);
  }

  handle(volumeId: string, newSize: number, reservations: string[] = []) {
    return this.work.run(ExtendVolumeWork, volumeId, {
      run: () => this.driver.extendVolume({ id: volumeId, size: newSize }),
      set: () => ({ size: newSize, admin_metadata: withoutPendingSize }),
      then: (tx) => this.quotas.commit(reservations, tx),
      onFailure: (tx) => this.quotas.rollback(reservations, tx),
      // Not extending any more (a reset-status): this extend will not happen.
      onMovedOn: (m) => this.quotas.rollback(reservations, m),
    });
  }
}
