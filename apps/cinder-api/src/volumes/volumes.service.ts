import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { backendOf, Destinations, VolumeRpc } from '@cinderflow/contracts';
import type { Outbox } from '@cinderflow/messaging';
import {
  applyTransition,
  NOW_UTC,
  StatusConflictError,
  VolumeEntity,
  VolumeTypeEntity,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { OUTBOX } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import {
  badRequest,
  invalidInput,
  invalidVolume,
  NOT_FOUND,
  notFound,
} from '../common/cinder-errors';
import { checkBody } from '../common/input-checks';
import { applyKeysetPage } from '../common/keyset-page';
import type { ListParams } from '../common/list-params';
import { isUuid } from '../common/validation';
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

const INT_MAX = 2_147_483_647;

export interface VolumePage {
  volumes: VolumeEntity[];
  /** The page size asked for (capped at osapi_max_limit): a full page has a next link. */
  limit: number;
  typeNames: Map<string, string>;
  count?: number;
}

@Injectable()
export class VolumesService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OUTBOX) private readonly outbox: Outbox,
  ) {}

  async list(caller: RequestContext, params: ListParams): Promise<VolumePage> {
    const qb = this.dataSource
      .getRepository(VolumeEntity)
      .createQueryBuilder('v')
      .where('v.deleted = false');
    if (!(params.allTenants && caller.isAdmin)) {
      qb.andWhere('v.project_id = :project', { project: caller.projectId });
    } else if (params.filters.project_id) {
      qb.andWhere('v.project_id = :project', { project: params.filters.project_id });
    }
    const f = params.filters;
    if (f.name !== undefined) qb.andWhere('v.display_name = :name', { name: f.name });
    if (f.status !== undefined) qb.andWhere('v.status = :status', { status: f.status });
    if (f.availability_zone !== undefined)
      qb.andWhere('v.availability_zone = :az', { az: f.availability_zone });
    if (f.size !== undefined) {
      if (!/^\d+$/.test(f.size)) throw invalidInput(`Invalid size filter ${f.size}`);
      // A size beyond the integer column matches nothing (PostgreSQL would refuse to compare).
      const size = Number(f.size);
      qb.andWhere(size <= INT_MAX ? 'v.size = :size' : 'false', { size });
    }
    if (f.bootable !== undefined) {
      qb.andWhere('v.bootable = :bootable', {
        bootable: ['1', 't', 'true', 'on', 'y', 'yes'].includes(f.bootable.toLowerCase()),
      });
    }
    if (f.metadata !== undefined) {
      qb.andWhere('v.metadata @> CAST(:metadata AS jsonb)', {
        metadata: JSON.stringify(parseMetadataFilter(f.metadata)),
      });
    }
    const count = params.withCount ? await qb.clone().getCount() : undefined;
    await applyKeysetPage(
      qb,
      'v',
      params.sort,
      params.limit,
      params.marker,
      (marker) => `Volume ${marker} could not be found.`,
    );
    const volumes = await qb.getMany();
    return { volumes, limit: params.limit, typeNames: await this.typeNames(), count };
  }

  /** A volume the caller may see; admins see every project's. */
  async get(caller: RequestContext, id: string): Promise<VolumeEntity> {
    const volume = isUuid(id)
      ? await this.dataSource.manager.findOne(VolumeEntity, { where: { id, deleted: false } })
      : null;
    if (!volume || (!caller.isAdmin && volume.project_id !== caller.projectId)) {
      throw notFound(NOT_FOUND.volume(id));
    }
    return volume;
  }

  async typeNames(): Promise<Map<string, string>> {
    const types = await this.dataSource.manager.find(VolumeTypeEntity);
    return new Map(types.map((t) => [t.id, t.name]));
  }

  async update(caller: RequestContext, id: string, body: UpdateVolumeBody): Promise<VolumeEntity> {
    const volume = await this.get(caller, id);
    const changes: Partial<VolumeEntity> = {};
    const name = body.volume.name !== undefined ? body.volume.name : body.volume.display_name;
    const description =
      body.volume.description !== undefined
        ? body.volume.description
        : body.volume.display_description;
    if (name !== undefined) changes.display_name = name;
    if (description !== undefined) changes.display_description = description;
    if (body.volume.metadata !== undefined) changes.metadata = body.volume.metadata ?? {};
    if (Object.keys(changes).length === 0) return volume;
    const result = await this.dataSource
      .createQueryBuilder()
      .update(VolumeEntity)
      .set({ ...changes, updated_at: () => NOW_UTC })
      .where('id = :id AND deleted = false', { id })
      .returning('*')
      .execute();
    const rows = result.raw as VolumeEntity[];
    if (rows.length === 0) throw notFound(NOT_FOUND.volume(id));
    return rows[0];
  }

  /**
   * Cinder's delete: one conditional update to `deleting` and, in the same transaction, the cast
   * to the volume's backend.
   * A volume that never reached a backend has no bytes anywhere and is deleted on the spot.
   */
  async delete(caller: RequestContext, id: string, force: boolean): Promise<void> {
    const volume = await this.get(caller, id);
    const event = force ? 'force_delete' : 'delete';
    try {
      await this.dataSource.transaction(async (tx) => {
        const row = await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event,
          set: { terminated_at: () => NOW_UTC },
          where: { sql: "attach_status <> 'attached'", params: {} },
        });
        if (!row.host) {
          await applyTransition(tx, {
            machine: volumeMachine,
            entity: VolumeEntity,
            id: volume.id,
            event: 'delete_succeeded',
            set: { deleted: true, deleted_at: () => NOW_UTC },
          });
          return;
        }
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
        throw invalidVolume(
          `Volume ${id} status must be available or error or error_restoring or error_extending or error_managing ` +
            'and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, ' +
            'or be disassociated from snapshots after volume transfer.',
        );
      }
      throw error;
    }
  }
}

function parseMetadataFilter(raw: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(raw.replace(/'/g, '"'));
    // jsonb can hold neither NUL nor lone surrogates, which JSON escapes can spell.
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && !checkBody(parsed)) {
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    }
  } catch {
    // fall through
  }
  throw badRequest(`Invalid metadata filter ${raw}`);
}
