import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import type { QosSpecsEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { type ApiRequest, Caller } from '../common/api-request';
import { badRequest } from '../common/cinder-errors';
import { resourceLinks } from '../common/links';
import { projectRoutes } from '../common/project-routes';
import { Authorize } from '../common/policy';
import { NotFoundMessage } from '../common/resource-ids';
import { Strict, Type } from '../common/schema';
import { RequestSchema } from '../common/validation';
import { QosSpecsService } from './qos-specs.service';

/** cinder/api/schemas/qos_specs.py create: a name, and any other keys (the specs). */
const createSchema = new RequestSchema(
  Strict({
    qos_specs: Type.Object(
      { name: Type.String({ minLength: 1, maxLength: 255 }) },
      { additionalProperties: true },
    ),
  }),
);
/** `set`: parameter_types.extra_specs_with_null (extra specs whose values may be null). */
const setSchema = new RequestSchema(
  Strict({
    qos_specs: Type.Unsafe<Record<string, string | null>>({
      type: 'object',
      patternProperties: {
        '^[a-zA-Z0-9-_:. /]{1,255}$': { type: ['string', 'null'], maxLength: 255 },
      },
      additionalProperties: false,
    }),
  }),
);
const unsetSchema = new RequestSchema(
  Strict({
    keys: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { uniqueItems: true }),
  }),
);

/** cinder/api/views/qos_specs.py detail. */
function detail(req: ApiRequest, projectId: string, specs: QosSpecsEntity) {
  return {
    qos_specs: {
      id: specs.id,
      name: specs.name,
      consumer: specs.consumer,
      specs: specs.specs,
    },
    links: resourceLinks(req, projectId, 'qos-specs', specs.id),
  };
}

/** oslo's strict bool_from_string, as utils.get_bool_param. */
function boolParam(name: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(lower)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(lower)) return false;
  throw badRequest(`Value '${value}' for '${name}' is not a boolean.`);
}

/**
 * cinder/api/contrib/qos_specs_manage.py (`qos-specs`): admin-only by Cinder's policies. The
 * member actions are GETs (associate, disassociate, ...) and a PUT (delete_keys), as upstream.
 */
@Controller(projectRoutes('qos-specs'))
@NotFoundMessage((id) => `No such QoS spec ${id}.`)
export class QosSpecsController {
  constructor(private readonly qos: QosSpecsService) {}

  @Get()
  @Authorize('volume_extension:qos_specs_manage:get_all')
  async list(
    @Req() req: ApiRequest,
    @Caller() caller: RequestContext,
    @Query() query: Record<string, unknown>,
  ) {
    const filters = ['id', 'name', 'consumer'].filter((key) => typeof query[key] === 'string');
    const all = (await this.qos.list()).filter((specs) =>
      filters.every((key) => String(specs[key as keyof QosSpecsEntity]) === query[key]),
    );
    return { qos_specs: all.map((specs) => detail(req, caller.projectId, specs).qos_specs) };
  }

  @Post()
  @HttpCode(200)
  @Authorize('volume_extension:qos_specs_manage:create')
  async create(@Req() req: ApiRequest, @Caller() caller: RequestContext, @Body() body: unknown) {
    const { name, ...specs } = createSchema.check(body).qos_specs as Record<string, unknown> & {
      name: string;
    };
    if (name.trim() === '') throw badRequest("Invalid input received: The 'name' can not be None.");
    return detail(req, caller.projectId, await this.qos.create(name.trim(), specs));
  }

  @Get(':id')
  @Authorize('volume_extension:qos_specs_manage:get')
  async show(@Req() req: ApiRequest, @Caller() caller: RequestContext, @Param('id') id: string) {
    return detail(req, caller.projectId, await this.qos.get(id));
  }

  /** Sets keys (Cinder answers with the request's body). */
  @Put(':id')
  @Authorize('volume_extension:qos_specs_manage:update')
  async update(@Param('id') id: string, @Body() body: unknown) {
    const checked = setSchema.check(body);
    await this.qos.update(id, checked.qos_specs);
    return checked;
  }

  @Delete(':id')
  @HttpCode(202)
  @Authorize('volume_extension:qos_specs_manage:delete')
  async remove(@Param('id') id: string, @Query('force') force: string | undefined) {
    await this.qos.delete(id, boolParam('force', force));
  }

  @Put(':id/delete_keys')
  @HttpCode(202)
  @Authorize('volume_extension:qos_specs_manage:delete')
  async deleteKeys(@Param('id') id: string, @Body() body: unknown) {
    await this.qos.deleteKeys(id, unsetSchema.check(body).keys);
  }

  @Get(':id/associations')
  @Authorize('volume_extension:qos_specs_manage:get_all')
  async associations(@Param('id') id: string) {
    return { qos_associations: await this.qos.associations(id) };
  }

  @Get(':id/associate')
  @HttpCode(202)
  @Authorize('volume_extension:qos_specs_manage:update')
  async associate(@Param('id') id: string, @Query('vol_type_id') typeId: string | undefined) {
    await this.qos.associate(id, typeId);
  }

  @Get(':id/disassociate')
  @HttpCode(202)
  @Authorize('volume_extension:qos_specs_manage:update')
  async disassociate(@Param('id') id: string, @Query('vol_type_id') typeId: string | undefined) {
    await this.qos.disassociate(id, typeId);
  }

  @Get(':id/disassociate_all')
  @HttpCode(202)
  @Authorize('volume_extension:qos_specs_manage:update')
  async disassociateAll(@Param('id') id: string) {
    await this.qos.disassociateAll(id);
  }
}
