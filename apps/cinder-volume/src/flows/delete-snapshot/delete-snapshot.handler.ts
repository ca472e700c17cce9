import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { VolumeConfig } from '@cinderflow/config';
import {
  MessageActions,
  MessageDetails,
  NOW_UTC,
  QuotaEngine,
  SnapshotEntity,
} from '@cinderflow/persistence';
import { CONFIG, defineWork, ManagerWork } from '@cinderflow/service-runtime';
import { snapshotMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';

/** The API moved the snapshot to `deleting`; removing bytes again is harmless, so a restart resumes. */
export const DeleteSnapshotWork = defineWork({
  resourceType: 'snapshot',
  machine: snapshotMachine,
  entity: SnapshotEntity,
  status: 'deleting',
  succeeded: 'delete_succeeded',
  failed: 'delete_failed',
  onRestart: 'resume',
  failureMessage: {
    action: MessageActions.SNAPSHOT_DELETE,
    detail: MessageDetails.SNAPSHOT_DELETE_ERROR,
    resource: 'VOLUME_SNAPSHOT',
  },
});

/**
 * The manager side of delete snapshot (cinder/volume/manager.py delete_snapshot): remove the
 * bytes, then soft-delete the row and give its quota back, together; a driver failure leaves
 * it `error_deleting` (still counted, as in Cinder).
 */
@Injectable()
export class DeleteSnapshotHandler implements OnModuleInit {
  private readonly quotas: QuotaEngine;

  constructor(
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    private readonly work: ManagerWork,
    @Inject(DataSource) dataSource: DataSource,
    @Inject(CONFIG) private readonly config: Pick<VolumeConfig, 'NO_SNAPSHOT_GB_QUOTA'>,
  ) {
    this.quotas = new QuotaEngine(dataSource);
  }

  onModuleInit(): void {
    this.work.register(DeleteSnapshotWork, (id) => this.handle(id));
  }

  handle(snapshotId: string) {
    return this.work.run(DeleteSnapshotWork, snapshotId, {
      run: () => this.driver.deleteSnapshot({ id: snapshotId }),
      set: () => ({ deleted: true, deleted_at: () => NOW_UTC }),
      then: (tx, row) => this.quotas.releaseSnapshot(tx, row, this.config.NO_SNAPSHOT_GB_QUOTA),
    });
  }
}
