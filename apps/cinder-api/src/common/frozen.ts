import { DataSource, type EntityManager } from 'typeorm';
import { ServicesRepository } from '@cinderflow/persistence';
import { invalidInput } from './cinder-errors';

/**
 * Cinder's assert_not_frozen (volume delete, snapshot create and delete): a frozen backend
 * takes no management operations until it is thawed.
 */
export async function assertNotFrozen(
  db: DataSource | EntityManager,
  volumeHost: string,
): Promise<void> {
  const manager = db instanceof DataSource ? db.manager : db;
  if (await new ServicesRepository(manager).isBackendFrozen(volumeHost)) {
    throw invalidInput('Modification operations are not allowed on frozen storage backends.');
  }
}
