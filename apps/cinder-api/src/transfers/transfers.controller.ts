import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import type { Request } from 'express';
import type { ApiConfig } from '@cinderflow/config';
import { TRANSFER_FILTER_COLUMNS, type TransferFilters } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { Caller, Version } from '../common/api-request';
import { badRequest, NOT_FOUND } from '../common/cinder-errors';
import { collectionBody } from '../common/links';
import { parseListParams, type SortKey } from '../common/list-params';
import type { ApiVersion } from '../common/microversion';
import { Authorize } from '../common/policy';
import { projectRoutes } from '../common/project-routes';
import { NotFoundMessage } from '../common/resource-ids';
import { toBoolean } from '../common/schema';
import { RequestSchema } from '../common/validation';
import {
  acceptTransferSchema,
  checkTransferName,
  createTransferSchema,
  createTransferV355Schema,
} from './transfer.schemas';
import { transferCreated, transferDetail, transferSummary } from './transfer.views';
import { type TransferListQuery, TransfersService } from './transfers.service';

const SORT_COLUMNS: Record<string, string> = {
  id: 't.id',
  created_at: 't.created_at',
  updated_at: 'COALESCE(t.updated_at, t.created_at)',
  volume_id: 't.volume_id',
  display_name: "COALESCE(t.display_name, '')",
};

/** The order before 3.59 (and on os-volume-transfer): oldest first. */
const LEGACY_SORT: SortKey[] = [
  { column: 't.created_at', direction: 'asc' },
  { column: 't.id', direction: 'asc' },
];

const PAGING = new Set(['limit', 'offset', 'marker', 'sort', 'sort_key', 'sort_dir']);

function single(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? String(value[value.length - 1]) : String(value);
}

/** Cinder's _get_offset_param. */
function offsetOf(query: Record<string, unknown>): number {
  const raw = single(query.offset);
  if (raw === undefined) return 0;
  if (!/^-?\d+$/.test(raw)) throw badRequest('offset param must be an integer');
  const offset = Number(raw);
  if (offset < 0) throw badRequest('offset param must be positive');
  // Past any row there can be, and within what PostgreSQL's OFFSET takes (a bigint).
  return Math.min(offset, 2 ** 62);
}

/**
 * `/v3/{project}/os-volume-transfer` (cinder/api/contrib/volume_transfer.py) and
 * `/v3/{project}/volume-transfers` (cinder/api/v3/volume_transfer.py): one controller, since
 * they differ only in what create accepts (`no_snapshots` from 3.55 on the v3 route) and how
 * lists page (marker and sort from 3.59 on the v3 route).
 */
@Controller([...projectRoutes('os-volume-transfer'), ...projectRoutes('volume-transfers')])
@NotFoundMessage(NOT_FOUND.transfer)
export class TransfersController {
  private readonly createSchema = new RequestSchema(createTransferSchema);
  private readonly createV355Schema = new RequestSchema(createTransferV355Schema);
  private readonly acceptSchema = new RequestSchema(acceptTransferSchema);

  constructor(
    private readonly transfers: TransfersService,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post()
  @HttpCode(202)
  async create(
    @Req() req: Request,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    let volumeId: string;
    let rawName: string | null | undefined;
    let noSnapshots = false;
    if (isV3Route(req) && version.atLeast('3.55')) {
      const { transfer } = this.createV355Schema.check(body);
      volumeId = transfer.volume_id;
      rawName = transfer.name;
      noSnapshots = transfer.no_snapshots !== undefined && toBoolean(transfer.no_snapshots);
    } else {
      const { transfer } = this.createSchema.check(body);
      volumeId = transfer.volume_id;
      rawName = transfer.name;
    }
    const name = checkTransferName(rawName);
    const created = await this.transfers.create(caller, volumeId, name, noSnapshots);
    return { transfer: transferCreated(req, caller.projectId, created, version) };
  }

  @Get()
  @Authorize('volume:get_all_transfers')
  async list(
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const { rows, limit } = await this.page(req, query, caller, version);
    return collectionBody(
      'transfers',
      req,
      query,
      { rows, limit },
      rows.map((t) => transferSummary(req, caller.projectId, t)),
    );
  }

  @Get('detail')
  @Authorize('volume:get_all_transfers')
  async detail(
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const { rows, limit } = await this.page(req, query, caller, version);
    return collectionBody(
      'transfers',
      req,
      query,
      { rows, limit },
      rows.map((t) => transferDetail(req, caller.projectId, t, version)),
    );
  }

  @Get(':id')
  async show(
    @Req() req: Request,
    @Param('id') id: string,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const transfer = await this.transfers.get(caller, id);
    return { transfer: transferDetail(req, caller.projectId, transfer, version) };
  }

  @Post(':id/accept')
  @HttpCode(202)
  async accept(
    @Req() req: Request,
    @Param('id') id: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
  ) {
    const { accept } = this.acceptSchema.check(body);
    const transfer = await this.transfers.accept(caller, id, accept.auth_key);
    return { transfer: transferSummary(req, caller.projectId, transfer) };
  }

  @Delete(':id')
  @HttpCode(202)
  async remove(@Param('id') id: string, @Caller() caller: RequestContext) {
    await this.transfers.delete(caller, id);
  }

  /**
   * Cinder's _get_transfers: `name` filters on display_name, other keys on the transfer's
   * columns, and a key that is no column matches nothing (an empty list, not a 400).
   */
  private async page(
    req: Request,
    query: Record<string, unknown>,
    caller: RequestContext,
    version: ApiVersion,
  ) {
    const paged = isV3Route(req) && version.atLeast('3.59');
    const params = parseListParams(
      Object.fromEntries(Object.entries(query).filter(([k]) => PAGING.has(k))),
      { maxLimit: this.config.OSAPI_MAX_LIMIT, sortColumns: SORT_COLUMNS, filters: [], version },
    );
    const filters: TransferFilters = {};
    let unknownFilter = false;
    for (const [rawKey, rawValue] of Object.entries(query)) {
      if (PAGING.has(rawKey) || rawKey === 'all_tenants' || rawKey === 'project_id') continue;
      const key = rawKey === 'name' ? 'display_name' : rawKey;
      const value = single(rawValue) ?? '';
      if (!(TRANSFER_FILTER_COLUMNS as readonly string[]).includes(key)) {
        unknownFilter = true;
        continue;
      }
      filters[key as keyof TransferFilters] =
        key === 'no_snapshots' || key === 'accepted' ? toBoolean(value) : value;
    }
    const allTenants = single(query.all_tenants);
    const listQuery: TransferListQuery = {
      allTenants: allTenants !== undefined && toBoolean(allTenants),
      projectId: single(query.project_id),
      filters,
      sort: paged ? params.sort : LEGACY_SORT,
      limit: params.limit,
      offset: offsetOf(query),
      marker: paged ? params.marker : undefined,
    };
    const rows = unknownFilter ? [] : await this.transfers.list(caller, listQuery);
    return { rows, limit: params.limit };
  }
}

/** The 3.x route (`volume-transfers`) rather than the legacy extension's. */
function isV3Route(req: Request): boolean {
  return /\/volume-transfers(\/|$)/.test(req.path);
}
