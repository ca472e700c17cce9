import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import type { Request } from 'express';
import type { ApiConfig } from '@cinderflow/config';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { Caller, Version } from '../common/api-request';
import { badRequest, NOT_FOUND } from '../common/cinder-errors';
import { collectionBody } from '../common/links';
import { parseListParams } from '../common/list-params';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';
import { allows, Authorize } from '../common/policy';
import { NotFoundMessage } from '../common/resource-ids';
import { toBoolean } from '../common/schema';
import { RequestSchema } from '../common/validation';
import { VolumesService } from '../volumes/volumes.service';
import { createSnapshotSchema, updateSnapshotSchema } from './snapshot.schemas';
import { snapshotDetail, snapshotSummary } from './snapshot.views';
import {
  SNAPSHOT_FILTERS,
  SNAPSHOT_SORT_COLUMNS,
  type SnapshotPage,
  SnapshotsService,
} from './snapshots.service';

/** cinder/api/v3/snapshots.py's words for `force: false` from 3.66 (SNAPSHOT_IN_USE). */
const SNAPSHOT_IN_USE_FLAG_MSG =
  "Since microversion 3.66 the 'force' flag is invalid for this request.  For backward " +
  "compatability, however, when the 'force' flag is passed with a value evaluating to True, " +
  'it is silently ignored.';

/** Cinder's clean_name_and_description: surrounding whitespace goes. */
function clean(value: string | null | undefined): string | null | undefined {
  return typeof value === 'string' ? value.trim() : value;
}

/** `/v3/{project}/snapshots`: cinder/api/v3/snapshots.py. */
/** os-extended-snapshot-attributes, asked with the caller's own project as the target. */
function extendedFor(caller: RequestContext): boolean {
  return allows(caller, 'volume_extension:extended_snapshot_attributes');
}

@Controller(projectRoutes('snapshots'))
@NotFoundMessage(NOT_FOUND.snapshot)
export class SnapshotsController {
  private readonly createSchema = new RequestSchema(createSnapshotSchema);
  private readonly updateSchema = new RequestSchema(updateSnapshotSchema);

  constructor(
    private readonly snapshots: SnapshotsService,
    private readonly volumes: VolumesService,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post()
  @HttpCode(202)
  async create(
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const { snapshot: s } = this.createSchema.check(body);
    const force = s.force !== undefined && toBoolean(s.force);
    if (s.force !== undefined && !force && version.atLeast('3.66')) {
      // Cinder looks the volume up first: an unknown one is still a 404.
      if (s.volume_id !== null) await this.volumes.get(caller, s.volume_id);
      throw badRequest(SNAPSHOT_IN_USE_FLAG_MSG);
    }
    const snapshot = await this.snapshots.create(caller, {
      volumeId: s.volume_id,
      name: clean(s.name !== undefined ? s.name : s.display_name) ?? null,
      description: clean(s.description) ?? null,
      metadata: s.metadata ?? {},
      allowInUse: force || version.atLeast('3.66'),
    });
    return { snapshot: snapshotDetail(snapshot, version, false) };
  }

  @Get()
  @Authorize('volume:get_all_snapshots')
  async list(
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const page = await this.page(query, caller, version);
    return collectionBody(
      'snapshots',
      req,
      query,
      { ...page, rows: page.snapshots },
      page.snapshots.map((s) => snapshotSummary(s)),
    );
  }

  @Get('detail')
  @Authorize('volume:get_all_snapshots')
  async detail(
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const page = await this.page(query, caller, version);
    return collectionBody(
      'snapshots',
      req,
      query,
      { ...page, rows: page.snapshots },
      page.snapshots.map((s) => snapshotDetail(s, version, extendedFor(caller))),
    );
  }

  @Get(':id')
  async show(
    @Param('id') id: string,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const snapshot = await this.snapshots.get(caller, id, 'volume:get_snapshot');
    return { snapshot: snapshotDetail(snapshot, version, extendedFor(caller)) };
  }

  @Put(':id')
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const { snapshot: s } = this.updateSchema.check(body);
    if (Object.keys(s).length === 0) {
      throw badRequest(
        'Invalid input for field/attribute snapshot. Value: {}. {} is not valid under any of the given schemas',
      );
    }
    const changes: { display_name?: string | null; display_description?: string | null } = {};
    const name = s.name !== undefined ? s.name : s.display_name;
    const description = s.description !== undefined ? s.description : s.display_description;
    if (name !== undefined) changes.display_name = clean(name);
    if (description !== undefined) changes.display_description = clean(description);
    const snapshot = await this.snapshots.update(caller, id, changes);
    return { snapshot: snapshotDetail(snapshot, version, false) };
  }

  @Delete(':id')
  @HttpCode(202)
  async remove(@Param('id') id: string, @Caller() caller: RequestContext) {
    await this.snapshots.delete(caller, id, false);
  }

  private page(
    query: Record<string, unknown>,
    caller: RequestContext,
    version: ApiVersion,
  ): Promise<SnapshotPage> {
    // metadata is a filter from 3.22; consumes_quota comes with the general filters (3.31).
    const filters = SNAPSHOT_FILTERS.filter(
      (f) =>
        (f !== 'metadata' || version.atLeast('3.22')) &&
        (f !== 'consumes_quota' || version.atLeast('3.31')),
    );
    const params = parseListParams(query, {
      maxLimit: this.config.OSAPI_MAX_LIMIT,
      sortColumns: SNAPSHOT_SORT_COLUMNS,
      filters,
      version,
    });
    return this.snapshots.list(caller, params);
  }
}
