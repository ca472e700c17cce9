import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { backendOf, Destinations, VolumeRpc } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { RpcClient } from '@cinderflow/messaging';
import { QuotaEngine, VolumeEntity, VolumesRepository } from '@cinderflow/persistence';
import { defineWork, ManagerWork, LOGGER, RPC_CLIENT } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';
import { VOLUME_SERVICE, type VolumeServiceInfo } from '../../volume-service.identity';
import { RetypeVolumeWork } from '../retype-volume/retype-volume.handler';

/** os-migrate_volume's move: the volume is locked (`maintenance`) until it ends, either way. */
export const MigrateVolumeWork = defineWork({
  resourceType: 'volume',
  machine: volumeMachine,
  entity: VolumeEntity,
  status: 'maintenance',
  succeeded: 'retype_or_migrate_finished',
  failed: 'retype_or_migrate_finished',
  onRestart: 'resume',
});

/**
 * os-migrate_volume's move without lock_volume: the volume stays `available` while it moves, as
 * in Cinder. Anything that changes the volume meanwhile (an attach, a backup, a reset) aborts the
 * move (Cinder: "False means it allows the volume migration to be aborted"): it commits only if
 * the row is exactly as it was when the copy began.
 */
export const MigrateUnlockedWork = defineWork({
  resourceType: 'volume',
  machine: volumeMachine,
  entity: VolumeEntity,
  status: 'available',
  succeeded: 'migrate_unlocked_finished',
  failed: 'migrate_unlocked_finished',
  onRestart: 'resume',
});

type MoveKind = typeof RetypeVolumeWork | typeof MigrateVolumeWork | typeof MigrateUnlockedWork;

/** The export each side makes for the copy (one per volume, so a rerun reuses it). */
const MIGRATION_EXPORT = 'migration';
/**
 * The follow-up that removes a moved volume's bytes from the source once the move is committed:
 * noted in the commit's transaction, so that a crash before the bytes are gone leaves a note the
 * restart cleanup finishes, not a file no row points at.
 */
export const SOURCE_REMOVAL = 'migrated-volume-source';

/**
 * Cinder's generic migration (volume/manager.py migrate_volume → _migrate_volume_generic), on
 * the source backend: the destination makes and exports the volume's bytes, this side exports
 * its own and copies them over, then the volume takes its new host (and type) and, once that is
 * committed, the source's bytes go (a follow-up noted with the commit, see SOURCE_REMOVAL). A
 * failure leaves the volume where it was, with
 * migration_status `error`, and the destination's partial copy removed.
 */
@Injectable()
export class MigrateVolumeHandler implements OnModuleInit {
  constructor(
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly work: ManagerWork,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(VOLUME_SERVICE) private readonly service: VolumeServiceInfo,
  ) {
    this.quotas = new QuotaEngine(dataSource);
  }

  private readonly quotas: QuotaEngine;

  onModuleInit(): void {
    this.work.register(RetypeVolumeWork, (id) => this.abandon(RetypeVolumeWork, id));
    this.work.register(MigrateVolumeWork, (id) => this.abandon(MigrateVolumeWork, id));
    this.work.register(MigrateUnlockedWork, (id) => this.abandon(MigrateUnlockedWork, id));
    this.work.registerFollowUp(SOURCE_REMOVAL, (id) => this.removeSource(id));
  }

  /**
   * The source's side once the move is committed: its export and bytes go. Bytes of a volume
   * that lives here again (moved back since) are its live bytes, and stay.
   */
  private async removeSource(volumeId: string): Promise<void> {
    const volume = await new VolumesRepository(this.dataSource.manager).findLive(volumeId);
    if (volume?.host && backendOf(volume.host) === this.service.serviceHost) {
      this.logger.warn({ volume_id: volumeId }, 'the volume lives here again; its bytes stay');
      return;
    }
    await this.driver.terminateConnection({ id: volumeId }, MIGRATION_EXPORT);
    await this.driver.deleteVolume({ id: volumeId });
  }

  /**
   * Work a restart interrupted cannot be picked up (how far the copy got is unknown): it ends as
   * a failure would, the volume where it was and, if it was moving, migration_status `error` and
   * its hold on the destination released. The destination's partial copy is left behind.
   */
  private async abandon(kind: MoveKind, volumeId: string): Promise<void> {
    await this.work.run(kind, volumeId, {
      run: () => Promise.reject(new Error('interrupted by a restart')),
      setOnFailure: (row) =>
        row.migration_status === 'migrating'
          ? {
              migration_status: 'error',
              admin_metadata: () => "admin_metadata - 'migration_host'",
            }
          : {},
      onMovedOn:
        kind === MigrateUnlockedWork ? (tx) => this.abortUnlocked(tx, volumeId) : undefined,
    });
    await this.driver.terminateConnection({ id: volumeId }, MIGRATION_EXPORT);
  }

  async handle(m: {
    volume_id: string;
    host: string;
    new_type_id: string | null;
    reservations?: string[];
  }) {
    // A retype's quota reservations: committed with the move, rolled back if it ends otherwise.
    const reservations = m.reservations ?? [];
    const destination = Destinations.volume(backendOf(m.host));
    let size = 0;
    const kind = await this.kindOf(m);
    const unlocked = kind === MigrateUnlockedWork;
    let seen: string | null = null;
    const outcome = await this.work.run(kind, m.volume_id, {
      guard: { sql: "t.migration_status = 'migrating'", params: {} },
      run: async (row) => {
        size = row.size;
        // Read before the copy: a change after it (an attach, even one already detached again)
        // changes the row's version, and the move must not commit bytes copied before it.
        if (unlocked)
          seen = await new VolumesRepository(this.dataSource.manager).rowVersion(row.id);
        const target = await this.rpc.call(destination, VolumeRpc.migrationTarget, {
          volume_id: row.id,
          size: row.size,
          op: 'prepare',
        });
        if (!target.device_path) throw new Error('the destination gave no device path');
        // Both volumes attached to this host, as Cinder's generic migration does; the driver
        // copies (copy_volume_data).
        await this.driver.initializeConnection({ id: row.id }, MIGRATION_EXPORT, {}, 'ro');
        await this.driver.copyVolumeData({ id: row.id }, target.device_path);
        await this.driver.terminateConnection({ id: row.id }, MIGRATION_EXPORT);
        await this.rpc.call(destination, VolumeRpc.migrationTarget, {
          volume_id: row.id,
          size: row.size,
          op: 'finish',
        });
      },
      set: (row) => ({
        host: m.host,
        volume_type_id: m.new_type_id ?? row.volume_type_id,
        migration_status: 'success',
        admin_metadata: () => "admin_metadata - 'migration_host'",
      }),
      succeedIf: unlocked ? () => ({ sql: 'xmin::text = :seen', params: { seen } }) : undefined,
      then: async (tx) => {
        await this.quotas.commit(reservations, tx);
        await this.work.noteFollowUp(tx, SOURCE_REMOVAL, m.volume_id);
      },
      setOnFailure: () => ({
        migration_status: 'error',
        admin_metadata: () => "admin_metadata - 'migration_host'",
      }),
      onFailure: (tx) => this.quotas.rollback(reservations, tx),
      onMovedOn: async (tx) => {
        await this.quotas.rollback(reservations, tx);
        if (unlocked) await this.abortUnlocked(tx, m.volume_id);
      },
    });
    if (outcome === 'done') {
      this.logger.info({ volume_id: m.volume_id, host: m.host }, 'volume migrated');
    }
    // Also after a redelivery that found the move committed (the removal failed transiently).
    if (outcome !== 'failed') await this.work.runFollowUp(SOURCE_REMOVAL, m.volume_id);
    // A move that failed, or that the volume's change overtook after the copy began.
    if (outcome === 'failed' || (outcome === 'skipped' && size > 0)) {
      await this.dropCopy(m, size);
    }
  }

  /**
   * Which move this is: a retype's happens while `retyping`; an admin's (os-migrate_volume) in
   * `maintenance` with lock_volume, else while `available`.
   */
  private async kindOf(m: { volume_id: string; new_type_id: string | null }): Promise<MoveKind> {
    if (m.new_type_id) return RetypeVolumeWork;
    const volume = await new VolumesRepository(this.dataSource.manager).findLive(m.volume_id);
    return volume?.status === 'maintenance' ? MigrateVolumeWork : MigrateUnlockedWork;
  }

  private async abortUnlocked(manager: EntityManager, volumeId: string): Promise<void> {
    if (await new VolumesRepository(manager).abortUnlockedMigration(volumeId, 'migrating')) {
      this.logger.warn({ volume_id: volumeId }, 'the volume changed meanwhile; migration aborted');
    }
  }

  /** Removes this side's export and the destination's copy, unless the volume lives there. */
  private async dropCopy(m: { volume_id: string; host: string }, size: number): Promise<void> {
    await this.driver.terminateConnection({ id: m.volume_id }, MIGRATION_EXPORT);
    const volume = await new VolumesRepository(this.dataSource.manager).findLive(m.volume_id);
    if (volume?.host === m.host) return;
    await this.rpc
      .call(Destinations.volume(backendOf(m.host)), VolumeRpc.migrationTarget, {
        volume_id: m.volume_id,
        size,
        op: 'abort',
      })
      .catch((error: unknown) =>
        this.logger.warn(
          { volume_id: m.volume_id, err: (error as Error).message },
          'could not remove the partial copy on the destination',
        ),
      );
  }

  /** The destination's side: make, unexport or remove the volume's bytes here. */
  async target(m: {
    volume_id: string;
    size: number;
    op: 'prepare' | 'finish' | 'abort';
  }): Promise<{ device_path: string | null }> {
    const volume = { id: m.volume_id, size: m.size };
    if (m.op === 'prepare') {
      // A fresh target: a copy an interrupted attempt left would keep bytes the source lost.
      await this.driver.deleteVolume(volume);
      await this.driver.createVolume(volume);
      const connection = await this.driver.initializeConnection(volume, MIGRATION_EXPORT, {}, 'rw');
      return { device_path: String(connection.data.device_path) };
    }
    await this.driver.terminateConnection(volume, MIGRATION_EXPORT);
    if (m.op === 'abort') await this.driver.deleteVolume(volume);
    return { device_path: null };
  }
}
