import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SchedulerConfig } from '@cinderflow/config';
import {
  backendOf,
  Destinations,
  type RequestSpec,
  type RetypeVolume,
  VolumeRpc,
} from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { Outbox } from '@cinderflow/messaging';
import {
  applyTransition,
  RecordNotFoundError,
  StatusConflictError,
  VolumeEntity,
  VolumeTypeEntity,
} from '@cinderflow/persistence';
import { CONFIG, LOGGER, OUTBOX } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { AvailabilityZoneFilter, CapabilitiesFilter, CapacityFilter } from '../../filters';
import { HostManager } from '../../host-manager/host-manager';
import { volumeServicesByLiveness } from '../../host-manager/live-services';

/**
 * Cinder's scheduler retype (FilterScheduler.find_retype_backend): the backends that satisfy
 * the new type; the volume's own backend is not asked for room again (`vol_exists_on`). When
 * the volume's backend passes, its cinder-volume takes the new type. Otherwise the volume goes
 * back to what it was (Cinder's _retype_volume_set_error): with `never` that is Cinder's
 * answer; a migration to another backend (`on-demand`) is not implemented yet.
 */
@Injectable()
export class RetypeVolumeScheduler {
  private readonly az = new AvailabilityZoneFilter();
  private readonly capabilities = new CapabilitiesFilter();
  private readonly capacity = new CapacityFilter();

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly hosts: HostManager,
    @Inject(OUTBOX) private readonly outbox: Outbox,
    @Inject(CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(message: RetypeVolume): Promise<void> {
    const log = this.logger.child({ volume_id: message.volume_id, work: 'retype' });
    const manager = this.dataSource.manager;
    const volume = await manager.findOne(VolumeEntity, {
      where: { id: message.volume_id, deleted: false },
    });
    if (!volume || volume.status !== 'retyping' || !volume.host) {
      log.info('volume not retyping any more; nothing to do');
      return;
    }
    const type = await manager.findOne(VolumeTypeEntity, { where: { id: message.new_type_id } });
    if (!type) return this.giveUp(volume.id, log, 'the new type is gone');
    const spec: RequestSpec = {
      volume_id: volume.id,
      size: volume.size,
      availability_zone: volume.availability_zone,
      volume_type: { id: type.id, name: type.name, extra_specs: type.extra_specs ?? {} },
    };
    const own = backendOf(volume.host);
    const { live } = await volumeServicesByLiveness(
      this.dataSource,
      this.config.SERVICE_DOWN_TIME_S,
    );
    const passing = this.hosts
      .backendStates(live)
      .filter(
        (b) =>
          this.az.passes(b, spec) &&
          this.capabilities.passes(b, spec) &&
          (b.serviceHost === own || this.capacity.passes(b, spec)),
      );
    if (passing.length === 0) {
      return this.giveUp(volume.id, log, `No valid backends for volume ${volume.id}`);
    }
    const current = passing.find((b) => b.serviceHost === own);
    if (!current) {
      return this.giveUp(
        volume.id,
        log,
        message.migration_policy === 'never'
          ? `Current backend not valid for volume ${volume.id} with type ${type.name}, ` +
              'migration not allowed'
          : 'retype with migration to another backend is not implemented',
      );
    }
    await this.dataSource.transaction((tx) =>
      this.outbox.send(tx, Destinations.volume(own), VolumeRpc.retypeVolume, {
        volume_id: volume.id,
        new_type_id: type.id,
      }),
    );
    log.info({ backend: own }, 'retype on the current backend');
  }

  private async giveUp(volumeId: string, log: Logger, reason: string): Promise<void> {
    try {
      await applyTransition(this.dataSource.manager, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volumeId,
        event: 'retype_or_migrate_finished',
      });
      log.warn({ reason }, 'retype refused; volume back to its previous status');
    } catch (error) {
      if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) return;
      throw error;
    }
  }
}
