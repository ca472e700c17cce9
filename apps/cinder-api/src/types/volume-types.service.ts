import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  DEFAULT_VOLUME_TYPE_NAME,
  type DefaultVolumeTypeEntity,
  type EncryptionSpecs,
  type TypeViewer,
  type VolumeTypeEncryptionEntity,
  type VolumeTypeEntity,
  VolumeTypesRepository,
} from '@cinderflow/persistence';
import { badRequest, CinderHttpError, NOT_FOUND, notFound } from '../common/cinder-errors';
import { isUuid } from '../common/validation';

/** Cinder's InvalidVolumeType. */
const invalidVolumeType = (reason: string) => badRequest(`Invalid volume type: ${reason}`);

/** An admin (system) view: Cinder elevates the context for these lookups. */
const ADMIN: TypeViewer = { isAdmin: true, projectId: '' };

@Injectable()
export class VolumeTypesService {
  private readonly repo: VolumeTypesRepository;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    this.repo = new VolumeTypesRepository(dataSource.manager);
  }

  list(viewer: TypeViewer = ADMIN, isPublic: boolean | null = null): Promise<VolumeTypeEntity[]> {
    return this.repo.list(viewer, isPublic);
  }

  /** A type the viewer may see; a private one without access is not found, as in Cinder. */
  async get(id: string, viewer: TypeViewer = ADMIN): Promise<VolumeTypeEntity> {
    const type = await this.repo.findVisible(id, viewer);
    if (!type) throw notFound(NOT_FOUND.volumeType(id));
    return type;
  }

  /** Cinder's get_default_volume_type: the project's own default (3.62), else the global one. */
  async getDefault(viewer?: TypeViewer): Promise<VolumeTypeEntity> {
    if (viewer) {
      const own = await this.repo.projectDefault(viewer.projectId);
      if (own) return this.get(own.volume_type_id, viewer);
    }
    const type = await this.repo.findByName(DEFAULT_VOLUME_TYPE_NAME);
    if (!type) throw notFound('Default volume type can not be found.');
    return type;
  }

  /**
   * A volume request names its type by name or by id (Cinder's get_by_name_or_id: a uuid is
   * tried as an id, then as a name); nothing named is the (project's) default.
   */
  async resolve(
    nameOrId: string | null | undefined,
    viewer: TypeViewer = ADMIN,
  ): Promise<VolumeTypeEntity> {
    if (nameOrId === undefined || nameOrId === null || nameOrId === '') {
      return this.getDefault(viewer);
    }
    if (isUuid(nameOrId)) {
      const byId =
        (await this.repo.findVisible(nameOrId, viewer)) ??
        (await this.repo.findVisibleByName(nameOrId, viewer));
      if (!byId) throw notFound(NOT_FOUND.volumeType(nameOrId));
      return byId;
    }
    const byName = await this.repo.findVisibleByName(nameOrId, viewer);
    if (!byName) throw notFound(`Volume type with name ${nameOrId} could not be found.`);
    return byName;
  }

  async create(input: {
    name: string;
    description?: string | null;
    is_public?: boolean;
    extra_specs?: Record<string, string>;
  }) {
    const existing = await this.repo.findByName(input.name);
    if (existing) throw new CinderHttpError(409, `Volume Type ${input.name} already exists.`);
    const type: VolumeTypeEntity = {
      id: randomUUID(),
      name: input.name,
      description: input.description ?? null,
      is_public: input.is_public ?? true,
      extra_specs: input.extra_specs ?? {},
      created_at: new Date(),
      deleted: false,
    };
    await this.repo.insert(type);
    return type;
  }

  /** types_manage _update: an unset field stays; a new name must be free; quotas follow it. */
  async update(
    id: string,
    input: { name?: string | null; description?: string | null; is_public?: boolean },
  ): Promise<VolumeTypeEntity> {
    if (typeof input.name === 'string' && input.name.trim().length === 0) {
      throw badRequest('Volume type name can not be empty.');
    }
    const name = input.name ?? undefined;
    const description = input.description ?? undefined;
    if (name === undefined && description === undefined && input.is_public === undefined) {
      throw badRequest(
        'Specify volume type name, description, is_public or a combination thereof.',
      );
    }
    return this.dataSource.transaction(async (m) => {
      const repo = new VolumeTypesRepository(m);
      const type = await repo.findLive(id);
      if (!type) throw notFound(NOT_FOUND.volumeType(id));
      if (name !== undefined) {
        const holder = await repo.findByName(name);
        if (holder && holder.id !== id) {
          throw new CinderHttpError(409, `Volume Type ${name} already exists.`);
        }
      }
      const values = {
        ...(name !== undefined ? { name } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(input.is_public !== undefined ? { is_public: input.is_public } : {}),
      };
      await repo.update(id, values);
      if (name !== undefined && name !== type.name) {
        await repo.renameQuotaResources(type.name, name);
      }
      return { ...type, ...values };
    });
  }

  /** types_extra_specs _allow_update: no spec changes while a volume has the type. */
  private async refuseInUse(id: string): Promise<void> {
    if (await this.repo.inUse(id)) throw badRequest('Volume Type is currently in use.');
  }

  /** types_extra_specs _check_cacheable. */
  private static checkCacheable(specs: Record<string, string>, current: Record<string, string>) {
    const on = (v: string | undefined) => v === '<is> True';
    if (
      (on(specs.multiattach) && on(current.cacheable)) ||
      (on(specs.cacheable) && on(current.multiattach)) ||
      (on(specs.cacheable) && on(specs.multiattach))
    ) {
      throw badRequest('cacheable cannot be set with multiattach.');
    }
  }

  async setExtraSpecs(id: string, specs: Record<string, string>): Promise<Record<string, string>> {
    await this.refuseInUse(id);
    const type = await this.get(id);
    VolumeTypesService.checkCacheable(specs, type.extra_specs);
    const merged = { ...type.extra_specs, ...specs };
    await this.repo.setExtraSpecs(id, merged);
    return merged;
  }

  async deleteExtraSpec(id: string, key: string): Promise<void> {
    const type = await this.get(id);
    await this.refuseInUse(id);
    if (!Object.hasOwn(type.extra_specs, key)) {
      throw notFound(`Volume Type ${id} has no extra specs with key ${key}.`);
    }
    const { [key]: _, ...rest } = type.extra_specs;
    await this.repo.setExtraSpecs(id, rest);
  }

  /** volume_types.destroy: not a project's default, not the global default, not in use. */
  async delete(id: string): Promise<void> {
    const type = await this.get(id);
    if (type.name === DEFAULT_VOLUME_TYPE_NAME || (await this.repo.isProjectDefault(id))) {
      throw badRequest(`The volume type ${id} is a default volume type and cannot be deleted.`);
    }
    if (await this.repo.inUse(id)) {
      throw badRequest('Target volume type is still in use.');
    }
    await this.repo.softDelete(id);
  }

  /** GET /types/{id}/os-volume-type-access: only private types have a list. */
  async accessList(id: string): Promise<string[]> {
    const type = await this.get(id);
    if (type.is_public) throw notFound('Access list not available for public volume types.');
    return (await this.repo.accessList(id)).map((row) => row.project_id);
  }

  async addAccess(id: string, project: string): Promise<void> {
    await this.privateType(id);
    if (!(await this.repo.addAccess(id, project))) {
      throw new CinderHttpError(
        409,
        `Volume type access for ${id} / ${project} combination already exists.`,
      );
    }
  }

  async removeAccess(id: string, project: string): Promise<void> {
    await this.privateType(id);
    if (!(await this.repo.removeAccess(id, project))) {
      throw notFound(`Volume type access not found for ${id} / ${project} combination.`);
    }
  }

  private async privateType(id: string): Promise<VolumeTypeEntity> {
    const type = await this.get(id);
    if (type.is_public) {
      throw invalidVolumeType('Type access modification is not applicable to public volume type.');
    }
    return type;
  }

  async encryption(id: string): Promise<VolumeTypeEncryptionEntity | null> {
    await this.get(id);
    return this.repo.encryption(id);
  }

  /** volume_type_encryption create: refused while a volume has the type, or if it has one. */
  async createEncryption(
    id: string,
    specs: EncryptionSpecs & { provider: string; control_location: string },
  ): Promise<VolumeTypeEncryptionEntity> {
    if (await this.repo.inUse(id)) {
      throw badRequest('Cannot create encryption specs. Volume type in use.');
    }
    await this.get(id);
    if (await this.repo.encryption(id)) {
      throw badRequest(`Volume type encryption for type ${id} already exists.`);
    }
    const row: VolumeTypeEncryptionEntity = {
      encryption_id: randomUUID(),
      volume_type_id: id,
      provider: specs.provider,
      cipher: specs.cipher ?? null,
      key_size: specs.key_size ?? null,
      control_location: specs.control_location,
      created_at: new Date(),
      updated_at: null,
      deleted: false,
      deleted_at: null,
    };
    await this.repo.createEncryption(row);
    return row;
  }

  async updateEncryption(id: string, specs: EncryptionSpecs): Promise<void> {
    await this.get(id);
    if (await this.repo.inUse(id)) {
      throw badRequest('Cannot update encryption specs. Volume type in use.');
    }
    if (!(await this.repo.updateEncryption(id, specs))) {
      throw notFound(`Volume type encryption for type ${id} does not exist.`);
    }
  }

  async deleteEncryption(id: string): Promise<void> {
    if (await this.repo.inUse(id)) {
      throw badRequest('Cannot delete encryption specs. Volume type in use.');
    }
    if (!(await this.repo.deleteEncryption(id))) {
      throw notFound(`Volume type encryption for type ${id} does not exist.`);
    }
  }

  /** PUT /default-types/{project}: an unknown type is a 400 with the not-found message. */
  async setProjectDefault(project: string, nameOrId: string): Promise<DefaultVolumeTypeEntity> {
    let type: VolumeTypeEntity;
    try {
      type = await this.resolve(nameOrId);
    } catch (err) {
      if (err instanceof CinderHttpError && err.status === 404) throw badRequest(err.message);
      throw err;
    }
    return this.repo.setProjectDefault(project, type.id);
  }

  async projectDefault(project: string): Promise<DefaultVolumeTypeEntity> {
    const row = await this.repo.projectDefault(project);
    if (!row) throw notFound(`Default type for project ${project} not found.`);
    return row;
  }

  allProjectDefaults(): Promise<DefaultVolumeTypeEntity[]> {
    return this.repo.allProjectDefaults();
  }

  unsetProjectDefault(project: string): Promise<void> {
    return this.repo.unsetProjectDefault(project);
  }
}
