import { randomBytes } from 'node:crypto';
import { createDataSource, ensureDatabase, runMigrations } from '@cinderflow/persistence';
import {
  containersRequired,
  containerEngine,
  INFRA_ENV,
  REQUIRE_CONTAINERS_ENV,
  type Infrastructure,
} from './infrastructure';

/**
 * Starts PostgreSQL and RabbitMQ once per run with testcontainers when a container engine
 * answers, otherwise uses DATABASE_URL / AMQP_URL (default: the local services). Each test
 * file then gets its own database and queue prefix (see cluster.ts).
 */
export default async function globalSetup(): Promise<void> {
  let infra: Infrastructure;
  const engine =
    process.env.CINDERFLOW_E2E_NO_CONTAINERS !== '1' && (await containerEngine()) !== undefined;
  if (engine) {
    const { startContainers } = await import('./containers');
    infra = await startContainers();
  } else if (containersRequired()) {
    throw new Error(
      `${REQUIRE_CONTAINERS_ENV}=1 but no container engine answers (DOCKER_HOST=${process.env.DOCKER_HOST ?? 'unset'})`,
    );
  } else {
    infra = {
      source: 'environment',
      databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    };
  }
  infra.templateDatabase = await migratedTemplate(infra.databaseUrl);
  process.env[INFRA_ENV] = JSON.stringify(infra);
  process.stdout.write(
    `\n[e2e] PostgreSQL and RabbitMQ from ${infra.source === 'testcontainers' ? 'testcontainers (published on 127.0.0.1)' : 'DATABASE_URL/AMQP_URL (no container engine answered)'}: ` +
      `${infra.databaseUrl.replace(/:[^:@/]*@/, ':***@')}, ${infra.amqpUrl.replace(/:[^:@/]*@/, ':***@')}\n`,
  );
}

/** A database with every migration applied, which each cluster's database copies. */
async function migratedTemplate(serverUrl: string): Promise<string> {
  const name = `cinderflow_e2e_template_${randomBytes(4).toString('hex')}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  // Two connections: runMigrations holds one for its lock while the migrations use another.
  const dataSource = createDataSource(url.toString(), 2);
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    // A template must have no connections when it is copied.
    await dataSource.destroy();
  }
  return name;
}
