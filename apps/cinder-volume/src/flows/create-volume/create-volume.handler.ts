import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { backendOf, type CreateVolume, Destinations, SchedulerRpc } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { RpcClient } from '@cinderflow/messaging';
import {
  applyTransition,
  finishWork,
  recordWork,
  StatusConflictError,
  VolumeEntity,
} from '@cinderflow/persistence';
import { LOGGER, RPC_CLIENT } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';
import { VOLUME_SERVICE, type VolumeServiceInfo } from '../../volume-service.identity';

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
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(VOLUME_SERVICE) private readonly service: VolumeServiceInfo,
    @Inject(LOGGER) private readonly logger: Logger,
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
    const claimed = await this.dataSource.transaction(async (tx) => {
      const volume = await tx.findOne(VolumeEntity, {
        where: { id: spec.volume_id, deleted: false },
      });
      if (
        !volume ||
        volume.status !== 'creating' ||
        volume.host !== host ||
        volume.scheduling_attempt !== retry.num_attempts
      ) {
        return false;
      }
      await recordWork(tx, {
        resourceType: 'volume',
        resourceId: volume.id,
        status: 'creating',
        serviceHost: this.service.serviceHost,
      });
      return true;
    });
    if (!claimed) {
      log.info('create already handled or superseded; nothing to do');
      return;
    }

    try {
      await this.driver.createVolume({ id: spec.volume_id, size: spec.size });
    } catch (error) {
      await this.reschedule(message, error as Error, log);
      return;
    }

    try {
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: spec.volume_id,
          event: 'create_succeeded',
          set: { launched_at: new Date() },
          where: {
            sql: 'host = :host AND scheduling_attempt = :attempt',
            params: { host, attempt: retry.num_attempts },
          },
        });
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

  private async reschedule(message: CreateVolume, error: Error, log: Logger): Promise<void> {
    const { request_spec: spec, retry } = message;
    log.warn({ err: error.message }, 'driver failed to create the volume; rescheduling');
    // Leave no half-made volume behind on this backend.
    await this.driver.deleteVolume({ id: spec.volume_id }).catch(() => undefined);
    await this.dataSource.transaction((tx) => finishWork(tx, 'volume', spec.volume_id));
    await this.rpc.cast(Destinations.scheduler(), SchedulerRpc.createVolume, {
      request_spec: spec,
      retry: {
        num_attempts: retry.num_attempts + 1,
        backends: [...retry.backends, this.service.serviceHost],
        exc_reasons: [...retry.exc_reasons, `${this.service.serviceHost}: ${error.message}`],
      },
    });
  }
}
