import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { VolumeTypeEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller } from '../common/api-request';
import { NOT_FOUND } from '../common/cinder-errors';
import { projectRoutes } from '../common/project-routes';
import { allows, Authorize } from '../common/policy';
import { NotFoundMessage } from '../common/resource-ids';
import { DescriptionOrNull, Metadata, Strict, Type } from '../common/schema';
import { RequestSchema } from '../common/validation';
import { VolumeTypesService } from './volume-types.service';

const extraSpecs = Metadata();

const createTypeSchema = new RequestSchema(
  Strict({
    volume_type: Strict({
      name: Type.String({ minLength: 1, maxLength: 255 }),
      description: Type.Optional(DescriptionOrNull),
      'os-volume-type-access:is_public': Type.Optional(Type.Boolean()),
      extra_specs: Type.Optional(extraSpecs),
    }),
  }),
);

const extraSpecsSchema = new RequestSchema(Strict({ extra_specs: extraSpecs }));

/** Extra specs every caller may read (type_extra_specs.USER_VISIBLE_EXTRA_SPECS). */
const USER_VISIBLE_EXTRA_SPECS = [
  'RESKEY:availability_zones',
  'multiattach',
  'replication_enabled',
];

/** All extra specs with types_extra_specs:read_sensitive (admin); only user-visible ones else. */
function visibleSpecs(specs: Record<string, string>, caller: RequestContext) {
  if (allows(caller, 'volume_extension:types_extra_specs:read_sensitive')) return specs;
  return Object.fromEntries(
    Object.entries(specs).filter(([key]) => USER_VISIBLE_EXTRA_SPECS.includes(key)),
  );
}

/**
 * cinder/api/v3/views/types.py plus the volume_type_access extension: `extra_specs` for callers
 * allowed volume_extension:access_types_extra_specs, `qos_specs_id` for those allowed
 * volume_extension:access_types_qos_specs_id (admin).
 */
function view(t: VolumeTypeEntity, caller: RequestContext) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    is_public: t.is_public,
    'os-volume-type-access:is_public': t.is_public,
    ...(allows(caller, 'volume_extension:access_types_extra_specs')
      ? { extra_specs: visibleSpecs(t.extra_specs, caller) }
      : {}),
    ...(allows(caller, 'volume_extension:access_types_qos_specs_id')
      ? { qos_specs_id: t.qos_specs_id ?? null }
      : {}),
  };
}

/** The create answer: types_manage uses the older view (cinder/api/views/types.py), no QoS. */
function createdView(t: VolumeTypeEntity) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    is_public: t.is_public,
    'os-volume-type-access:is_public': t.is_public,
    extra_specs: t.extra_specs,
  };
}

/** Volume types, with the extra specs the scheduler matches (`volume_backend_name`...). */
@Controller(projectRoutes('types'))
@NotFoundMessage(NOT_FOUND.volumeType)
export class VolumeTypesController {
  constructor(private readonly types: VolumeTypesService) {}

  @Get()
  @Authorize('volume_extension:type_get_all')
  async list(@Caller() caller: RequestContext) {
    return { volume_types: (await this.types.list()).map((t) => view(t, caller)) };
  }

  @Get('default')
  @Authorize('volume_extension:type_get')
  async showDefault(@Caller() caller: RequestContext) {
    // Cinder's volume_type_access extension looks the type up by the URL's id ("default"),
    // finds none and adds nothing: no os-volume-type-access:is_public here.
    const { 'os-volume-type-access:is_public': _, ...shown } = view(
      await this.types.getDefault(),
      caller,
    );
    return { volume_type: shown };
  }

  @Get(':id')
  @Authorize('volume_extension:type_get')
  async show(@Param('id') id: string, @Caller() caller: RequestContext) {
    return { volume_type: view(await this.types.get(id), caller) };
  }

  @Post()
  @HttpCode(200)
  @Authorize('volume_extension:type_create')
  async create(@Body() body: unknown) {
    const { volume_type: t } = createTypeSchema.check(body);
    const created = await this.types.create({
      name: t.name,
      description: t.description,
      is_public: t['os-volume-type-access:is_public'],
      extra_specs: t.extra_specs,
    });
    return { volume_type: createdView(created) };
  }

  @Delete(':id')
  @HttpCode(202)
  @Authorize('volume_extension:type_delete')
  async remove(@Param('id') id: string) {
    await this.types.delete(id);
  }

  @Get(':id/extra_specs')
  @Authorize('volume_extension:types_extra_specs:index')
  async getExtraSpecs(@Param('id') id: string, @Caller() caller: RequestContext) {
    return { extra_specs: visibleSpecs((await this.types.get(id)).extra_specs, caller) };
  }

  @Post(':id/extra_specs')
  @HttpCode(200)
  @Authorize('volume_extension:types_extra_specs:create')
  async setExtraSpecs(@Param('id') id: string, @Body() body: unknown) {
    const { extra_specs } = extraSpecsSchema.check(body);
    await this.types.setExtraSpecs(id, extra_specs);
    return { extra_specs };
  }
}
