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
  process.env[INFRA_ENV] = JSON.stringify(infra);
  process.stdout.write(
    `\n[e2e] PostgreSQL and RabbitMQ from ${infra.source === 'testcontainers' ? 'testcontainers (published on 127.0.0.1)' : 'DATABASE_URL/AMQP_URL (no container engine answered)'}: ` +
      `${infra.databaseUrl.replace(/:[^:@/]*@/, ':***@')}, ${infra.amqpUrl.replace(/:[^:@/]*@/, ':***@')}\n`,
  );
}
