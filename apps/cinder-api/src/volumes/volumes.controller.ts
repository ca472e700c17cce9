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
import type { VolumeEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { Caller, Version } from '../common/api-request';
import { badRequest, NOT_FOUND } from '../common/cinder-errors';
import { collectionBody } from '../common/links';
import { parseListParams } from '../common/list-params';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';
import { authorize, Authorize } from '../common/policy';
import { NotFoundMessage } from '../common/resource-ids';
import { RequestSchema } from '../common/validation';
import { AttachmentsService } from '../attachments/attachments.service';
import { CreateVolumeFlow } from '../flows/create-volume/create-volume.flow';
import { createVolumeSchema, updateVolumeSchema } from './volume.schemas';
import { volumeDetail, volumeSummary } from './volume.views';
import {
  VOLUME_FILTERS,
  VOLUME_SORT_COLUMNS,
  type VolumePage,
  VolumesService,
} from './volumes.service';

/** Cinder's utils.get_bool_param: absent is false; anything but a boolean string is a 400. */
function boolParam(name: string, raw: unknown): boolean {
  if (raw === undefined) return false;
  const value = Array.isArray(raw) ? String(raw[raw.length - 1]) : String(raw);
  const lower = value.toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(lower)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(lower)) return false;
  throw badRequest(`Value '${value}' for '${name}' is not a boolean.`);
}

@Controller(projectRoutes('volumes'))
@NotFoundMessage(NOT_FOUND.volume)
export class VolumesController {
  private readonly createSchemaLoose: RequestSchema<ReturnType<typeof createVolumeSchema>>;
  private readonly createSchemaStrict: RequestSchema<ReturnType<typeof createVolumeSchema>>;
  private readonly updateSchema = new RequestSchema(updateVolumeSchema);

  constructor(
    private readonly volumes: VolumesService,
    private readonly createFlow: CreateVolumeFlow,
    private readonly attachments: AttachmentsService,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {
    this.createSchemaLoose = new RequestSchema(
      createVolumeSchema(config.MAX_VOLUME_SIZE_GB, false),
    );
    this.createSchemaStrict = new RequestSchema(
      createVolumeSchema(config.MAX_VOLUME_SIZE_GB, true),
    );
  }

  @Post()
  @HttpCode(202)
  async create(
    @Req() req: Request,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const schema = version.atLeast('3.53') ? this.createSchemaStrict : this.createSchemaLoose;
    const request = schema.check(body);
    // volume/api.py create: from an image is volume:create_from_image instead of volume:create.
    const fromImage = request.volume.imageRef ?? request.volume.image_id;
    authorize(caller, fromImage ? 'volume:create_from_image' : 'volume:create');
    const { volume, typeName } = await this.createFlow.run(caller, request);
    return {
      volume: volumeDetail(req, { volume, volumeTypeName: typeName }, caller, version, false),
    };
  }

  @Get()
  @Authorize('volume:get_all')
  async list(
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const page = await this.page(query, caller, version);
    return collectionBody(
      'volumes',
      req,
      query,
      { ...page, rows: page.volumes },
      page.volumes.map((v) => volumeSummary(req, v)),
    );
  }

  @Get('detail')
  @Authorize('volume:get_all')
  async detail(
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const page = await this.page(query, caller, version);
    const attached = await this.attachments.attachedOf(page.volumes.map((v) => v.id));
    const images = await this.volumes.imageMetadataOf(page.volumes.map((v) => v.id));
    return collectionBody(
      'volumes',
      req,
      query,
      { ...page, rows: page.volumes },
      page.volumes.map((v) =>
        volumeDetail(
          req,
          {
            volume: v,
            volumeTypeName: page.typeNames.get(v.volume_type_id) ?? '',
            attachments: attached.get(v.id),
            imageMetadata: images.get(v.id),
          },
          caller,
          version,
          true,
        ),
      ),
    );
  }

  @Get(':id')
  async show(
    @Req() req: Request,
    @Param('id') id: string,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    return this.shown(req, await this.volumes.get(caller, id, 'volume:get'), caller, version);
  }

  @Put(':id')
  async update(
    @Req() req: Request,
    @Param('id') id: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const parsed = this.updateSchema.check(body);
    if (version.atLeast('3.53') && Object.keys(parsed.volume).length === 0) {
      throw badRequest(
        'Invalid input for field/attribute volume. Value: {}. {} does not have enough properties',
      );
    }
    const volume = await this.volumes.update(caller, id, parsed);
    // The os-vol-* extensions extend show and detail only: update answers without them.
    return this.shown(req, volume, caller, version, false);
  }

  @Delete(':id')
  @HttpCode(202)
  async remove(
    @Param('id') id: string,
    @Query('force') force: string | undefined,
    @Query('cascade') cascade: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    const forced = force !== undefined && ['1', 'true', 'yes', 'on'].includes(force.toLowerCase());
    if (forced && !version.atLeast('3.23')) {
      throw badRequest('The force parameter needs microversion 3.23 or later.');
    }
    // v3/volumes.py delete: force is volume:force_delete, then volume/api.py's volume:delete.
    await this.volumes.delete(
      caller,
      id,
      forced,
      boolParam('cascade', cascade),
      forced ? ['volume:force_delete', 'volume:delete'] : undefined,
    );
  }

  /** `{"volume": <detail>}`; `extended`: with the os-vol-* attributes, as show answers. */
  private async shown(
    req: Request,
    volume: VolumeEntity,
    caller: RequestContext,
    version: ApiVersion,
    // The os-vol-* and image metadata extensions extend show (and detail), not update.
    extended = true,
  ) {
    const typeNames = await this.volumes.typeNames();
    const volumeTypeName = typeNames.get(volume.volume_type_id) ?? '';
    const attachments = (await this.attachments.attachedOf([volume.id])).get(volume.id);
    const imageMetadata = extended
      ? (await this.volumes.imageMetadataOf([volume.id])).get(volume.id)
      : undefined;
    return {
      volume: volumeDetail(
        req,
        { volume, volumeTypeName, attachments, imageMetadata },
        caller,
        version,
        extended,
      ),
    };
  }

  private page(
    query: Record<string, unknown>,
    caller: RequestContext,
    version: ApiVersion,
  ): Promise<VolumePage> {
    // `glance_metadata` is a filter from 3.4; from 3.31 only resource_filters.json's count, and
    // Cinder's default does not name it.
    const glance = version.atLeast('3.4') && !version.atLeast('3.31');
    const params = parseListParams(query, {
      maxLimit: this.config.OSAPI_MAX_LIMIT,
      sortColumns: VOLUME_SORT_COLUMNS,
      filters: glance ? [...VOLUME_FILTERS, 'glance_metadata'] : VOLUME_FILTERS,
      version,
    });
    return this.volumes.list(caller, params);
  }
}
