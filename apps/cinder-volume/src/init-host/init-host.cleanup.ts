import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import {
  applyTransition,
  finishWork,
  MessageActions,
  MessageDetails,
  recordUserMessage,
  StatusConflictError,
  unfinishedWork,
  VolumeEntity,
  VolumesRepository,
} from '@cinderflow/persistence';
import { LOGGER, ManagerWork } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../drivers/volume-driver';
import { VOLUME_SERVICE, type VolumeServiceInfo } from '../volume-service.identity';

/**
 * Cinder's init_host cleanup: work this backend started and never finished (it crashed or was
 * killed) is settled before new work is taken — a create becomes `error` (one cut short while
 * downloading its image has its bytes cleared first: Cinder's clear_download), a delete is
 * resumed.
 */
@Injectable()
export class InitHostCleanup {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly work: ManagerWork,
    @Inject(VOLUME_SERVICE) private readonly service: VolumeServiceInfo,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
  ) {}

  async run(): Promise<void> {
    const leftovers = await unfinishedWork(this.dataSource.manager, this.service.serviceHost);
    for (const work of leftovers) {
      // Work declared with ManagerWork (delete, and the flows built on it) settles itself.
      if (await this.work.settleLeftover(work)) continue;
      const log = this.logger.child({ volume_id: work.resource_id, status: work.status });
      const volume = await new VolumesRepository(this.dataSource.manager).findLive(
        work.resource_id,
      );
      if (!volume || volume.status !== work.status) {
        // Someone else (e.g. a reset-status) moved it on: nothing to clean.
        await finishWork(this.dataSource.manager, work.resource_type, work.resource_id);
        continue;
      }
      if (work.status === 'creating' || work.status === 'downloading') {
        const downloading = work.status === 'downloading';
        if (downloading) {
          // No partial image data may stay in a volume, even an `error` one.
          await this.driver.clearDownload({ id: volume.id, size: volume.size });
        }
        await this.dataSource
          .transaction(async (tx) => {
            await applyTransition(tx, {
              machine: volumeMachine,
              entity: VolumeEntity,
              id: volume.id,
              event: 'cleanup_creating',
            });
            await finishWork(tx, 'volume', volume.id);
            if (downloading) {
              await recordUserMessage(tx, {
                projectId: volume.project_id,
                requestId: '-',
                resourceUuid: volume.id,
                action: MessageActions.COPY_IMAGE_TO_VOLUME,
                detail: MessageDetails.UNKNOWN_ERROR,
                explanation:
                  'The image download was interrupted by a restart of the volume service.',
              });
            }
          })
          .catch((error: unknown) => {
            if (!(error instanceof StatusConflictError)) throw error;
          });
        log.warn(
          `${downloading ? 'download' : 'create'} interrupted by a restart; volume set to error`,
        );
      }
    }
  }
}
