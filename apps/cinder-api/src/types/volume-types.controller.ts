import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import type { VolumeTypeEncryptionEntity, VolumeTypeEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller } from '../common/api-request';
import { badRequest, invalidInput, NOT_FOUND, notFound } from '../common/cinder-errors';
import { timestamp } from '../common/links';
import { projectRoutes } from '../common/project-routes';
import { allows, Authorize, authorize } from '../common/policy';
import { NotFoundMessage } from '../common/resource-ids';
import {
  BooleanLike,
  DescriptionOrNull,
  Metadata,
  NullableString,
  Strict,
  StringEnum,
  toBoolean,
  Type,
} from '../common/schema';
import { RequestSchema } from '../common/validation';
import { VolumeTypesService } from './volume-types.service';

const extraSpecs = Metadata();

const createTypeSchema = new RequestSchema(
  Strict({
    volume_type: Strict({
      name: Type.String({ minLength: 1, maxLength: 255 }),
      description: Type.Optional(DescriptionOrNull),
      'os-volume-type-access:is_public': Type.Optional(BooleanLike),
      extra_specs: Type.Optional(extraSpecs),
    }),
  }),
);

/** cinder/api/schemas/volume_types.py update: `name` may be null, not empty. */
const updateTypeSchema = new RequestSchema(
  Strict({
    volume_type: Strict({
      name: Type.Optional(NullableString({ minLength: 1, maxLength: 255 })),
      description: Type.Optional(DescriptionOrNull),
      is_public: Type.Optional(BooleanLike),
    }),
  }),
);

/** parameter_types.extra_specs_with_no_spaces_key. */
const specKey = '^[a-zA-Z0-9-_:.]{1,255}$';
const extraSpecsNoSpaces = Type.Unsafe<Record<string, string>>({
  type: 'object',
  patternProperties: { [specKey]: { type: 'string', maxLength: 255 } },
  additionalProperties: false,
});
const extraSpecsSchema = new RequestSchema(Strict({ extra_specs: extraSpecsNoSpaces }));
/** PUT /types/{id}/extra_specs/{key}: exactly one spec. */
const extraSpecSchema = new RequestSchema(
  Type.Unsafe<Record<string, string>>({
    type: 'object',
    patternProperties: { [specKey]: { type: 'string', maxLength: 255 } },
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
  }),
);

const accessBody = (action: string) =>
  new RequestSchema(
    Strict({ [action]: Strict({ project: Type.String({ minLength: 1, maxLength: 255 }) }) }),
  );
const addAccessSchema = accessBody('addProjectAccess');
const removeAccessSchema = accessBody('removeProjectAccess');

/** cinder/api/schemas/volume_type_encryption.py: other keys are let through. */
const encryptionFields = {
  key_size: Type.Optional(
    Type.Unsafe<string | number | null>({
      type: ['string', 'integer', 'null'],
      minimum: 0,
      maximum: 2147483647,
    }),
  ),
  cipher: Type.Optional(NullableString({ minLength: 0, maxLength: 255 })),
};
const provider = Type.String({ minLength: 0, maxLength: 255 });
const controlLocation = StringEnum(['front-end', 'back-end'] as const);
const createEncryptionSchema = new RequestSchema(
  Strict({
    encryption: Type.Object({
      ...encryptionFields,
      provider,
      control_location: controlLocation,
    }),
  }),
);
/** The same, nothing required. */
const updateEncryptionSchema = new RequestSchema(
  Strict({
    encryption: Type.Object({
      ...encryptionFields,
      provider: Type.Optional(provider),
      control_location: Type.Optional(controlLocation),
    }),
  }),
);

/** The format check `key_size`: an int-like value, which the controller makes an int. */
function keySize(value: string | number | null | undefined): number | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value === 'number') return value;
  if (!/^\s*[-+]?\d+\s*$/.test(value)) throw invalidInput('key_size must be an integer.');
  return Number.parseInt(value, 10);
}

/** api_utils._parse_is_public: absent is true, "none" is both, else a strict boolean. */
function parseIsPublic(value: string | undefined): boolean | null {
  if (value === undefined) return true;
  if (value.toLowerCase() === 'none') return null;
  const lower = value.toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(lower)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(lower)) return false;
  throw badRequest(`Invalid is_public filter [${value}]`);
}

function encryptionView(e: VolumeTypeEncryptionEntity) {
  return {
    volume_type_id: e.volume_type_id,
    control_location: e.control_location,
    deleted: e.deleted,
    created_at: timestamp(e.created_at),
    updated_at: timestamp(e.updated_at),
    encryption_id: e.encryption_id,
    key_size: e.key_size,
    provider: e.provider,
    deleted_at: timestamp(e.deleted_at),
    cipher: e.cipher,
  };
}

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

/** The volume_type_access extension's field, for callers allowed volume_type_access. */
function accessField(t: VolumeTypeEntity, caller: RequestContext) {
  return allows(caller, 'volume_extension:volume_type_access')
    ? { 'os-volume-type-access:is_public': t.is_public }
    : {};
}

/**
 * cinder/api/v3/views/types.py: `extra_specs` for callers allowed
 * volume_extension:access_types_extra_specs, `qos_specs_id` for those allowed
 * volume_extension:access_types_qos_specs_id (admin).
 */
function view(t: VolumeTypeEntity, caller: RequestContext) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    is_public: t.is_public,
    ...(allows(caller, 'volume_extension:access_types_extra_specs')
      ? { extra_specs: visibleSpecs(t.extra_specs, caller) }
      : {}),
    ...(allows(caller, 'volume_extension:access_types_qos_specs_id')
      ? { qos_specs_id: t.qos_specs_id ?? null }
      : {}),
  };
}

/** types_manage's answers (create, update): the older view, cinder/api/views/types.py. */
function managedView(t: VolumeTypeEntity) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    is_public: t.is_public,
    extra_specs: t.extra_specs,
  };
}

/** Volume types, with the extra specs the scheduler matches (`volume_backend_name`...). */
@Controller(projectRoutes('types'))
@NotFoundMessage(NOT_FOUND.volumeType)
export class VolumeTypesController {
  constructor(private readonly types: VolumeTypesService) {}

  /** Only an admin chooses with `is_public`; anyone else gets public plus shared types. */
  @Get()
  @Authorize('volume_extension:type_get_all')
  async list(@Query('is_public') isPublic: string | undefined, @Caller() caller: RequestContext) {
    const filter = caller.isAdmin ? parseIsPublic(isPublic) : true;
    const types = await this.types.list(caller, filter);
    return { volume_types: types.map((t) => ({ ...view(t, caller), ...accessField(t, caller) })) };
  }

  @Get('default')
  @Authorize('volume_extension:type_get')
  async showDefault(@Caller() caller: RequestContext) {
    // Cinder's volume_type_access extension looks the type up by the URL's id ("default"),
    // finds none and adds nothing: no os-volume-type-access:is_public here.
    return { volume_type: view(await this.types.getDefault(caller), caller) };
  }

  @Get(':id')
  @Authorize('volume_extension:type_get')
  async show(@Param('id') id: string, @Caller() caller: RequestContext) {
    const type = await this.types.get(id, caller);
    return { volume_type: { ...view(type, caller), ...accessField(type, caller) } };
  }

  @Post()
  @HttpCode(200)
  @Authorize('volume_extension:type_create')
  async create(@Body() body: unknown, @Caller() caller: RequestContext) {
    const { volume_type: t } = createTypeSchema.check(body);
    const isPublic = t['os-volume-type-access:is_public'];
    const created = await this.types.create({
      name: t.name,
      description: t.description,
      is_public: isPublic === undefined ? undefined : toBoolean(isPublic),
      extra_specs: t.extra_specs,
    });
    return { volume_type: { ...managedView(created), ...accessField(created, caller) } };
  }

  /** The update answer has no os-volume-type-access:is_public: the extension does not extend it. */
  @Put(':id')
  @Authorize('volume_extension:type_update')
  async update(@Param('id') id: string, @Body() body: unknown) {
    const { volume_type: t } = updateTypeSchema.check(body);
    const updated = await this.types.update(id, {
      name: t.name,
      description: t.description,
      is_public: t.is_public === undefined ? undefined : toBoolean(t.is_public),
    });
    return { volume_type: managedView(updated) };
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
    return { extra_specs: visibleSpecs((await this.types.get(id, caller)).extra_specs, caller) };
  }

  @Post(':id/extra_specs')
  @HttpCode(200)
  @Authorize('volume_extension:types_extra_specs:create')
  async setExtraSpecs(@Param('id') id: string, @Body() body: unknown) {
    const { extra_specs } = extraSpecsSchema.check(body);
    await this.types.setExtraSpecs(id, extra_specs);
    return { extra_specs };
  }

  @Get(':id/extra_specs/:key')
  @Authorize('volume_extension:types_extra_specs:show')
  async getExtraSpec(
    @Param('id') id: string,
    @Param('key') key: string,
    @Caller() caller: RequestContext,
  ) {
    const specs = visibleSpecs((await this.types.get(id, caller)).extra_specs, caller);
    if (!Object.hasOwn(specs, key)) {
      throw notFound(`Volume Type ${id} has no extra specs with key ${key}.`);
    }
    return { [key]: specs[key] };
  }

  /** The body is the one spec, `{key: value}`, and its key must be the URL's. */
  @Put(':id/extra_specs/:key')
  @Authorize('volume_extension:types_extra_specs:update')
  async setExtraSpec(@Param('id') id: string, @Param('key') key: string, @Body() body: unknown) {
    const spec = extraSpecSchema.check(body);
    if (!Object.hasOwn(spec, key)) {
      // Cinder checks the type (404) and its volumes (400) first.
      await this.types.get(id);
      throw badRequest('Request body and URI mismatch');
    }
    await this.types.setExtraSpecs(id, spec);
    return spec;
  }

  @Delete(':id/extra_specs/:key')
  @HttpCode(202)
  @Authorize('volume_extension:types_extra_specs:delete')
  async deleteExtraSpec(@Param('id') id: string, @Param('key') key: string) {
    await this.types.deleteExtraSpec(id, key);
  }

  /** volume_type_access: addProjectAccess / removeProjectAccess. */
  @Post(':id/action')
  @HttpCode(202)
  async action(@Param('id') id: string, @Body() body: unknown, @Caller() caller: RequestContext) {
    const action =
      body && typeof body === 'object' && Object.keys(body).length === 1
        ? Object.keys(body)[0]
        : undefined;
    if (action === 'addProjectAccess') {
      const { addProjectAccess } = addAccessSchema.check(body);
      authorize(caller, 'volume_extension:volume_type_access:addProjectAccess');
      await this.types.addAccess(id, addProjectAccess.project);
      return;
    }
    if (action === 'removeProjectAccess') {
      const { removeProjectAccess } = removeAccessSchema.check(body);
      authorize(caller, 'volume_extension:volume_type_access:removeProjectAccess');
      await this.types.removeAccess(id, removeProjectAccess.project);
      return;
    }
    if (action === undefined) throw badRequest('Malformed request body');
    throw badRequest(`There is no such action: ${action}`);
  }

  @Get(':id/os-volume-type-access')
  @Authorize('volume_extension:volume_type_access:get_all_for_type')
  async accessList(@Param('id') id: string) {
    const projects = await this.types.accessList(id);
    return {
      volume_type_access: projects.map((project_id) => ({ volume_type_id: id, project_id })),
    };
  }

  /** The type's encryption, all its columns; `{}` when it has none. */
  @Get(':id/encryption')
  @Authorize('volume_extension:volume_type_encryption:get')
  async getEncryption(@Param('id') id: string) {
    const encryption = await this.types.encryption(id);
    return encryption ? encryptionView(encryption) : {};
  }

  /** The answer is the request, with the ids Cinder's create adds to it. */
  @Post(':id/encryption')
  @HttpCode(200)
  @Authorize('volume_extension:volume_type_encryption:create')
  async createEncryption(@Param('id') id: string, @Body() body: unknown) {
    const { encryption } = createEncryptionSchema.check(body);
    const specs = { ...encryption, key_size: keySize(encryption.key_size) };
    const row = await this.types.createEncryption(id, specs);
    return {
      encryption: { ...specs, volume_type_id: id, encryption_id: row.encryption_id },
    };
  }

  @Get(':id/encryption/:key')
  @Authorize('volume_extension:volume_type_encryption:get')
  async getEncryptionKey(@Param('id') id: string, @Param('key') key: string) {
    const encryption = await this.types.encryption(id);
    const shown: Record<string, unknown> = encryption ? encryptionView(encryption) : {};
    if (!Object.hasOwn(shown, key)) {
      throw notFound(`Volume type encryption for type ${id} does not exist.`);
    }
    return { [key]: shown[key] };
  }

  /** The URL's encryption id is not checked, as in Cinder: a type has one encryption. */
  @Put(':id/encryption/:encryptionId')
  @Authorize('volume_extension:volume_type_encryption:update')
  async updateEncryption(@Param('id') id: string, @Body() body: unknown) {
    const { encryption } = updateEncryptionSchema.check(body);
    const specs = {
      ...encryption,
      ...(encryption.key_size !== undefined ? { key_size: keySize(encryption.key_size) } : {}),
    };
    await this.types.updateEncryption(id, {
      provider: specs.provider,
      cipher: specs.cipher,
      key_size: specs.key_size as number | null | undefined,
      control_location: specs.control_location,
    });
    return { encryption: specs };
  }

  @Delete(':id/encryption/:encryptionId')
  @HttpCode(202)
  @Authorize('volume_extension:volume_type_encryption:delete')
  async deleteEncryption(@Param('id') id: string) {
    await this.types.deleteEncryption(id);
  }
}
