import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { RabbitMQContainer, type StartedRabbitMQContainer } from '@testcontainers/rabbitmq';
import type { Infrastructure } from './infrastructure';

interface Started {
  postgres: StartedPostgreSqlContainer;
  rabbitmq: StartedRabbitMQContainer;
}

const KEY = Symbol.for('cinderflow.e2e.containers');
type Holder = typeof globalThis & { [KEY]?: Started };

/** One PostgreSQL and one RabbitMQ for the whole run, published on 127.0.0.1 only. */
export async function startContainers(): Promise<Infrastructure> {
  const [postgres, rabbitmq] = await Promise.all([
    new PostgreSqlContainer('postgres:15')
      .withDatabase('postgres')
      .withUsername('postgres')
      .withPassword('postgres')
      .withCommand([
        'postgres',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ])
      .start(),
    new RabbitMQContainer('rabbitmq:3-management').start(),
  ]);
  (globalThis as Holder)[KEY] = { postgres, rabbitmq };
  const stop = () => void stopContainers();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    source: 'testcontainers',
    databaseUrl: `postgres://postgres:postgres@127.0.0.1:${postgres.getMappedPort(5432)}/postgres`,
    amqpUrl: `amqp://guest:guest@127.0.0.1:${rabbitmq.getMappedPort(5672)}`,
  };
}

export async function stopContainers(): Promise<void> {
  const started = (globalThis as Holder)[KEY];
  if (!started) return;
  (globalThis as Holder)[KEY] = undefined;
  await Promise.allSettled([started.postgres.stop(), started.rabbitmq.stop()]);
}
