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
import { badRequest, NOT_FOUND, notFound } from '../common/cinder-errors';
import { collectionBody } from '../common/links';
import { parseListParams } from '../common/list-params';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';
import { Authorize } from '../common/policy';
import { NotFoundMessage } from '../common/resource-ids';
import {
  createBackupSchema,
  importRecordSchema,
  resetStatusSchema,
  restoreSchema,
  updateBackupSchema,
} from './backup.schemas';
import { backupDetail, backupSummary } from './backup.views';
import {
  BACKUP_FILTERS,
  backupSortColumns,
  type BackupUpdate,
  BackupsService,
} from './backups.service';

/** Cinder's clean_name_and_description: names and descriptions lose surrounding whitespace. */
const clean = (value: string | null | undefined) =>
  typeof value === 'string' ? value.trim() : (value ?? null);

/** Backup statuses os-reset_status may set (Cinder's backup_status format). */
const RESETTABLE = ['available', 'error'] as const;

@Controller(projectRoutes('backups'))
@NotFoundMessage(NOT_FOUND.backup)
export class BackupsController {
  constructor(
    private readonly backups: BackupsService,
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
    const { backup: b } = createBackupSchema(version).check(body);
    const backup = await this.backups.create(caller, {
      volumeId: b.volume_id,
      name: clean(b.name),
      description: clean(b.description),
      container: b.container ?? null,
      incremental: b.incremental === true,
      force: b.force === true,
      metadata: ('metadata' in b ? b.metadata : null) ?? {},
      snapshotId: b.snapshot_id ?? null,
    });
    return { backup: backupSummary(req, backup) };
  }

  /** Cinder's import_record (admin): 201 with the new backup's summary. */
  @Post('import_record')
  @HttpCode(201)
  async importRecord(@Req() req: Request, @Body() body: unknown, @Caller() caller: RequestContext) {
    const record = importRecordSchema.check(body)['backup-record'];
    const backup = await this.backups.importRecord(
      caller,
      record.backup_service,
      record.backup_url,
    );
    return { backup: backupSummary(req, backup) };
  }

  @Get()
  @Authorize('backup:get_all')
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
  @Authorize('backup:get_all')
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
    const backup = await this.backups.get(caller, id, 'backup:get');
    return { backup: backupDetail(req, backup, caller, version) };
  }

  /** Cinder's backup update (3.9; metadata 3.43): the summary view. */
  @Put(':id')
  async update(
    @Req() req: Request,
    @Param('id') id: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    if (!version.atLeast('3.9')) throw notFound('The resource could not be found.');
    const { backup: b } = updateBackupSchema(version).check(body);
    const fields: BackupUpdate = {};
    if (b && 'name' in b) fields.display_name = clean(b.name);
    if (b && 'description' in b) fields.display_description = clean(b.description);
    if (b?.metadata !== undefined) fields.metadata = b.metadata;
    return { backup: backupSummary(req, await this.backups.update(caller, id, fields)) };
  }

  @Get(':id/export_record')
  async exportRecord(@Param('id') id: string, @Caller() caller: RequestContext) {
    return { 'backup-record': await this.backups.exportRecord(caller, id) };
  }

  /** Cinder's BackupAdminController: os-reset_status and os-force_delete. */
  @Post(':id/action')
  @HttpCode(202)
  async action(@Param('id') id: string, @Body() body: unknown, @Caller() caller: RequestContext) {
    if (
      !body ||
      typeof body !== 'object' ||
      Array.isArray(body) ||
      Object.keys(body).length !== 1
    ) {
      throw badRequest('Malformed request body');
    }
    const action = Object.keys(body)[0];
    switch (action) {
      case 'os-reset_status': {
        const status = resetStatusSchema.check(body)['os-reset_status'].status.toLowerCase();
        if (!(RESETTABLE as readonly string[]).includes(status)) {
          const given = resetStatusSchema.check(body)['os-reset_status'].status;
          throw badRequest(
            `Backup status: ${given} is invalid, valid statuses are: ['available', 'error'].`,
          );
        }
        await this.backups.resetStatus(caller, id, status as (typeof RESETTABLE)[number]);
        return;
      }
      case 'os-force_delete':
        await this.backups.forceDelete(caller, id);
        return;
      default:
        throw badRequest(`There is no such action: ${action}`);
    }
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
