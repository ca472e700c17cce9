import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SchedulerConfig } from '@cinderflow/config';
import {
  backendOf,
  Destinations,
  type MigrateVolume,
  type RequestSpec,
  type RetypeVolume,
  VolumeRpc,
} from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { Outbox } from '@cinderflow/messaging';
import {
  applyTransition,
  lockBackend,
  provisionedOnBackend,
  QuotaEngine,
  RecordNotFoundError,
  SnapshotsRepository,
  StatusConflictError,
  VolumeEntity,
  VolumesRepository,
  VolumeTypesRepository,
} from '@cinderflow/persistence';
import { CONFIG, LOGGER, OUTBOX } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { AvailabilityZoneFilter, CapabilitiesFilter, CapacityFilter } from '../../filters';
import type { BackendState } from '../../filters/backend-state';
import { HostManager } from '../../host-manager/host-manager';
import { volumeServicesByLiveness } from '../../host-manager/live-services';
import { CapacityWeigher, weighBackends } from '../../weighers';

/**
 * Cinder's scheduler retype (FilterScheduler.find_retype_backend): the backends that satisfy
 * the new type; the volume's own backend is not asked for room again (`vol_exists_on`). When
 * the volume's backend passes, its cinder-volume takes the new type. Otherwise the volume goes
 * back to what it was (Cinder's _retype_volume_set_error) with `never`; with `on-demand` the
 * best other backend is claimed (its room counted against the database, as a create's) and the
 * volume's backend is told to migrate it there.
 */
@Injectable()
export class RetypeVolumeScheduler {
  private readonly az = new AvailabilityZoneFilter();
  private readonly capabilities = new CapabilitiesFilter();
  private readonly capacity = new CapacityFilter();
  private readonly weighers;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly hosts: HostManager,
    @Inject(OUTBOX) private readonly outbox: Outbox,
    @Inject(CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.weighers = [new CapacityWeigher(config.CAPACITY_WEIGHT_MULTIPLIER)];
  }

  async handle(message: RetypeVolume): Promise<void> {
    const log = this.logger.child({ volume_id: message.volume_id, work: 'retype' });
    const manager = this.dataSource.manager;
    const volume = await new VolumesRepository(manager).findLive(message.volume_id);
    const reservations = message.reservations;
    if (!volume || volume.status !== 'retyping' || !volume.host) {
      // This retype's reservations go (a no-op if they were settled already).
      await new QuotaEngine(this.dataSource).rollback(reservations);
      log.info('volume not retyping any more; nothing to do');
      return;
    }
    const type = await new VolumeTypesRepository(manager).findAny(message.new_type_id);
    if (!type) return this.giveUp(volume.id, log, reservations, 'the new type is gone');
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
      return this.giveUp(volume.id, log, reservations, `No valid backends for volume ${volume.id}`);
    }
    const current = passing.find((b) => b.serviceHost === own);
    if (!current) {
      if (message.migration_policy === 'never') {
        return this.giveUp(
          volume.id,
          log,
          reservations,
          `Current backend not valid for volume ${volume.id} with type ${type.name}, ` +
            'migration not allowed',
        );
      }
      // Cinder's manager refuses these moves: an attached volume needs Nova to swap its
      // bytes, and snapshots stay on their backend.
      if (volume.previous_status === 'in-use') {
        return this.giveUp(
          volume.id,
          log,
          reservations,
          'an attached volume cannot be migrated here',
        );
      }
      if (await this.hasSnapshots(volume.id)) {
        return this.giveUp(volume.id, log, reservations, 'Volume must not have snapshots.');
      }
      for (const { backend } of weighBackends(passing, spec, this.weighers)) {
        if (await this.claimMigration(volume, backend, spec, type.id, reservations)) {
          log.info({ destination: backend.name }, 'retype with migration');
          return;
        }
      }
      return this.giveUp(volume.id, log, reservations, `No valid backends for volume ${volume.id}`);
    }
    await this.dataSource.transaction((tx) =>
      this.outbox.send(tx, Destinations.volume(own), VolumeRpc.retypeVolume, {
        volume_id: volume.id,
        new_type_id: type.id,
        reservations,
      }),
    );
    log.info({ backend: own }, 'retype on the current backend');
  }

  /**
   * os-migrate_volume (Cinder's scheduler migrate_volume → backend_passes_filters): the backend
   * the admin named must pass the filters for the volume's own type; then it is claimed as for
   * a retype. Otherwise the volume is unlocked with migration_status `error`. A migration without
   * lock_volume leaves the volume `available`; if something moved it on meanwhile (an attach, a
   * backup), that aborts the migration.
   */
  async handleMigrate(message: MigrateVolume): Promise<void> {
    const log = this.logger.child({ volume_id: message.volume_id, work: 'migrate' });
    const manager = this.dataSource.manager;
    const volumes = new VolumesRepository(manager);
    const volume = await volumes.findLive(message.volume_id);
    if (!volume || volume.migration_status !== 'starting') {
      log.info('volume not waiting for a migration any more; nothing to do');
      return;
    }
    const status = volume.status;
    if (status !== 'maintenance' && status !== 'available') {
      if (await volumes.abortUnlockedMigration(volume.id, 'starting')) {
        log.warn({ status }, 'the volume changed before its migration was scheduled; aborted');
      }
      return;
    }
    const type = await new VolumeTypesRepository(manager).findAny(volume.volume_type_id);
    const spec: RequestSpec = {
      volume_id: volume.id,
      size: volume.size,
      availability_zone: volume.availability_zone,
      volume_type: {
        id: volume.volume_type_id,
        name: type?.name ?? '',
        extra_specs: type?.extra_specs ?? {},
      },
    };
    const { live } = await volumeServicesByLiveness(
      this.dataSource,
      this.config.SERVICE_DOWN_TIME_S,
    );
    const wanted = backendOf(message.host);
    const destination = this.hosts
      .backendStates(live)
      .find(
        (b) =>
          b.serviceHost === wanted &&
          (!message.host.includes('#') || b.name === message.host) &&
          this.az.passes(b, spec) &&
          this.capabilities.passes(b, spec),
      );
    if (
      !destination ||
      !(await this.claimMigration(volume, destination, spec, null, [], status, 'starting'))
    ) {
      const reason = `Cannot place volume ${volume.id} on ${message.host}`;
      if (status === 'maintenance') return this.giveUp(volume.id, log, [], reason, 'error');
      if (await volumes.abortUnlockedMigration(volume.id, 'starting'))
        log.warn({ reason }, 'migration refused');
      return;
    }
    log.info({ destination: destination.name }, 'migration scheduled');
  }

  /**
   * Holds the volume's size on `backend` (the capacity accounting counts `migration_host`) if
   * it has room once the database's placements are counted, and tells the source to migrate.
   */
  private claimMigration(
    volume: VolumeEntity,
    backend: BackendState,
    spec: RequestSpec,
    newTypeId: string | null,
    reservations: string[],
    status: 'retyping' | 'maintenance' | 'available' = 'retyping',
    fromMigrationStatus: 'starting' | null = null,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      await lockBackend(tx, backend.serviceHost);
      const provisioned = await provisionedOnBackend(tx, backend.serviceHost, {
        excludeVolumeId: volume.id,
      });
      const state = this.hosts.reconcile(backend.serviceHost, provisioned) ?? backend;
      if (!this.capacity.passes(state, spec)) return false;
      // The volume stays `retyping`; the migration is its migration_status.
      const claimed = await new VolumesRepository(tx).claimMigration(
        volume.id,
        backend.name,
        status,
        fromMigrationStatus,
      );
      if (!claimed) {
        // Moved on meanwhile: nothing more to do, but an unlocked migration overtaken ends here.
        if (status === 'available') {
          await new VolumesRepository(tx).abortUnlockedMigration(volume.id, 'starting');
        }
        return true;
      }
      await this.outbox.send(
        tx,
        Destinations.volume(backendOf(volume.host!)),
        VolumeRpc.migrateVolume,
        {
          volume_id: volume.id,
          host: backend.name,
          new_type_id: newTypeId,
          reservations,
        },
      );
      this.hosts.consume(backend.serviceHost, spec.size);
      return true;
    });
  }

  private async hasSnapshots(volumeId: string): Promise<boolean> {
    return new SnapshotsRepository(this.dataSource.manager).anyLiveOfVolume(volumeId);
  }

  /**
   * The volume back to what it was and, as Cinder's _retype_volume_set_error, the retype's quota
   * reservations rolled back, together.
   */
  private async giveUp(
    volumeId: string,
    log: Logger,
    reservations: string[],
    reason: string,
    migrationStatus?: 'error',
  ): Promise<void> {
    try {
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volumeId,
          event: 'retype_or_migrate_finished',
          set: migrationStatus ? { migration_status: migrationStatus } : undefined,
        });
        await new QuotaEngine(this.dataSource).rollback(reservations, tx);
      });
      log.warn({ reason }, 'retype refused; volume back to its previous status');
    } catch (error) {
      if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
        // Moved on meanwhile: the retype ends here all the same.
        await new QuotaEngine(this.dataSource).rollback(reservations);
        return;
      }
      throw error;
    }
  }
}
