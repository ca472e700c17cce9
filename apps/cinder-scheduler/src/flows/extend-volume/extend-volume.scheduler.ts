import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SchedulerConfig } from '@cinderflow/config';
import {
  backendOf,
  Destinations,
  type ExtendVolume,
  type RequestSpec,
  VolumeRpc,
} from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { Outbox } from '@cinderflow/messaging';
import {
  applyTransition,
  lockBackend,
  MessageActions,
  MessageDetails,
  provisionedOnBackend,
  QuotaEngine,
  RecordNotFoundError,
  recordUserMessage,
  StatusConflictError,
  VolumeEntity,
  VolumesRepository,
} from '@cinderflow/persistence';
import { currentContext } from '@cinderflow/request-context';
import { CONFIG, LOGGER, OUTBOX } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { CapacityFilter } from '../../filters';
import { HostManager } from '../../host-manager/host-manager';
import { volumeServicesByLiveness } from '../../host-manager/live-services';

/**
 * Cinder's scheduler extend_volume: the volume's own backend must have room for the growth
 * (the CapacityFilter asked for `new_size - size`), counted against the database under the
 * backend's lock as a create's claim is. Then the growth is held (`extend_new_size`, which the
 * capacity accounting counts) and cinder-volume is told to extend; otherwise the volume goes
 * back to what it was with a user message (EXTEND_VOLUME, NO_BACKEND_AVAILABLE).
 */
@Injectable()
export class ExtendVolumeScheduler {
  private readonly capacity = new CapacityFilter();

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly hosts: HostManager,
    @Inject(OUTBOX) private readonly outbox: Outbox,
    @Inject(CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(message: ExtendVolume): Promise<void> {
    const log = this.logger.child({ volume_id: message.volume_id, work: 'extend' });
    const volume = await new VolumesRepository(this.dataSource.manager).findLive(message.volume_id);
    if (!volume || volume.status !== 'extending' || !volume.host) {
      // This extend's reservations go (a no-op if they were settled already: settling deletes them).
      await new QuotaEngine(this.dataSource).rollback(message.reservations);
      log.info('volume not extending any more; nothing to do');
      return;
    }
    const serviceHost = backendOf(volume.host);
    const { live } = await volumeServicesByLiveness(
      this.dataSource,
      this.config.SERVICE_DOWN_TIME_S,
    );
    const backend = this.hosts.backendStates(live).find((b) => b.serviceHost === serviceHost);
    const growth = message.new_size - volume.size;
    const spec: RequestSpec = {
      volume_id: volume.id,
      size: growth,
      availability_zone: volume.availability_zone,
      volume_type: { id: volume.volume_type_id, name: '', extra_specs: {} },
    };
    const claimed =
      backend !== undefined &&
      (await this.dataSource.transaction(async (tx) => {
        await lockBackend(tx, serviceHost);
        // A duplicate of an extend already scheduled (its size is held, its cast sent) changes
        // nothing; counting its growth again could refuse the extend under way.
        const current = await new VolumesRepository(tx).findLive(volume.id);
        if (current?.status !== 'extending' || current.admin_metadata?.extend_new_size) {
          log.info('extend already scheduled or moved on; nothing to do');
          return 'done' as const;
        }
        const provisioned = await provisionedOnBackend(tx, serviceHost);
        const state = this.hosts.reconcile(serviceHost, provisioned) ?? backend;
        if (growth > 0 && !this.capacity.passes(state, spec)) return false;
        const held = await new VolumesRepository(tx).holdExtendSize(volume.id, message.new_size);
        if (!held) return true; // moved on meanwhile: nothing more to do
        await this.outbox.send(tx, Destinations.volume(serviceHost), VolumeRpc.extendVolume, {
          volume_id: volume.id,
          new_size: message.new_size,
          reservations: message.reservations,
        });
        this.hosts.consume(serviceHost, growth);
        return true;
      }));
    if (claimed === 'done') return;
    if (claimed) {
      log.info({ new_size: message.new_size }, 'extend scheduled');
      return;
    }
    await this.refuse(
      volume,
      `No valid backend was found. ${serviceHost} cannot grow ${volume.id}`,
      message.reservations,
      log,
    );
  }

  private async refuse(
    volume: VolumeEntity,
    explanation: string,
    reservations: string[],
    log: Logger,
  ): Promise<void> {
    try {
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event: 'extend_refused',
        });
        // Cinder's scheduler extend_volume rolls the growth's reservations back on NoValidBackend.
        await new QuotaEngine(this.dataSource).rollback(reservations, tx);
        await recordUserMessage(tx, {
          projectId: volume.project_id,
          requestId: currentContext()?.requestId ?? '-',
          resourceUuid: volume.id,
          action: MessageActions.EXTEND_VOLUME,
          detail: MessageDetails.NO_BACKEND_AVAILABLE,
          explanation,
        });
      });
      log.warn({ reason: explanation }, 'no room to extend; volume back to its previous status');
    } catch (error) {
      if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) return;
      throw error;
    }
  }
}
