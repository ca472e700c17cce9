import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '../data-source';
import { dropDatabase, ensureDatabase } from '../ensure-database';

/**
 * A throw-away, migrated database on the PostgreSQL that DATABASE_URL names (default: the
 * local one), for tests that need the real thing.
 */
export async function createTestDatabase(): Promise<{
  dataSource: DataSource;
  url: string;
  drop(): Promise<void>;
}> {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/cinderflow_test_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(url.toString());
  const dataSource = createDataSource(url.toString(), 40);
  await dataSource.initialize();
  await runMigrations(dataSource);
  return {
    dataSource,
    url: url.toString(),
    async drop() {
      await dataSource.destroy();
      await dropDatabase(url.toString());
    },
  };
}
