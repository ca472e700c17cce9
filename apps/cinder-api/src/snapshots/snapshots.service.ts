import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import { backendOf, Destinations, VolumeRpc } from '@cinderflow/contracts';
import type { Outbox } from '@cinderflow/messaging';
import {
  applyTransition,
  finishWork,
  OverQuotaError,
  type QuotaEngine,
  RecordNotFoundError,
  SnapshotEntity,
  type SnapshotFilters,
  snapshotDeltas,
  SnapshotsRepository,
  StatusConflictError,
  VolumeEntity,
  VolumesRepository,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG, OUTBOX } from '@cinderflow/service-runtime';
import { type SnapshotEvent, snapshotMachine } from '@cinderflow/status-machines';
import {
  badRequest,
  CinderHttpError,
  invalidVolume,
  NOT_FOUND,
  notFound,
} from '../common/cinder-errors';
import type { ListParams } from '../common/list-params';
import { quotaEngineOf } from '../common/quota';
import { overQuotaFault } from '../common/quota-errors';
import { scopeOf } from '../common/scope';
import { assertNotFrozen } from '../common/frozen';
import { authorize } from '../common/policy';
import { parseMetadataFilter } from '../volumes/volumes.service';

/** Cinder's InvalidSnapshot. */
export const invalidSnapshot = (reason: string) =>
  new CinderHttpError(400, `Invalid snapshot: ${reason}`);

export const SNAPSHOT_FILTERS = [
  'name',
  'status',
  'volume_id',
  'metadata',
  'availability_zone',
  'consumes_quota',
  'project_id',
] as const;

export const SNAPSHOT_SORT_COLUMNS: Record<string, string> = {
  id: 's.id',
  name: "COALESCE(s.display_name, '')",
  display_name: "COALESCE(s.display_name, '')",
  status: 's.status',
  volume_id: 's.volume_id',
  volume_size: 's.volume_size',
  project_id: 's.project_id',
  created_at: 's.created_at',
  updated_at: 'COALESCE(s.updated_at, s.created_at)',
};

export interface SnapshotPage {
  snapshots: SnapshotEntity[];
  limit: number;
  count?: number;
}

export interface NewSnapshot {
  volumeId: string | null;
  name: string | null;
  description: string | null;
  metadata: Record<string, string>;
  /** `force`, or (3.66 on) any create: an in-use volume may be snapshotted too. */
  allowInUse: boolean;
}

@Injectable()
export class SnapshotsService {
  private readonly quotas: QuotaEngine;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OUTBOX) private readonly outbox: Outbox,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {
    this.quotas = quotaEngineOf(dataSource, config);
  }

  private repo(manager: EntityManager = this.dataSource.manager): SnapshotsRepository {
    return new SnapshotsRepository(manager);
  }

  async list(caller: RequestContext, params: ListParams): Promise<SnapshotPage> {
    const f = params.filters;
    const filters: SnapshotFilters = {
      name: f.name,
      status: f.status,
      volume_id: f.volume_id,
      availability_zone: f.availability_zone,
    };
    if (params.allTenants && caller.isAdmin) filters.project_id = f.project_id;
    if (f.metadata !== undefined) filters.metadata = parseMetadataFilter(f.metadata);
    if (f.consumes_quota !== undefined) {
      filters.use_quota = ['1', 't', 'true', 'on', 'y', 'yes'].includes(
        f.consumes_quota.toLowerCase(),
      );
    }
    const page = await this.repo().list(scopeOf(caller, params.allTenants), filters, {
      sort: params.sort,
      limit: params.limit,
      marker: params.marker,
      withCount: params.withCount,
      markerNotFound: (marker) => notFound(NOT_FOUND.snapshot(marker)),
    });
    return { snapshots: page.rows, limit: params.limit, count: page.count };
  }

  /**
   * A snapshot the caller may see (admins see every project's), then the policy `rules` on it:
   * another project's snapshot is a 404 before any rule can make it a 403.
   */
  async get(caller: RequestContext, id: string, ...rules: string[]): Promise<SnapshotEntity> {
    const snapshot = await this.repo().findLive(id, scopeOf(caller, true));
    if (!snapshot) throw notFound(NOT_FOUND.snapshot(id));
    for (const rule of rules) authorize(caller, rule, snapshot);
    return snapshot;
  }

  /**
   * Cinder's create_snapshot_in_db: the volume's checks, the row `creating`, and the cast to the
   * volume's backend, in one transaction that holds the volume's row (FOR SHARE) so that a
   * concurrent volume delete or status change waits for it.
   */
  async create(caller: RequestContext, request: NewSnapshot): Promise<SnapshotEntity> {
    const volumeId = request.volumeId;
    if (volumeId === null) throw notFound(NOT_FOUND.volume('None'));
    return this.dataSource.transaction(async (tx) => {
      const volume = await new VolumesRepository(tx).lockLiveForShare(volumeId);
      const scope = scopeOf(caller, true);
      if (!volume || (scope.projectId !== undefined && volume.project_id !== scope.projectId)) {
        throw notFound(NOT_FOUND.volume(volumeId));
      }
      authorize(caller, 'volume:create_snapshot', volume);
      if (volume.host) await assertNotFrozen(tx, volume.host);
      checkSnapshottable(volume);
      const valid = request.allowInUse ? ['available', 'in-use'] : ['available'];
      if (!valid.includes(volume.status)) {
        throw invalidVolume(
          `Volume ${volume.id} status must be ${valid.join(', ')}, but current status is: ${volume.status}.`,
        );
      }
      await this.reserveQuota(tx, caller.projectId, volume);
      const snapshot: SnapshotEntity = {
        id: randomUUID(),
        project_id: caller.projectId,
        user_id: caller.userId,
        volume_id: volume.id,
        status: 'creating',
        progress: '0%',
        volume_size: volume.size,
        display_name: request.name,
        display_description: request.description,
        volume_type_id: volume.volume_type_id,
        metadata: request.metadata,
        group_snapshot_id: null,
        provider_location: null,
        use_quota: true,
        created_at: new Date(),
        updated_at: null,
        deleted_at: null,
        deleted: false,
      };
      await this.repo(tx).insert(snapshot);
      await this.outbox.send(
        tx,
        Destinations.volume(backendOf(volume.host!)),
        VolumeRpc.createSnapshot,
        {
          snapshot_id: snapshot.id,
          volume_id: volume.id,
        },
      );
      return await this.repo(tx).getAny(snapshot.id);
    });
  }

  /**
   * Cinder's create_snapshot_in_db quota step: snapshots and (unless no_snapshot_gb_quota) the
   * volume's size in gigabytes, with the volume type's resources, reserved and committed in the
   * snapshot's own transaction (usage and row never part); over quota is its 413.
   */
  private async reserveQuota(
    tx: EntityManager,
    projectId: string,
    volume: VolumeEntity,
  ): Promise<void> {
    const typeName = await this.quotas.typeNameOf(volume.volume_type_id, tx);
    const deltas = snapshotDeltas(volume.size, typeName, this.config.NO_SNAPSHOT_GB_QUOTA);
    try {
      await this.quotas.consume(projectId, deltas, tx);
    } catch (err) {
      if (err instanceof OverQuotaError) throw overQuotaFault(err, 'snapshots', volume.size);
      throw err;
    }
  }

  /** PUT: names and descriptions only. */
  async update(
    caller: RequestContext,
    id: string,
    changes: { display_name?: string | null; display_description?: string | null },
  ): Promise<SnapshotEntity> {
    await this.get(caller, id, 'volume:update_snapshot');
    return this.write(id, changes);
  }

  /**
   * Cinder's delete_snapshot: one conditional update to `deleting` (from available or error,
   * from almost anything when forced) and the cast to the volume's backend, together.
   */
  async delete(caller: RequestContext, id: string, force: boolean): Promise<void> {
    const snapshot = await this.get(caller, id, 'volume:delete_snapshot');
    const owner = await this.repo().volumeOf(snapshot);
    if (owner?.host) await assertNotFrozen(this.dataSource, owner.host);
    const event: SnapshotEvent = force ? 'force_delete' : 'delete';
    try {
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: snapshotMachine,
          entity: SnapshotEntity,
          id: snapshot.id,
          event,
          where: { sql: 'group_snapshot_id IS NULL', params: {} },
        }).catch((error: unknown) => {
          // A forced delete of one stuck `deleting` sends the delete again, as Cinder's does
          // (its conditional update to `deleting` matches any status).
          if (force && error instanceof StatusConflictError && error.current === 'deleting') return;
          throw error;
        });
        const volume = await this.repo(tx).volumeOf(snapshot);
        await this.outbox.send(
          tx,
          Destinations.volume(backendOf(volume!.host!)),
          VolumeRpc.deleteSnapshot,
          { snapshot_id: snapshot.id },
        );
      });
    } catch (error) {
      if (error instanceof RecordNotFoundError) throw notFound(NOT_FOUND.snapshot(id));
      if (error instanceof StatusConflictError) {
        const status = force ? '' : 'status must be available or error and';
        throw invalidSnapshot(`Snapshot ${status} must not be part of a group.`);
      }
      throw error;
    }
  }

  // --- metadata (cinder/api/v3/snapshot_metadata.py) ---

  async metadata(caller: RequestContext, id: string): Promise<Record<string, string>> {
    return (await this.get(caller, id, 'volume:get_snapshot_metadata')).metadata ?? {};
  }

  /** Merges (`replace` false) or replaces the metadata; answers the whole of it. */
  async updateMetadata(
    caller: RequestContext,
    id: string,
    metadata: Record<string, string>,
    replace: boolean,
  ): Promise<Record<string, string>> {
    await this.get(caller, id, 'volume:update_snapshot_metadata');
    const updated = await this.repo().updateMetadata(id, metadata, replace);
    if (updated === null) throw notFound(NOT_FOUND.snapshot(id));
    return updated;
  }

  async deleteMetadataKey(caller: RequestContext, id: string, key: string): Promise<void> {
    const snapshot = await this.get(caller, id, 'volume:delete_snapshot_metadata');
    if (!(key in (snapshot.metadata ?? {}))) throw notFound(NOT_FOUND.snapshotMetadata(id, key));
    if (!(await this.repo().deleteMetadataKey(id, key))) {
      throw notFound(NOT_FOUND.snapshotMetadata(id, key));
    }
  }

  // --- actions ---

  /** os-reset_status: any status to the one asked; the work note, if any, goes with it. */
  async resetStatus(snapshot: SnapshotEntity, status: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await applyTransition(tx, {
        machine: snapshotMachine,
        entity: SnapshotEntity,
        id: snapshot.id,
        event: `reset_to_${status}` as SnapshotEvent,
      });
      await finishWork(tx, 'snapshot', snapshot.id);
    });
  }

  /** os-update_snapshot_status (cinder/api/contrib/snapshot_actions.py). */
  async updateStatus(
    snapshot: SnapshotEntity,
    status: string,
    progress: string | undefined,
  ): Promise<void> {
    const allowed: Record<string, string[]> = {
      creating: ['creating', 'available', 'error'],
      deleting: ['deleting', 'error_deleting'],
    };
    const check = (current: string) => {
      if (!(current in allowed)) {
        throw badRequest(`Snapshot status ${current} not allowed for update_snapshot_status`);
      }
      if (!allowed[current].includes(status)) {
        throw badRequest(
          `Provided snapshot status ${status} not allowed for snapshot with status ${current}.`,
        );
      }
    };
    check(snapshot.status);
    try {
      await applyTransition(this.dataSource.manager, {
        machine: snapshotMachine,
        entity: SnapshotEntity,
        id: snapshot.id,
        event: `update_status_${status}` as SnapshotEvent,
        set: progress ? { progress } : undefined,
      });
    } catch (error) {
      // It moved meanwhile: the same answer as if it had been so when we looked.
      if (error instanceof StatusConflictError) check(error.current);
      if (error instanceof RecordNotFoundError) throw notFound(NOT_FOUND.snapshot(snapshot.id));
      throw error;
    }
  }

  private async write(
    id: string,
    changes: Partial<Pick<SnapshotEntity, 'display_name' | 'display_description'>>,
  ): Promise<SnapshotEntity> {
    const row = await this.repo().update(id, changes);
    if (!row) throw notFound(NOT_FOUND.snapshot(id));
    return row;
  }
}

/** Cinder's _create_snapshot_in_db_validate, for the columns this volume table has. */
function checkSnapshottable(volume: VolumeEntity): void {
  if (!volume.host) {
    throw invalidVolume(
      'The snapshot cannot be created because volume has not been scheduled to any host.',
    );
  }
  if (volume.status === 'maintenance') {
    throw invalidVolume('The snapshot cannot be created when the volume is in maintenance mode.');
  }
  // Cinder's _is_volume_migrating: an unlocked migration leaves the volume `available`.
  if (!['deleting', 'error', 'success', null].includes(volume.migration_status)) {
    throw invalidVolume('Snapshot cannot be created while volume is migrating.');
  }
  if (volume.status === 'error') {
    throw invalidVolume('The snapshot cannot be created when the volume is in error status.');
  }
  if (volume.status.startsWith('replica_')) {
    throw invalidVolume('Snapshot of secondary replica is not allowed.');
  }
}
