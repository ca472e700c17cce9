import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import {
  type CapabilityReport,
  type Pool,
  type ExtendVolume,
  type MigrateVolume,
  type RetypeVolume,
  type ScheduleCreateVolume,
  SchedulerRpc,
} from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import { type DeadLetter, RpcDeadLetter, RpcHandler } from '@cinderflow/messaging';
import { QuotaEngine, reservationsIn, VolumeEntity } from '@cinderflow/persistence';
import {
  LOGGER,
  settleDeadCreateVolume,
  settleDeadLetter,
  settleDeadMigration,
} from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { CreateVolumeScheduler } from './flows/create-volume/create-volume.scheduler';
import { ExtendVolumeScheduler } from './flows/extend-volume/extend-volume.scheduler';
import { RetypeVolumeScheduler } from './flows/retype-volume/retype-volume.scheduler';
import { HostManager } from './host-manager/host-manager';

@Controller()
export class SchedulerController {
  constructor(
    private readonly hosts: HostManager,
    private readonly scheduleCreate: CreateVolumeScheduler,
    private readonly scheduleRetype: RetypeVolumeScheduler,
    private readonly scheduleExtend: ExtendVolumeScheduler,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(DataSource) private readonly dataSource: DataSource,
  ) {}

  @RpcHandler(SchedulerRpc.createVolume)
  onCreateVolume(@Payload() message: ScheduleCreateVolume): Promise<void> {
    return this.scheduleCreate.handle(message);
  }

  /** A create no retry can place (a bug, a broken message): the volume ends `error`. */
  @RpcDeadLetter(SchedulerRpc.createVolume)
  async onCreateVolumeDead(@Payload() letter: DeadLetter): Promise<void> {
    await settleDeadCreateVolume(this.dataSource, letter);
  }

  @RpcHandler(SchedulerRpc.retypeVolume)
  onRetypeVolume(@Payload() message: RetypeVolume): Promise<void> {
    return this.scheduleRetype.handle(message);
  }

  /** A retype that can never be scheduled: the volume goes back to what it was. */
  @RpcDeadLetter(SchedulerRpc.retypeVolume)
  async onRetypeVolumeDead(@Payload() letter: DeadLetter): Promise<void> {
    await settleDeadLetter(this.dataSource, letter, 'volume_id', {
      machine: volumeMachine,
      entity: VolumeEntity,
      events: ['retype_or_migrate_finished'],
      resourceType: 'volume',
    });
    await new QuotaEngine(this.dataSource).rollback(reservationsIn(letter.payload));
  }

  @RpcHandler(SchedulerRpc.extendVolume)
  onExtendVolume(@Payload() message: ExtendVolume): Promise<void> {
    return this.scheduleExtend.handle(message);
  }

  /** An extend that can never be scheduled: the volume goes back to what it was. */
  @RpcDeadLetter(SchedulerRpc.extendVolume)
  async onExtendVolumeDead(@Payload() letter: DeadLetter): Promise<void> {
    await settleDeadLetter(this.dataSource, letter, 'volume_id', {
      machine: volumeMachine,
      entity: VolumeEntity,
      events: ['extend_refused'],
      set: { admin_metadata: () => "admin_metadata - 'extend_new_size'" },
      resourceType: 'volume',
    });
    await new QuotaEngine(this.dataSource).rollback(reservationsIn(letter.payload));
  }

  @RpcHandler(SchedulerRpc.migrateVolume)
  onMigrateVolume(@Payload() message: MigrateVolume): Promise<void> {
    return this.scheduleRetype.handleMigrate(message);
  }

  /** A migration that can never be scheduled: unlocked, migration_status `error`. */
  @RpcDeadLetter(SchedulerRpc.migrateVolume)
  async onMigrateVolumeDead(@Payload() letter: DeadLetter): Promise<void> {
    await settleDeadMigration(this.dataSource, letter);
  }

  @RpcHandler(SchedulerRpc.updateServiceCapabilities)
  onCapabilities(@Payload() report: CapabilityReport): void {
    if (this.hosts.update(report)) {
      this.logger.debug(
        { backend: report.service_host, free_gb: report.capabilities.free_capacity_gb },
        'capabilities updated',
      );
    }
  }

  @RpcHandler(SchedulerRpc.getPools)
  onGetPools(@Payload() filter: { backend?: string; volume_backend_name?: string }): Pool[] {
    return this.hosts.pools(filter);
  }
}
