import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { backendOf, Destinations, VolumeRpc } from '@cinderflow/contracts';
import type { Outbox } from '@cinderflow/messaging';
import {
  applyTransition,
  NOW_UTC,
  QuotaEngine,
  SnapshotEntity,
  SnapshotsRepository,
  StatusConflictError,
  VolumeEntity,
  type VolumeFilters,
  VolumeGlanceMetadataRepository,
  VolumesRepository,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { OUTBOX } from '@cinderflow/service-runtime';
import { snapshotMachine, volumeMachine } from '@cinderflow/status-machines';
import {
  badRequest,
  invalidInput,
  invalidVolume,
  NOT_FOUND,
  notFound,
} from '../common/cinder-errors';
import { checkBody } from '../common/input-checks';
import type { ListParams } from '../common/list-params';
import { assertNotFrozen } from '../common/frozen';
import { authorize } from '../common/policy';
import { scopeOf } from '../common/scope';
import type { UpdateVolumeBody } from './volume.schemas';

export const VOLUME_FILTERS = [
  'name',
  'status',
  'metadata',
  'bootable',
  'availability_zone',
  'size',
  'project_id',
] as const;

export const VOLUME_SORT_COLUMNS: Record<string, string> = {
  id: 'v.id',
  name: "COALESCE(v.display_name, '')",
  display_name: "COALESCE(v.display_name, '')",
  status: 'v.status',
  size: 'v.size',
  availability_zone: 'v.availability_zone',
  created_at: 'v.created_at',
  updated_at: 'COALESCE(v.updated_at, v.created_at)',
  bootable: 'v.bootable',
};

export interface VolumePage {
  volumes: VolumeEntity[];
  /** The page size asked for (capped at osapi_max_limit): a full page has a next link. */
  limit: number;
  typeNames: Map<string, string>;
  count?: number;
}

@Injectable()
export class VolumesService {
  private readonly repo: VolumesRepository;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OUTBOX) private readonly outbox: Outbox,
  ) {
    this.repo = new VolumesRepository(this.dataSource.manager);
    // Only gives usage back (negative deltas are never checked): the defaults do not matter here.
    this.quotas = new QuotaEngine(this.dataSource);
  }

  private readonly quotas: QuotaEngine;

  async list(caller: RequestContext, params: ListParams): Promise<VolumePage> {
    const f = params.filters;
    const filters: VolumeFilters = {
      name: f.name,
      status: f.status,
      availability_zone: f.availability_zone,
    };
    if (params.allTenants && caller.isAdmin) filters.project_id = f.project_id;
    if (f.size !== undefined) {
      if (!/^\d+$/.test(f.size)) throw invalidInput(`Invalid size filter ${f.size}`);
      filters.size = Number(f.size);
    }
    if (f.bootable !== undefined) {
      filters.bootable = ['1', 't', 'true', 'on', 'y', 'yes'].includes(f.bootable.toLowerCase());
    }
    if (f.metadata !== undefined) filters.metadata = parseMetadataFilter(f.metadata);
    if (f.glance_metadata !== undefined) {
      filters.glance_metadata = parseMetadataFilter(f.glance_metadata, 'glance_metadata');
    }
    const page = await this.repo.list(scopeOf(caller, params.allTenants), filters, {
      sort: params.sort,
      limit: params.limit,
      marker: params.marker,
      withCount: params.withCount,
      markerNotFound: (marker) => notFound(NOT_FOUND.volume(marker)),
    });
    return {
      volumes: page.rows,
      limit: params.limit,
      typeNames: await this.repo.typeNames(),
      count: page.count,
    };
  }

  /**
   * A volume the caller may see (admins see every project's), then the policy `rules` on it:
   * another project's volume is a 404 before any rule can make it a 403.
   */
  async get(caller: RequestContext, id: string, ...rules: string[]): Promise<VolumeEntity> {
    const volume = await this.repo.findLive(id, scopeOf(caller, true));
    if (!volume) throw notFound(NOT_FOUND.volume(id));
    for (const rule of rules) authorize(caller, rule, volume);
    return volume;
  }

  /** The image metadata (volume_glance_metadata) of these volumes, by volume id. */
  imageMetadataOf(ids: string[]): Promise<Map<string, Record<string, string>>> {
    return new VolumeGlanceMetadataRepository(this.dataSource.manager).ofVolumes(ids);
  }

  typeNames(): Promise<Map<string, string>> {
    return this.repo.typeNames();
  }

  async update(caller: RequestContext, id: string, body: UpdateVolumeBody): Promise<VolumeEntity> {
    const volume = await this.get(caller, id, 'volume:update');
    const changes: Parameters<VolumesRepository['update']>[1] = {};
    const name = body.volume.name !== undefined ? body.volume.name : body.volume.display_name;
    const description =
      body.volume.description !== undefined
        ? body.volume.description
        : body.volume.display_description;
    if (name !== undefined) changes.display_name = name;
    if (description !== undefined) changes.display_description = description;
    if (body.volume.metadata !== undefined) changes.metadata = body.volume.metadata ?? {};
    if (Object.keys(changes).length === 0) return volume;
    const updated = await this.repo.update(id, changes);
    if (!updated) throw notFound(NOT_FOUND.volume(id));
    return updated;
  }

  /**
   * Cinder's delete: one conditional update to `deleting` and, in the same transaction, the cast
   * to the volume's backend.
   * A volume that never reached a backend has no bytes anywhere and is deleted on the spot.
   * A volume with snapshots is refused unless `cascade`: then its snapshots move to `deleting`
   * with it (all must be available or error, unless forced) and cinder-volume deletes them first.
   */
  async delete(
    caller: RequestContext,
    id: string,
    force: boolean,
    cascade = false,
    rules = ['volume:delete'],
  ): Promise<void> {
    const volume = await this.get(caller, id, ...rules);
    // Cinder checks before its conditional update; a volume on no backend is never frozen.
    if (volume.host) await assertNotFrozen(this.dataSource, volume.host);
    const event = force ? 'force_delete' : 'delete';
    try {
      await this.dataSource.transaction(async (tx) => {
        // Hold the row first: a snapshot create holding it (FOR SHARE) commits before the
        // snapshot checks below run, so they see its snapshot.
        await new VolumesRepository(tx).lock(volume.id);
        const row = await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event,
          set: { terminated_at: () => NOW_UTC },
          // Cinder's expected attach_status and migration_status (AVAILABLE_MIGRATION_STATUS),
          // and its snapshot filters.
          where: {
            sql:
              "attach_status <> 'attached' AND (migration_status IS NULL OR " +
              "migration_status IN ('deleting', 'error', 'success')) AND " +
              snapshotGuard(force, cascade, caller.isAdmin),
            params: {},
          },
        });
        if (!row.host) {
          await applyTransition(tx, {
            machine: volumeMachine,
            entity: VolumeEntity,
            id: volume.id,
            event: 'delete_succeeded',
            set: { deleted: true, deleted_at: () => NOW_UTC },
          });
          await this.quotas.releaseVolume(tx, row);
          return;
        }
        if (cascade) await this.snapshotsToDeleting(tx, volume.id, force);
        await this.outbox.send(
          tx,
          Destinations.volume(backendOf(row.host)),
          VolumeRpc.deleteVolume,
          {
            volume_id: id,
          },
        );
      });
    } catch (error) {
      if (error instanceof StatusConflictError) {
        const status = force
          ? ''
          : 'status must be available or error or error_restoring or error_extending or error_managing and';
        throw invalidVolume(
          `Volume ${status} must not be migrating, attached, belong to a group, have snapshots, ` +
            'awaiting a transfer, or be disassociated from snapshots after volume transfer.',
        );
      }
      throw error;
    }
  }

  /** A cascade delete's part: every snapshot of the volume `deleting` (Cinder's loop). */
  private async snapshotsToDeleting(
    tx: EntityManager,
    volumeId: string,
    force: boolean,
  ): Promise<void> {
    for (const snapshot of await new SnapshotsRepository(tx).liveOfVolume(volumeId)) {
      if (snapshot.status === 'deleting') continue;
      try {
        await applyTransition(tx, {
          machine: snapshotMachine,
          entity: SnapshotEntity,
          id: snapshot.id,
          event: force ? 'force_delete' : 'delete',
          where: { sql: 'group_snapshot_id IS NULL', params: {} },
        });
      } catch (error) {
        // Cinder leaves the volume error_deleting here; the transaction undoes it all instead.
        if (error instanceof StatusConflictError) throw invalidVolume('Failed to update snapshot.');
        throw error;
      }
    }
  }
}

/**
 * The snapshot part of Cinder's delete conditions (db volume_has_*_snapshots filters): none at
 * all; for a cascade, none but available or error ones (and, for a non-admin, none of another
 * project); for a forced cascade, anything.
 */
function snapshotGuard(force: boolean, cascade: boolean, isAdmin: boolean): string {
  const live = 'SELECT 1 FROM snapshots s WHERE s.volume_id = volumes.id AND NOT s.deleted';
  if (!cascade) return `NOT EXISTS (${live})`;
  if (force) return 'true';
  const undeletable = `NOT EXISTS (${live} AND s.status NOT IN ('available', 'error'))`;
  return isAdmin
    ? undeletable
    : `${undeletable} AND NOT EXISTS (${live} AND s.project_id <> volumes.project_id)`;
}

/** Cinder's `metadata` filter: a dict literal, JSON or with single quotes. */
export function parseMetadataFilter(raw: string, name = 'metadata'): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(raw.replace(/'/g, '"'));
    // jsonb can hold neither NUL nor lone surrogates, which JSON escapes can spell.
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && !checkBody(parsed)) {
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    }
  } catch {
    // fall through
  }
  throw badRequest(`Invalid ${name} filter ${raw}`);
}
