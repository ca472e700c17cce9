import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DEFAULT_VOLUME_TYPE_NAME, VolumeTypeEntity } from '@cinderflow/persistence';
import { CinderHttpError, NOT_FOUND, notFound } from '../common/cinder-errors';
import { isUuid } from '../common/validation';

@Injectable()
export class VolumeTypesService {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  list(): Promise<VolumeTypeEntity[]> {
    return this.dataSource.manager.find(VolumeTypeEntity, {
      where: { deleted: false },
      order: { name: 'ASC' },
    });
  }

  async get(id: string): Promise<VolumeTypeEntity> {
    const type = isUuid(id)
      ? await this.dataSource.manager.findOne(VolumeTypeEntity, { where: { id, deleted: false } })
      : null;
    if (!type) throw notFound(NOT_FOUND.volumeType(id));
    return type;
  }

  async getDefault(): Promise<VolumeTypeEntity> {
    const type = await this.dataSource.manager.findOne(VolumeTypeEntity, {
      where: { name: DEFAULT_VOLUME_TYPE_NAME, deleted: false },
    });
    if (!type) throw notFound('Default volume type can not be found.');
    return type;
  }

  /** A volume request names its type by name or by id (Cinder tries the id first). */
  async resolve(nameOrId: string | null | undefined): Promise<VolumeTypeEntity> {
    if (nameOrId === undefined || nameOrId === null || nameOrId === '') {
      return this.getDefault();
    }
    if (isUuid(nameOrId)) {
      const byId = await this.dataSource.manager.findOne(VolumeTypeEntity, {
        where: { id: nameOrId, deleted: false },
      });
      if (byId) return byId;
    }
    const byName = await this.dataSource.manager.findOne(VolumeTypeEntity, {
      where: { name: nameOrId, deleted: false },
    });
    if (!byName) throw notFound(`Volume type with name ${nameOrId} could not be found.`);
    return byName;
  }

  async create(input: {
    name: string;
    description?: string | null;
    is_public?: boolean;
    extra_specs?: Record<string, string>;
  }) {
    const existing = await this.dataSource.manager.findOne(VolumeTypeEntity, {
      where: { name: input.name, deleted: false },
    });
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
    await this.dataSource.manager.insert(VolumeTypeEntity, type);
    return type;
  }

  async setExtraSpecs(id: string, specs: Record<string, string>): Promise<Record<string, string>> {
    const type = await this.get(id);
    const merged = { ...type.extra_specs, ...specs };
    await this.dataSource.manager.update(VolumeTypeEntity, { id }, { extra_specs: merged });
    return merged;
  }

  async delete(id: string): Promise<void> {
    const type = await this.get(id);
    if (type.name === DEFAULT_VOLUME_TYPE_NAME) {
      throw new CinderHttpError(400, 'Default volume type can not be deleted.');
    }
    const inUse = await this.dataSource.query(
      'SELECT 1 FROM volumes WHERE volume_type_id = $1 AND NOT deleted LIMIT 1',
      [id],
    );
    if ((inUse as unknown[]).length > 0) {
      throw new CinderHttpError(400, `Target volume type is still in use.`);
    }
    await this.dataSource.manager.update(VolumeTypeEntity, { id }, { deleted: true });
  }
}
