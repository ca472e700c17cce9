import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { VolumeTypeEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller } from '../common/api-request';
import { forbidden, NOT_FOUND } from '../common/cinder-errors';
import { projectRoutes } from '../common/project-routes';
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

function view(t: VolumeTypeEntity) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    is_public: t.is_public,
    'os-volume-type-access:is_public': t.is_public,
    extra_specs: t.extra_specs,
    qos_specs_id: null,
  };
}

/** Volume types, with the extra specs the scheduler matches (`volume_backend_name`...). */
@Controller(projectRoutes('types'))
@NotFoundMessage(NOT_FOUND.volumeType)
export class VolumeTypesController {
  constructor(private readonly types: VolumeTypesService) {}

  @Get()
  async list() {
    return { volume_types: (await this.types.list()).map(view) };
  }

  @Get('default')
  async showDefault() {
    return { volume_type: view(await this.types.getDefault()) };
  }

  @Get(':id')
  async show(@Param('id') id: string) {
    return { volume_type: view(await this.types.get(id)) };
  }

  @Post()
  @HttpCode(200)
  async create(@Body() body: unknown, @Caller() caller: RequestContext) {
    this.requireAdmin(caller, 'volume_extension:types_manage');
    const { volume_type: t } = createTypeSchema.check(body);
    const created = await this.types.create({
      name: t.name,
      description: t.description,
      is_public: t['os-volume-type-access:is_public'],
      extra_specs: t.extra_specs,
    });
    return { volume_type: view(created) };
  }

  @Delete(':id')
  @HttpCode(202)
  async remove(@Param('id') id: string, @Caller() caller: RequestContext) {
    this.requireAdmin(caller, 'volume_extension:types_manage');
    await this.types.delete(id);
  }

  @Get(':id/extra_specs')
  async getExtraSpecs(@Param('id') id: string) {
    return { extra_specs: (await this.types.get(id)).extra_specs };
  }

  @Post(':id/extra_specs')
  @HttpCode(200)
  async setExtraSpecs(
    @Param('id') id: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
  ) {
    this.requireAdmin(caller, 'volume_extension:types_extra_specs:create');
    const { extra_specs } = extraSpecsSchema.check(body);
    await this.types.setExtraSpecs(id, extra_specs);
    return { extra_specs };
  }

  private requireAdmin(caller: RequestContext, policy: string): void {
    if (!caller.isAdmin) throw forbidden(`Policy doesn't allow ${policy} to be performed.`);
  }
}
