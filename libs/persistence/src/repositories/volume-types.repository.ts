import type { EntityManager } from 'typeorm';
import { VolumeTypeEntity } from '../entities/volume-type.entity';
import { findLive } from './live-rows';

/** Volume types (global, not per project). */
export class VolumeTypesRepository {
  constructor(private readonly manager: EntityManager) {}

  all(): Promise<VolumeTypeEntity[]> {
    return this.manager.find(VolumeTypeEntity, {
      where: { deleted: false },
      order: { name: 'ASC' },
    });
  }

  findLive(id: string): Promise<VolumeTypeEntity | null> {
    return findLive(this.manager, VolumeTypeEntity, id);
  }

  /** The type with this id, deleted or not (a volume keeps a type deleted after it was made). */
  findAny(id: string): Promise<VolumeTypeEntity | null> {
    return this.manager.findOne(VolumeTypeEntity, { where: { id } });
  }

  /** A live type by id (a uuid) or else by name. */
  async findByIdOrName(nameOrId: string): Promise<VolumeTypeEntity | null> {
    return (await this.findLive(nameOrId)) ?? this.findByName(nameOrId);
  }

  findByName(name: string): Promise<VolumeTypeEntity | null> {
    return this.manager.findOne(VolumeTypeEntity, { where: { name, deleted: false } });
  }

  async insert(type: VolumeTypeEntity): Promise<void> {
    await this.manager.insert(VolumeTypeEntity, type);
  }

  async setExtraSpecs(id: string, specs: Record<string, string>): Promise<void> {
    await this.manager.update(VolumeTypeEntity, { id }, { extra_specs: specs });
  }

  /** Whether a live volume still has the type. */
  async inUse(id: string): Promise<boolean> {
    const rows = (await this.manager.query(
      'SELECT 1 FROM volumes WHERE volume_type_id = $1 AND NOT deleted LIMIT 1',
      [id],
    )) as unknown[];
    return rows.length > 0;
  }

  async softDelete(id: string): Promise<void> {
    await this.manager.update(VolumeTypeEntity, { id }, { deleted: true });
  }
}
