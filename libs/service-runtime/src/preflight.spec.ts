import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { preflight } from './preflight';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A port nothing listens on: bound by the OS, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

describe('preflight', () => {
  jest.setTimeout(20_000);

  it('names both dependencies when neither answers, how to start them, and no password', async () => {
    const pgPort = await freePort();
    const amqpPort = await freePort();

    const problems = await preflight(
      `postgres://postgres:pg-s3cret@127.0.0.1:${pgPort}/cinderflow`,
      `amqp://guest:mq-s3cret@127.0.0.1:${amqpPort}`,
    );

    expect(problems).toHaveLength(2);
    const [pg, mq] = problems;
    expect(pg).toContain('PostgreSQL is unreachable');
    expect(pg).toContain(`postgres://postgres:***@127.0.0.1:${pgPort}/cinderflow`);
    expect(pg).toContain('pg_ctlcluster');
    expect(pg).toContain('DATABASE_URL');
    expect(mq).toContain('RabbitMQ is unreachable');
    expect(mq).toContain(`amqp://guest:***@127.0.0.1:${amqpPort}`);
    expect(mq).toContain('rabbitmq-server -detached');
    expect(mq).toContain('AMQP_URL');
    for (const problem of problems) {
      expect(problem).not.toMatch(/s3cret/);
    }
  });

  it('finds nothing wrong with the local PostgreSQL and RabbitMQ', async () => {
    await expect(preflight(DATABASE_URL, AMQP_URL)).resolves.toEqual([]);
  });

  it('reports only the dependency that is missing', async () => {
    const amqpPort = await freePort();
    const problems = await preflight(DATABASE_URL, `amqp://guest:guest@127.0.0.1:${amqpPort}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('RabbitMQ is unreachable');
  });

  it('checks only PostgreSQL for a service without a broker', async () => {
    await expect(preflight(DATABASE_URL)).resolves.toEqual([]);
    const pgPort = await freePort();
    const problems = await preflight(`postgres://postgres@127.0.0.1:${pgPort}/cinderflow`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('PostgreSQL is unreachable');
  });

  it('tells a missing database apart from a server that does not answer', async () => {
    const name = `cinderflow_missing_${randomUUID().replace(/-/g, '')}`;
    const url = new URL(DATABASE_URL);
    url.pathname = `/${name}`;

    const problems = await preflight(url.toString(), AMQP_URL);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('PostgreSQL answers at');
    expect(problems[0]).toContain(`database "${name}" does not exist`);
    expect(problems[0]).not.toContain('unreachable');
  });
});
