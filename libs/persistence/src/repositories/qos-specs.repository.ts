import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type QosConsumer, QosSpecsEntity } from '../entities/qos-specs.entity';
import { VolumeTypeEntity } from '../entities/volume-type.entity';
import { findLive } from './live-rows';

/** A name a live spec set has already (Cinder's QoSSpecsExists). */
export class QosSpecsNameTakenError extends Error {
  constructor(readonly specsName: string) {
    super(`QoS Specs ${specsName} already exists.`);
    this.name = 'QosSpecsNameTakenError';
  }
}

/** What the QoS of a type gives its volumes' consumers. */
export interface TypeQos {
  id: string;
  consumer: QosConsumer;
  specs: Record<string, string>;
}

/** Cinder's QoS specs (global, admin-managed) and their associations with volume types. */
export class QosSpecsRepository {
  constructor(private readonly manager: EntityManager) {}

  all(): Promise<QosSpecsEntity[]> {
    return this.manager.find(QosSpecsEntity, {
      where: { deleted: false },
      order: { created_at: 'DESC', id: 'DESC' },
    });
  }

  findLive(id: string): Promise<QosSpecsEntity | null> {
    return findLive(this.manager, QosSpecsEntity, id);
  }

  /** The live spec set, locked for the rest of the caller's transaction. */
  async lockLive(id: string): Promise<QosSpecsEntity | null> {
    if (!(await this.findLive(id))) return null;
    return this.manager
      .createQueryBuilder(QosSpecsEntity, 'q')
      .setLock('pessimistic_write')
      .where('q.id = :id AND NOT q.deleted', { id })
      .getOne();
  }

  async create(input: {
    name: string;
    consumer: QosConsumer;
    specs: Record<string, string>;
  }): Promise<QosSpecsEntity> {
    const row: QosSpecsEntity = {
      id: randomUUID(),
      name: input.name,
      consumer: input.consumer,
      specs: input.specs,
      created_at: new Date(),
      updated_at: null,
      deleted: false,
      deleted_at: null,
    };
    try {
      await this.manager.insert(QosSpecsEntity, row);
    } catch (error) {
      // The partial unique index on live names: a racing create of the same name loses here.
      if ((error as { code?: string }).code === '23505') {
        throw new QosSpecsNameTakenError(input.name);
      }
      throw error;
    }
    return row;
  }

  async save(id: string, changes: { consumer?: QosConsumer; specs?: Record<string, string> }) {
    await this.manager.update(QosSpecsEntity, { id }, { ...changes, updated_at: new Date() });
  }

  async softDelete(id: string): Promise<void> {
    await this.manager.update(
      QosSpecsEntity,
      { id },
      { deleted: true, deleted_at: new Date(), updated_at: new Date() },
    );
  }

  /** The live types associated with the spec set. */
  associatedTypes(id: string): Promise<VolumeTypeEntity[]> {
    return this.manager.find(VolumeTypeEntity, {
      where: { qos_specs_id: id, deleted: false },
      order: { name: 'ASC' },
    });
  }

  async associate(id: string, typeId: string): Promise<void> {
    await this.manager.update(VolumeTypeEntity, { id: typeId }, { qos_specs_id: id });
  }

  async disassociate(id: string, typeId: string): Promise<void> {
    await this.manager.update(
      VolumeTypeEntity,
      { id: typeId, qos_specs_id: id },
      { qos_specs_id: null },
    );
  }

  async disassociateAll(id: string): Promise<void> {
    await this.manager.update(VolumeTypeEntity, { qos_specs_id: id }, { qos_specs_id: null });
  }

  /** The QoS of a volume type (Cinder's get_volume_type_qos_specs), if one is associated. */
  async ofType(typeId: string): Promise<TypeQos | null> {
    const rows = (await this.manager.query(
      `SELECT q.id, q.consumer, q.specs FROM volume_types t
         JOIN qos_specs q ON q.id = t.qos_specs_id AND NOT q.deleted
        WHERE t.id = $1`,
      [typeId],
    )) as TypeQos[];
    return rows[0] ?? null;
  }
}
