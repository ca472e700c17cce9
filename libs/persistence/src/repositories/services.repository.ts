import type { EntityManager } from 'typeorm';
import { ServiceEntity } from '../entities/service.entity';

/** Service rows (registered binaries), for questions beyond the ServiceRegistry's lists. */
export class ServicesRepository {
  constructor(private readonly manager: EntityManager) {}

  /** How many services listen on this topic, up or down. */
  countOfTopic(topic: string): Promise<number> {
    return this.manager.count(ServiceEntity, { where: { topic } });
  }
}
