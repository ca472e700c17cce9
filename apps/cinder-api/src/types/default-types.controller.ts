import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import type { DefaultVolumeTypeEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller, Version } from '../common/api-request';
import { forbidden, notFound } from '../common/cinder-errors';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';
import { allows } from '../common/policy';
import { Strict, Type } from '../common/schema';
import { RequestSchema } from '../common/validation';
import { VolumeTypesService } from './volume-types.service';

/** mv.DEFAULT_TYPE_OVERRIDES. */
const DEFAULT_TYPES_VERSION = '3.62';

/**
 * cinder/api/schemas/default_types.py. Cinder requires no `default_type` at the top and then
 * fails with a 500 without one; here it is required.
 */
const setSchema = new RequestSchema(
  Strict({
    default_type: Strict({ volume_type: Type.String({ minLength: 1, maxLength: 255 }) }),
  }),
);

function view(row: DefaultVolumeTypeEntity) {
  return { project_id: row.project_id, volume_type_id: row.volume_type_id };
}

/** validate_project_and_authorize's refusal (the project is the target). */
function authorizeFor(caller: RequestContext, rule: string, project?: string) {
  if (!allows(caller, rule, project === undefined ? undefined : { project_id: project })) {
    throw forbidden('You are not authorized to perform this operation.');
  }
}

/** cinder/api/v3/default_types.py: a project's own default volume type (3.62). */
@Controller(projectRoutes('default-types'))
export class DefaultTypesController {
  constructor(private readonly types: VolumeTypesService) {}

  // The target project is `:target`: the route's `:project_id` is the caller's own.
  @Put(':target')
  async set(
    @Param('target') target: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    requireVersion(version);
    const { default_type } = setSchema.check(body);
    authorizeFor(caller, 'volume_extension:default_set_or_update', target);
    return {
      default_type: view(await this.types.setProjectDefault(target, default_type.volume_type)),
    };
  }

  @Get(':target')
  async show(
    @Param('target') target: string,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    requireVersion(version);
    authorizeFor(caller, 'volume_extension:default_get', target);
    return { default_type: view(await this.types.projectDefault(target)) };
  }

  @Get()
  async list(@Caller() caller: RequestContext, @Version() version: ApiVersion) {
    requireVersion(version);
    authorizeFor(caller, 'volume_extension:default_get_all');
    return { default_types: (await this.types.allProjectDefaults()).map(view) };
  }

  @Delete(':target')
  @HttpCode(204)
  async unset(
    @Param('target') target: string,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    requireVersion(version);
    authorizeFor(caller, 'volume_extension:default_unset', target);
    await this.types.unsetProjectDefault(target);
  }
}

/** Cinder answers a method its version lacks as if there were no such route. */
function requireVersion(version: ApiVersion) {
  if (!version.atLeast(DEFAULT_TYPES_VERSION)) throw notFound('The resource could not be found.');
}
