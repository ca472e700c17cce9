import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  QOS_CONSUMERS,
  type QosConsumer,
  type QosSpecsEntity,
  QosSpecsNameTakenError,
  QosSpecsRepository,
  VolumeTypesRepository,
} from '@cinderflow/persistence';
import { badRequest, CinderHttpError, NOT_FOUND, notFound } from '../common/cinder-errors';

const invalidQos = (reason: string) => badRequest(`Invalid qos specs: ${reason}`);

/** oslo.versionedobjects' text for the consumer field, which Cinder's message prints. */
const CONSUMER_FIELD =
  "QoSConsumer(default=<class 'oslo_versionedobjects.fields.UnspecifiedDefault'>," +
  `nullable=False,valid_values=(${QOS_CONSUMERS.map((c) => `'${c}'`).join(', ')}))`;

function consumerOf(value: unknown): QosConsumer {
  if (typeof value === 'string' && (QOS_CONSUMERS as readonly string[]).includes(value)) {
    return value as QosConsumer;
  }
  throw invalidQos(`Valid consumer of QoS specs are: ${CONSUMER_FIELD}`);
}

/** Cinder's utils.validate_dictionary_string_length: keys 1–255 characters, values ≤ 255. */
function checkStrings(specs: Record<string, unknown>): Record<string, string> {
  for (const [key, value] of Object.entries(specs)) {
    if (key.length < 1 || key.length > 255) {
      throw badRequest(
        `Invalid input received: Key "${key}" has a length of ${key.length}, outside 1 to 255.`,
      );
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string') {
      throw badRequest(`Invalid input received: Value for key "${key}" is not a string or unicode`);
    }
    if (value.length > 255) {
      throw badRequest(
        `Invalid input received: Value for key "${key}" has more than 255 characters.`,
      );
    }
  }
  return specs as Record<string, string>;
}

/**
 * cinder/volume/qos_specs.py: QoS spec sets (a name, a consumer, key/value limits) and their
 * associations with volume types, one set per type at most.
 */
@Injectable()
export class QosSpecsService {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  private repo(manager = this.dataSource.manager) {
    return new QosSpecsRepository(manager);
  }

  list(): Promise<QosSpecsEntity[]> {
    return this.repo().all();
  }

  async get(id: string): Promise<QosSpecsEntity> {
    const specs = await this.repo().findLive(id);
    if (!specs) throw notFound(`No such QoS spec ${id}.`);
    return specs;
  }

  /** `consumer` among the specs is the set's consumer, not a limit (default back-end). */
  async create(name: string, given: Record<string, unknown>): Promise<QosSpecsEntity> {
    const { consumer, ...specs } = checkStrings(given);
    try {
      return await this.repo().create({
        name,
        consumer: consumer === undefined ? 'back-end' : consumerOf(consumer),
        specs,
      });
    } catch (error) {
      if (error instanceof QosSpecsNameTakenError) throw new CinderHttpError(409, error.message);
      throw error;
    }
  }

  /** Merges keys into the set (a `consumer` key changes the consumer). */
  async update(id: string, given: Record<string, string | null>): Promise<void> {
    const { consumer, ...specs } = checkStrings(given);
    const newConsumer = consumer === undefined ? undefined : consumerOf(consumer);
    await this.dataSource.transaction(async (tx) => {
      const current = await this.locked(tx, id);
      await this.repo(tx).save(id, {
        ...(newConsumer ? { consumer: newConsumer } : {}),
        specs: { ...current.specs, ...specs },
      });
    });
  }

  /**
   * Removes keys. A key the set lacks is a 404, after what came before it in the list is removed
   * (Cinder saves in a `finally`).
   */
  async deleteKeys(id: string, keys: string[]): Promise<void> {
    const missing = await this.dataSource.transaction(async (tx) => {
      const specs = { ...(await this.locked(tx, id)).specs };
      const absent = keys.find((key) => !(key in specs));
      for (const key of absent === undefined ? keys : keys.slice(0, keys.indexOf(absent))) {
        delete specs[key];
      }
      await this.repo(tx).save(id, { specs });
      return absent;
    });
    if (missing !== undefined) throw notFound(`QoS spec ${id} has no spec with key ${missing}.`);
  }

  /** Deleted only without associations, unless forced (which removes them first). */
  async delete(id: string, force: boolean): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await this.locked(tx, id);
      const repo = this.repo(tx);
      if ((await repo.associatedTypes(id)).length > 0) {
        if (!force) throw badRequest('Qos specs still in use.');
        await repo.disassociateAll(id);
      }
      await repo.softDelete(id);
    });
  }

  async associations(id: string) {
    await this.get(id);
    return (await this.repo().associatedTypes(id)).map((type) => ({
      association_type: 'volume_type',
      name: type.name,
      id: type.id,
    }));
  }

  async associate(id: string, typeId: string | undefined): Promise<void> {
    if (!typeId) throw badRequest('Volume Type id must not be None.');
    await this.dataSource.transaction(async (tx) => {
      await this.locked(tx, id);
      const type = await this.lockedType(tx, typeId);
      if (type.qos_specs_id && type.qos_specs_id !== id) {
        throw badRequest(
          `Invalid volume type: Type ${typeId} is already associated with another qos specs: ` +
            type.qos_specs_id,
        );
      }
      await this.repo(tx).associate(id, typeId);
    });
  }

  async disassociate(id: string, typeId: string | undefined): Promise<void> {
    if (!typeId) throw badRequest('Volume Type id must not be None.');
    await this.dataSource.transaction(async (tx) => {
      await this.locked(tx, id);
      await this.lockedType(tx, typeId);
      await this.repo(tx).disassociate(id, typeId);
    });
  }

  async disassociateAll(id: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await this.locked(tx, id);
      await this.repo(tx).disassociateAll(id);
    });
  }

  private async locked(tx: DataSource['manager'], id: string): Promise<QosSpecsEntity> {
    const specs = await this.repo(tx).lockLive(id);
    if (!specs) throw notFound(`No such QoS spec ${id}.`);
    return specs;
  }

  /** The live type, locked: two associations of one type never both pass the check. */
  private async lockedType(tx: DataSource['manager'], typeId: string) {
    const types = new VolumeTypesRepository(tx);
    const type = await types.findLive(typeId);
    if (!type) throw notFound(NOT_FOUND.volumeType(typeId));
    await tx.query('SELECT 1 FROM volume_types WHERE id = $1 FOR UPDATE', [typeId]);
    return (await types.findLive(typeId)) ?? type;
  }
}
