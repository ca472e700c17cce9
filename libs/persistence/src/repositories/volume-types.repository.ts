import type { EntityManager } from 'typeorm';
import {
  DefaultVolumeTypeEntity,
  VolumeTypeEncryptionEntity,
  VolumeTypeProjectEntity,
} from '../entities/volume-type-extras.entity';
import { VolumeTypeEntity } from '../entities/volume-type.entity';
import { findLive } from './live-rows';

/**
 * Who looks: an admin sees every type; anyone else the public ones and the private ones its
 * project was given access to (Cinder's _volume_type_get_query).
 */
export interface TypeViewer {
  isAdmin: boolean;
  projectId: string;
}

/** The encryption columns a request may set. */
export interface EncryptionSpecs {
  provider?: string;
  cipher?: string | null;
  key_size?: number | null;
  control_location?: string;
}

/** Volume types (global, not per project), their access lists, encryption and project defaults. */
export class VolumeTypesRepository {
  constructor(private readonly manager: EntityManager) {}

  all(): Promise<VolumeTypeEntity[]> {
    return this.manager.find(VolumeTypeEntity, {
      where: { deleted: false },
      order: { name: 'ASC' },
    });
  }

  /**
   * Cinder's volume_type_get_all with its `is_public` filter: true is the public types plus the
   * private ones the viewer's project may use, false only private ones, null all (each within
   * what the viewer may see).
   */
  async list(viewer: TypeViewer, isPublic: boolean | null): Promise<VolumeTypeEntity[]> {
    const q = this.manager
      .createQueryBuilder(VolumeTypeEntity, 't')
      .where('NOT t.deleted')
      .orderBy('t.name', 'ASC');
    const access =
      'EXISTS (SELECT 1 FROM volume_type_projects p WHERE p.volume_type_id = t.id AND p.project_id = :project)';
    if (!viewer.isAdmin) q.andWhere(`(t.is_public OR ${access})`);
    if (isPublic === true) q.andWhere(`(t.is_public OR ${access})`);
    if (isPublic === false) q.andWhere('NOT t.is_public');
    return q.setParameter('project', viewer.projectId).getMany();
  }

  findLive(id: string): Promise<VolumeTypeEntity | null> {
    return findLive(this.manager, VolumeTypeEntity, id);
  }

  /** A live type the viewer may see, by id. */
  async findVisible(id: string, viewer: TypeViewer): Promise<VolumeTypeEntity | null> {
    const type = await this.findLive(id);
    return type && (await this.visible(type, viewer)) ? type : null;
  }

  /** A live type the viewer may see, by name. */
  async findVisibleByName(name: string, viewer: TypeViewer): Promise<VolumeTypeEntity | null> {
    const type = await this.findByName(name);
    return type && (await this.visible(type, viewer)) ? type : null;
  }

  private async visible(type: VolumeTypeEntity, viewer: TypeViewer): Promise<boolean> {
    if (viewer.isAdmin || type.is_public) return true;
    return this.manager.exists(VolumeTypeProjectEntity, {
      where: { volume_type_id: type.id, project_id: viewer.projectId },
    });
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

  async update(
    id: string,
    values: Partial<Pick<VolumeTypeEntity, 'name' | 'description' | 'is_public'>>,
  ): Promise<void> {
    await this.manager.update(VolumeTypeEntity, { id }, values);
  }

  /**
   * A renamed type's per-type quota resources follow it (Cinder's update_quota_resource):
   * limits, class limits and usages of volumes_<name>, gigabytes_<name>, snapshots_<name>.
   */
  async renameQuotaResources(oldName: string, newName: string): Promise<void> {
    for (const quota of ['volumes', 'gigabytes', 'snapshots']) {
      const [from, to] = [`${quota}_${oldName}`, `${quota}_${newName}`];
      for (const table of ['quotas', 'quota_classes', 'quota_usages']) {
        await this.manager.query(`UPDATE ${table} SET resource = $2 WHERE resource = $1`, [
          from,
          to,
        ]);
      }
    }
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

  /** The type goes with its encryption and access list (Cinder's volume_type_destroy). */
  async softDelete(id: string): Promise<void> {
    await this.manager.transaction(async (m) => {
      await m.update(VolumeTypeEntity, { id }, { deleted: true });
      await m.update(
        VolumeTypeEncryptionEntity,
        { volume_type_id: id, deleted: false },
        { deleted: true, deleted_at: new Date() },
      );
      await m.delete(VolumeTypeProjectEntity, { volume_type_id: id });
    });
  }

  accessList(typeId: string): Promise<VolumeTypeProjectEntity[]> {
    return this.manager.find(VolumeTypeProjectEntity, {
      where: { volume_type_id: typeId },
      order: { created_at: 'ASC' },
    });
  }

  /** False when the project already had access. */
  async addAccess(typeId: string, projectId: string): Promise<boolean> {
    const rows = (await this.manager.query(
      `INSERT INTO volume_type_projects (volume_type_id, project_id, created_at)
       VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING project_id`,
      [typeId, projectId, new Date()],
    )) as unknown[];
    return rows.length > 0;
  }

  /** False when the project had no access. */
  async removeAccess(typeId: string, projectId: string): Promise<boolean> {
    const result = await this.manager.delete(VolumeTypeProjectEntity, {
      volume_type_id: typeId,
      project_id: projectId,
    });
    return (result.affected ?? 0) > 0;
  }

  encryption(typeId: string): Promise<VolumeTypeEncryptionEntity | null> {
    return this.manager.findOne(VolumeTypeEncryptionEntity, {
      where: { volume_type_id: typeId, deleted: false },
    });
  }

  async createEncryption(row: VolumeTypeEncryptionEntity): Promise<void> {
    await this.manager.insert(VolumeTypeEncryptionEntity, row);
  }

  /** False when the type has no encryption. */
  async updateEncryption(typeId: string, specs: EncryptionSpecs): Promise<boolean> {
    const result = await this.manager.update(
      VolumeTypeEncryptionEntity,
      { volume_type_id: typeId, deleted: false },
      { ...specs, updated_at: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  /** False when the type has no encryption. */
  async deleteEncryption(typeId: string): Promise<boolean> {
    const result = await this.manager.update(
      VolumeTypeEncryptionEntity,
      { volume_type_id: typeId, deleted: false },
      { deleted: true, deleted_at: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  projectDefault(projectId: string): Promise<DefaultVolumeTypeEntity | null> {
    return this.manager.findOne(DefaultVolumeTypeEntity, { where: { project_id: projectId } });
  }

  allProjectDefaults(): Promise<DefaultVolumeTypeEntity[]> {
    return this.manager.find(DefaultVolumeTypeEntity, { order: { project_id: 'ASC' } });
  }

  async setProjectDefault(projectId: string, typeId: string): Promise<DefaultVolumeTypeEntity> {
    const now = new Date();
    await this.manager.query(
      `INSERT INTO default_volume_types (project_id, volume_type_id, created_at)
       VALUES ($1, $2, $3)
       ON CONFLICT (project_id) DO UPDATE SET volume_type_id = $2, updated_at = $3`,
      [projectId, typeId, now],
    );
    return (await this.projectDefault(projectId))!;
  }

  async unsetProjectDefault(projectId: string): Promise<void> {
    await this.manager.delete(DefaultVolumeTypeEntity, { project_id: projectId });
  }

  /** Whether some project has the type as its default (then it cannot be deleted). */
  isProjectDefault(typeId: string): Promise<boolean> {
    return this.manager.exists(DefaultVolumeTypeEntity, { where: { volume_type_id: typeId } });
  }
}
