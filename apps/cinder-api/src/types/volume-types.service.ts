import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  DEFAULT_VOLUME_TYPE_NAME,
  type VolumeTypeEntity,
  VolumeTypesRepository,
} from '@cinderflow/persistence';
import { CinderHttpError, NOT_FOUND, notFound } from '../common/cinder-errors';

@Injectable()
export class VolumeTypesService {
  private readonly repo: VolumeTypesRepository;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.repo = new VolumeTypesRepository(dataSource.manager);
  }

  list(): Promise<VolumeTypeEntity[]> {
    return this.repo.all();
  }

  async get(id: string): Promise<VolumeTypeEntity> {
    const type = await this.repo.findLive(id);
    if (!type) throw notFound(NOT_FOUND.volumeType(id));
    return type;
  }

  async getDefault(): Promise<VolumeTypeEntity> {
    const type = await this.repo.findByName(DEFAULT_VOLUME_TYPE_NAME);
    if (!type) throw notFound('Default volume type can not be found.');
    return type;
  }

  /** A volume request names its type by name or by id (Cinder tries the id first). */
  async resolve(nameOrId: string | null | undefined): Promise<VolumeTypeEntity> {
    if (nameOrId === undefined || nameOrId === null || nameOrId === '') {
      return this.getDefault();
    }
    const byId = await this.repo.findLive(nameOrId);
    if (byId) return byId;
    const byName = await this.repo.findByName(nameOrId);
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

  async setExtraSpecs(id: string, specs: Record<string, string>): Promise<Record<string, string>> {
    const type = await this.get(id);
    const merged = { ...type.extra_specs, ...specs };
    await this.repo.setExtraSpecs(id, merged);
    return merged;
  }

  async delete(id: string): Promise<void> {
    const type = await this.get(id);
    if (type.name === DEFAULT_VOLUME_TYPE_NAME) {
      throw new CinderHttpError(400, 'Default volume type can not be deleted.');
    }
    if (await this.repo.inUse(id)) {
      throw new CinderHttpError(400, `Target volume type is still in use.`);
    }
    await this.repo.softDelete(id);
  }
}
