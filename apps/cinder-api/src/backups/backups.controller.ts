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
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { Caller, Version } from '../common/api-request';
import { NOT_FOUND } from '../common/cinder-errors';
import { collectionBody } from '../common/links';
import { parseListParams } from '../common/list-params';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';
import { NotFoundMessage } from '../common/resource-ids';
import { DescriptionOrNull, NameOrNull, Strict, Type, Uuid, UuidOrNull } from '../common/schema';
import { RequestSchema } from '../common/validation';
import { backupDetail, backupSummary } from './backup.views';
import { BACKUP_FILTERS, backupSortColumns, BackupsService } from './backups.service';

/** Cinder's cinder/api/schemas/backups.py `create` (no other keys). */
const createSchema = new RequestSchema(
  Strict({
    backup: Strict({
      volume_id: Uuid,
      container: Type.Optional(NameOrNull),
      name: Type.Optional(NameOrNull),
      description: Type.Optional(DescriptionOrNull),
      incremental: Type.Optional(Type.Unsafe<boolean | null>({ type: ['boolean', 'null'] })),
      force: Type.Optional(Type.Unsafe<boolean | null>({ type: ['boolean', 'null'] })),
      snapshot_id: Type.Optional(UuidOrNull),
      metadata: Type.Optional(
        Type.Unsafe<Record<string, string>>({
          type: 'object',
          additionalProperties: { type: 'string', maxLength: 255 },
        }),
      ),
      availability_zone: Type.Optional(NameOrNull),
    }),
  }),
);

const restoreSchema = new RequestSchema(
  Strict({
    restore: Type.Unsafe<{ volume_id?: string | null; name?: string | null } | null>({
      type: ['object', 'null'],
      properties: { volume_id: UuidOrNull, name: NameOrNull },
      additionalProperties: false,
    }),
  }),
);

@Controller(projectRoutes('backups'))
@NotFoundMessage(NOT_FOUND.backup)
export class BackupsController {
  constructor(
    private readonly backups: BackupsService,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post()
  @HttpCode(202)
  async create(@Req() req: Request, @Body() body: unknown, @Caller() caller: RequestContext) {
    const { backup: b } = createSchema.check(body);
    const backup = await this.backups.create(caller, {
      volumeId: b.volume_id,
      name: b.name ?? null,
      description: b.description ?? null,
      container: b.container ?? null,
      incremental: b.incremental === true,
      force: b.force === true,
    });
    return { backup: backupSummary(req, backup) };
  }

  @Get()
  async list(
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const page = await this.page(query, caller, version);
    return collectionBody(
      'backups',
      req,
      query,
      { ...page, rows: page.backups },
      page.backups.map((b) => backupSummary(req, b)),
    );
  }

  @Get('detail')
  async detail(
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const page = await this.page(query, caller, version);
    return collectionBody(
      'backups',
      req,
      query,
      { ...page, rows: page.backups },
      page.backups.map((b) => backupDetail(req, b, caller, version)),
    );
  }

  @Get(':id')
  async show(
    @Req() req: Request,
    @Param('id') id: string,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    return { backup: backupDetail(req, await this.backups.get(caller, id), caller, version) };
  }

  @Delete(':id')
  @HttpCode(202)
  async remove(
    @Param('id') id: string,
    @Query('force') force: string | undefined,
    @Caller() caller: RequestContext,
  ) {
    await this.backups.delete(
      caller,
      id,
      force !== undefined && ['1', 'true'].includes(force.toLowerCase()),
    );
  }

  @Post(':id/restore')
  @HttpCode(202)
  async restore(@Param('id') id: string, @Body() body: unknown, @Caller() caller: RequestContext) {
    const { restore } = restoreSchema.check(body);
    return {
      restore: await this.backups.restore(caller, id, {
        volumeId: restore?.volume_id ?? null,
        name: restore?.name ?? null,
      }),
    };
  }

  private page(query: Record<string, unknown>, caller: RequestContext, version: ApiVersion) {
    const params = parseListParams(query, {
      maxLimit: this.config.OSAPI_MAX_LIMIT,
      sortColumns: backupSortColumns(version),
      filters: BACKUP_FILTERS,
      version,
    });
    return this.backups.list(caller, params);
  }
}
