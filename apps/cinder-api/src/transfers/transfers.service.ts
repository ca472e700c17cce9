import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import type { Logger } from '@cinderflow/logging';
import {
  applyTransition,
  NOW_UTC,
  OverQuotaError,
  type QuotaEngine,
  RecordNotFoundError,
  SnapshotEntity,
  StatusConflictError,
  TransferEntity,
  type TransferFilters,
  TransfersRepository,
  type SortKey,
  VolumeEntity,
  VolumesRepository,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG, LOGGER } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import {
  CinderHttpError,
  invalidSnapshot,
  invalidVolume,
  NOT_FOUND,
  notFound,
} from '../common/cinder-errors';
import { authorize } from '../common/policy';
import { quotaEngineOf } from '../common/quota';
import { overQuotaFault, volumeSizeExceedsLimit } from '../common/quota-errors';

/** Cinder's volume_transfer_salt_length and volume_transfer_key_length defaults. */
const SALT_LENGTH = 8;
const KEY_LENGTH = 16;

/** Cinder's InvalidAuthKey. */
export const invalidAuthKey = (reason: string) =>
  new CinderHttpError(400, `Invalid auth key: ${reason}`);

/**
 * Cinder's _get_random_string: hex digits of sha224 over random bytes, so that whoever receives
 * the key can type it.
 */
export function randomHexString(length: number): string {
  let out = '';
  while (out.length < length) out += createHash('sha224').update(randomBytes(255)).digest('hex');
  return out.slice(0, length);
}

/** Cinder's _get_crypt_hash: HMAC-SHA1 of the auth key keyed with the salt, in hex. */
export function cryptHash(salt: string, authKey: string | number): string {
  return createHmac('sha1', salt).update(String(authKey)).digest('hex');
}

/** Whether `authKey` is the key whose hash the transfer keeps (in constant time). */
export function keyMatches(
  transfer: Pick<TransferEntity, 'salt' | 'crypt_hash'>,
  authKey: string | number,
): boolean {
  const given = Buffer.from(cryptHash(transfer.salt ?? '', authKey));
  const kept = Buffer.from(transfer.crypt_hash ?? '');
  return given.length === kept.length && timingSafeEqual(given, kept);
}

/** A new transfer, with the auth key the create answer shows once. */
export type CreatedTransfer = TransferEntity & { auth_key: string };

export interface TransferListQuery {
  allTenants: boolean;
  /** With all_tenants, an admin's `project_id` filter: transfers of that project's volumes. */
  projectId?: string;
  filters: TransferFilters;
  sort: SortKey[];
  limit: number;
  offset: number;
  marker?: string;
}

/** volumes, gigabytes and the per-type pair for one volume (Cinder's add_volume_type_opts). */
function volumeDeltas(size: number, typeName: string | null, sign: number): Record<string, number> {
  const deltas: Record<string, number> = { volumes: sign, gigabytes: sign * size };
  if (typeName !== null) {
    deltas[`volumes_${typeName}`] = sign;
    deltas[`gigabytes_${typeName}`] = sign * size;
  }
  return deltas;
}

/** Cinder's _handle_snapshot_quota deltas: every snapshot counted, sizes unless no_snapshot_gb_quota. */
function snapshotsDeltas(
  snapshots: SnapshotEntity[],
  typeName: string | null,
  noSnapshotGbQuota: boolean,
  sign: number,
): Record<string, number> {
  // A snapshot that never used quota (use_quota false) has none to move.
  const counted = snapshots.filter((s) => s.use_quota);
  if (counted.length === 0) return {};
  const count = counted.length;
  const size = noSnapshotGbQuota ? 0 : counted.reduce((sum, s) => sum + s.volume_size, 0);
  const deltas: Record<string, number> = { snapshots: sign * count, gigabytes: sign * size };
  if (typeName !== null) {
    deltas[`snapshots_${typeName}`] = sign * count;
    deltas[`gigabytes_${typeName}`] = sign * size;
  }
  return deltas;
}

/** cinder/transfer/api.py with the transfer_* functions of cinder/db/api.py. */
@Injectable()
export class TransfersService {
  private readonly quotas: QuotaEngine;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.quotas = quotaEngineOf(dataSource, config);
  }

  private repo(manager: EntityManager = this.dataSource.manager): TransfersRepository {
    return new TransfersRepository(manager);
  }

  /** Cinder's _transfer_get: a non-admin sees the transfers of its own project's volumes. */
  async get(caller: RequestContext, id: string): Promise<TransferEntity> {
    authorize(caller, 'volume:get_transfer');
    const transfer = await this.repo().findLive(id, caller.isAdmin ? undefined : caller.projectId);
    if (!transfer) throw notFound(NOT_FOUND.transfer(id));
    return transfer;
  }

  list(caller: RequestContext, query: TransferListQuery): Promise<TransferEntity[]> {
    return this.repo().list({
      projectId: caller.isAdmin && query.allTenants ? query.projectId : caller.projectId,
      filters: query.filters,
      sort: query.sort,
      limit: query.limit,
      offset: query.offset,
      marker: query.marker,
      markerNotFound: (marker) => notFound(NOT_FOUND.transfer(marker)),
    });
  }

  /**
   * Cinder's create: the volume must be available (and, unless `noSnapshots`, so must its
   * snapshots); it turns `awaiting-transfer` with one conditional update, in the transaction
   * that writes the transfer, so a concurrent create or status change loses cleanly.
   */
  async create(
    caller: RequestContext,
    volumeId: string,
    name: string | null,
    noSnapshots: boolean,
  ): Promise<CreatedTransfer> {
    return this.dataSource.transaction(async (tx) => {
      // FOR UPDATE: a snapshot create in flight (it holds the volume FOR SHARE) finishes first,
      // so its snapshot is among those checked below.
      const volume = await new VolumesRepository(tx).lockLive(volumeId);
      if (!volume || (!caller.isAdmin && volume.project_id !== caller.projectId)) {
        throw notFound(NOT_FOUND.volume(volumeId));
      }
      authorize(caller, 'volume:create_transfer', volume);
      if (volume.status !== 'available') throw invalidVolume('status must be available');
      if (!noSnapshots) {
        for (const snapshot of await this.snapshotsOf(tx, volume.id)) {
          if (snapshot.status !== 'available') {
            throw invalidSnapshot(`snapshot: ${snapshot.id} status must be available`);
          }
        }
      }
      const id = randomUUID();
      try {
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event: 'transfer_create',
        });
      } catch (error) {
        if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
          throw invalidVolume(
            `Transfer ${id}: Volume id ${volume.id} expected in available state.`,
          );
        }
        throw error;
      }
      const salt = randomHexString(SALT_LENGTH);
      const authKey = randomHexString(KEY_LENGTH);
      const transfer: TransferEntity = {
        id,
        volume_id: volume.id,
        display_name: name,
        salt,
        crypt_hash: cryptHash(salt, authKey),
        expires_at: null,
        no_snapshots: noSnapshots,
        source_project_id: volume.project_id,
        destination_project_id: null,
        accepted: false,
        created_at: new Date(),
        updated_at: null,
        deleted_at: null,
        deleted: false,
      };
      await this.repo(tx).insert(transfer);
      const row = await this.repo(tx).findLive(id);
      return { ...row!, auth_key: authKey };
    });
  }

  /**
   * Cinder's delete (transfer_destroy): the volume goes back to available if it still awaits
   * the transfer, and the transfer is gone. The transfer's row is locked first, so a racing
   * accept either finished before (this is then a 404) or waits and finds it gone.
   */
  async delete(caller: RequestContext, id: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const transfer = await this.repo(tx).lockLive(id);
      const volume =
        transfer && (await tx.findOne(VolumeEntity, { where: { id: transfer.volume_id } }));
      if (!transfer || !volume || (!caller.isAdmin && volume.project_id !== caller.projectId)) {
        throw notFound(NOT_FOUND.transfer(id));
      }
      authorize(caller, 'volume:delete_transfer', volume);
      try {
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event: 'transfer_end',
        });
      } catch (error) {
        if (!(error instanceof StatusConflictError || error instanceof RecordNotFoundError)) {
          throw error;
        }
        // As Cinder: the volume is left as it is, the transfer still goes.
        this.logger.error(
          { transfer_id: id },
          `Transfer ${id}: Volume expected in awaiting-transfer state.`,
        );
      }
      await this.repo(tx).markDeleted(id);
    });
  }

  /**
   * Cinder's accept, in one transaction: the key checked, the volume's quota (and its
   * snapshots', unless no_snapshots) reserved in the caller's project (over quota: 413) and
   * released from the donor's, the volume (and snapshots) given to the caller, the transfer
   * marked accepted. The transfer's row is locked first: of two accepts, or an accept and a
   * delete, the second finds it gone (404).
   */
  async accept(
    caller: RequestContext,
    id: string,
    authKey: string | number,
  ): Promise<TransferEntity> {
    authorize(caller, 'volume:accept_transfer');
    return this.dataSource.transaction(async (tx) => {
      const transfer = await this.repo(tx).lockLive(id);
      if (!transfer) throw notFound(NOT_FOUND.transfer(id));
      if (!keyMatches(transfer, authKey)) {
        throw invalidAuthKey(`Attempt to transfer ${id} with invalid auth key.`);
      }
      const volume = await new VolumesRepository(tx).lockLive(transfer.volume_id);
      if (!volume) throw notFound(NOT_FOUND.volume(transfer.volume_id));
      const donor = volume.project_id;
      const snapshots = transfer.no_snapshots ? [] : await this.snapshotsOf(tx, volume.id);
      await this.moveQuota(tx, caller.projectId, donor, volume, snapshots);
      try {
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event: 'transfer_end',
          set: { project_id: caller.projectId, user_id: caller.userId },
        });
      } catch (error) {
        if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
          throw invalidVolume(
            `Transfer ${id}: Volume id ${volume.id} expected in awaiting-transfer state.`,
          );
        }
        throw error;
      }
      for (const snapshot of snapshots) {
        if (snapshot.status !== 'available') {
          throw invalidSnapshot(
            `Transfer ${id}: Snapshot ${snapshot.id} is not in the expected available state.`,
          );
        }
      }
      if (snapshots.length > 0) {
        await tx
          .createQueryBuilder()
          .update(SnapshotEntity)
          .set({ project_id: caller.projectId, user_id: caller.userId, updated_at: () => NOW_UTC })
          .where('id IN (:...ids)', { ids: snapshots.map((s) => s.id) })
          .execute();
      }
      await this.repo(tx).markDeleted(id, caller.projectId);
      return transfer;
    });
  }

  /** The volume's live snapshots, locked so that none changes status while we look. */
  private snapshotsOf(tx: EntityManager, volumeId: string): Promise<SnapshotEntity[]> {
    return tx
      .createQueryBuilder(SnapshotEntity, 's')
      .setLock('pessimistic_write')
      .where('s.volume_id = :volumeId AND s.deleted = false', { volumeId })
      .orderBy('s.id')
      .getMany();
  }

  /**
   * The volume's usage (and its snapshots') reserved in `receiver` (checked: over quota is
   * Cinder's 413) and given back by `donor` (never refused), committed in `tx`. The two
   * projects' usage rows are locked in project order, so that opposite transfers never deadlock.
   */
  private async moveQuota(
    tx: EntityManager,
    receiver: string,
    donor: string,
    volume: VolumeEntity,
    snapshots: SnapshotEntity[],
  ): Promise<void> {
    const perVolume = (await this.quotas.projectLimits(receiver, ['per_volume_gigabytes'], tx))
      .per_volume_gigabytes;
    if (perVolume >= 0 && volume.size > perVolume) {
      throw volumeSizeExceedsLimit(volume.size, perVolume);
    }
    const typeName = await this.quotas.typeNameOf(volume.volume_type_id, tx);
    const noGb = this.config.NO_SNAPSHOT_GB_QUOTA;
    const take = async () => {
      try {
        await this.quotas.consume(receiver, volumeDeltas(volume.size, typeName, 1), tx);
      } catch (err) {
        if (err instanceof OverQuotaError) throw overQuotaFault(err, 'volumes', volume.size);
        throw err;
      }
      const snapshotDeltas = snapshotsDeltas(snapshots, typeName, noGb, 1);
      try {
        await this.quotas.consume(receiver, snapshotDeltas, tx);
      } catch (err) {
        if (err instanceof OverQuotaError) {
          throw overQuotaFault(err, 'snapshots', snapshotDeltas.gigabytes ?? 0);
        }
        throw err;
      }
    };
    const give = async () => {
      await this.quotas.consume(donor, volumeDeltas(volume.size, typeName, -1), tx);
      await this.quotas.consume(donor, snapshotsDeltas(snapshots, typeName, noGb, -1), tx);
    };
    if (donor < receiver) {
      await give();
      await take();
    } else {
      await take();
      await give();
    }
  }
}
