import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import {
  applyTransition,
  finishWork,
  NOW_UTC,
  RecordNotFoundError,
  recordWork,
  StatusConflictError,
  VolumeEntity,
} from '@cinderflow/persistence';
import { LOGGER } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';
import { VOLUME_SERVICE, type VolumeServiceInfo } from '../../volume-service.identity';

/**
 * The manager side of delete: remove the bytes, then soft-delete the row. The API has already
 * moved the volume to `deleting`; a driver failure leaves it in `error_deleting`.
 */
@Injectable()
export class DeleteVolumeHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    @Inject(VOLUME_SERVICE) private readonly service: VolumeServiceInfo,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(volumeId: string): Promise<void> {
    const log = this.logger.child({ volume_id: volumeId });
    const volume = await this.dataSource.manager.findOne(VolumeEntity, {
      where: { id: volumeId, deleted: false },
    });
    if (!volume || volume.status !== 'deleting') {
      log.info({ status: volume?.status ?? 'gone' }, 'volume not deleting; nothing to do');
      return;
    }
    await recordWork(this.dataSource.manager, {
      resourceType: 'volume',
      resourceId: volumeId,
      status: 'deleting',
      serviceHost: this.service.serviceHost,
    });
    try {
      await this.driver.deleteVolume({ id: volumeId });
    } catch (error) {
      log.error({ err: (error as Error).message }, 'driver failed to delete the volume');
      await this.finish(volumeId, 'delete_failed', {});
      return;
    }
    await this.finish(volumeId, 'delete_succeeded', {
      deleted: true,
      deleted_at: () => NOW_UTC,
      terminated_at: () => NOW_UTC,
    });
    log.info('volume deleted');
  }

  private async finish(
    volumeId: string,
    event: 'delete_succeeded' | 'delete_failed',
    set: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volumeId,
          event,
          set,
        });
        await finishWork(tx, 'volume', volumeId);
      });
    } catch (error) {
      if (!(error instanceof StatusConflictError || error instanceof RecordNotFoundError)) {
        throw error;
      }
      // A duplicate delivery finished first.
    }
  }
}
