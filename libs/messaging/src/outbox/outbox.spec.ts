import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { castMethod, type Destination } from '@cinderflow/contracts';
import { createLogger } from '@cinderflow/logging';
import {
  createDataSource,
  dropDatabase,
  ensureDatabase,
  outboxBacklog,
  runMigrations,
} from '@cinderflow/persistence';
import { systemContext } from '@cinderflow/request-context';
import { AmqpTopology } from '../amqp-topology';
import { RpcClient } from '../rpc-client';
import { Outbox } from './outbox';
import { OutboxRelay } from './outbox-relay';

// The real PostgreSQL and RabbitMQ (DATABASE_URL / AMQP_URL, default the local ones).
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const logger = createLogger('outbox-test', { level: 'silent' });
const topology = new AmqpTopology(`unit-${randomBytes(4).toString('hex')}.`);
const queue: Destination = { kind: 'queue', name: 'outbox-target' };
const note = castMethod('note', z.object({ n: z.number() }));
const context = systemContext('unit');

describe('Outbox and OutboxRelay', () => {
  const dbUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  dbUrl.pathname = `/cinderflow_test_${randomBytes(4).toString('hex')}`;
  let dataSource: DataSource;
  let rpc: RpcClient;
  let outbox: Outbox;
  let relay: OutboxRelay;

  beforeAll(async () => {
    await ensureDatabase(dbUrl.toString());
    dataSource = createDataSource(dbUrl.toString(), 5);
    await dataSource.initialize();
    await runMigrations(dataSource);
    rpc = new RpcClient(amqpUrl, topology, logger);
    await rpc.waitForConnect();
    outbox = new Outbox(dataSource);
    relay = new OutboxRelay(dataSource, rpc, outbox, logger, { pollMs: 60_000, batchSize: 3 });
  });

  afterAll(async () => {
    await relay.stop();
    await rpc.close();
    const connection = await amqplib.connect(amqpUrl);
    const channel = await connection.createChannel();
    await channel.deleteQueue(topology.name(queue));
    await channel.deleteQueue(topology.deadLetterQueue);
    await channel.deleteExchange(topology.deadLetterExchange);
    await connection.close();
    await dataSource.destroy();
    await dropDatabase(dbUrl.toString());
  });

  async function received(): Promise<number[]> {
    const connection = await amqplib.connect(amqpUrl);
    try {
      const channel = await connection.createChannel();
      const seen: number[] = [];
      for (
        let msg = await channel.get(topology.name(queue), { noAck: true });
        msg;
        msg = await channel.get(topology.name(queue), { noAck: true })
      ) {
        seen.push((JSON.parse(msg.content.toString()) as { payload: { n: number } }).payload.n);
      }
      return seen;
    } finally {
      await connection.close();
    }
  }

  async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (await condition()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('publishes what a committed transaction wrote, right after the commit, and forgets it', async () => {
    relay.start();
    await dataSource.transaction(async (tx) => {
      await outbox.send(tx, queue, note, { n: 1 }, context);
      await outbox.send(tx, queue, note, { n: 2 }, context);
    });
    await until(async () => (await outboxBacklog(dataSource.manager)).count === 0, 'the relay');
    expect((await received()).sort()).toEqual([1, 2]);
  });

  it('publishes nothing for a transaction that rolled back', async () => {
    await expect(
      dataSource.transaction(async (tx) => {
        await outbox.send(tx, queue, note, { n: 3 }, context);
        throw new Error('the status write failed');
      }),
    ).rejects.toThrow('the status write failed');
    await relay.flush();
    expect((await outboxBacklog(dataSource.manager)).count).toBe(0);
    expect(await received()).toEqual([]);
  });

  it('refuses a payload that breaks its contract, failing the transaction that wrote it', async () => {
    await expect(
      dataSource.transaction((tx) => outbox.send(tx, queue, note, { n: 'x' } as never, context)),
    ).rejects.toThrow();
    expect((await outboxBacklog(dataSource.manager)).count).toBe(0);
  });

  it('keeps messages while the broker is unreachable and sends them once it is back', async () => {
    await relay.stop();
    // A client whose broker never answers: publishing times out, the rows stay.
    const nowhere = new RpcClient('amqp://guest:guest@127.0.0.1:1', topology, logger, {
      publishTimeoutMs: 200,
    });
    const stuck = new OutboxRelay(dataSource, nowhere, outbox, logger, {
      pollMs: 60_000,
      batchSize: 10,
    });
    for (let n = 10; n < 15; n++) {
      await dataSource.transaction((tx) => outbox.send(tx, queue, note, { n }, context));
    }
    await stuck.flush();
    const [row] = (await dataSource.query(
      'SELECT count(*)::int AS count, min(attempts) AS attempts, min(last_error) AS error FROM outbox',
    )) as { count: number; attempts: number; error: string }[];
    expect(row).toMatchObject({ count: 5, attempts: 1 });
    expect(row.error).toContain('did not confirm note');
    await stuck.stop();
    await nowhere.close();

    // Due again after the backoff; a working relay (this batch size is 3) drains them all.
    await dataSource.query(`UPDATE outbox SET next_attempt_at = now() - interval '1 hour'`);
    relay.start();
    await relay.flush();
    await until(async () => (await outboxBacklog(dataSource.manager)).count === 0, 'the relay');
    expect((await received()).sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14]);
  });

  it('two relays draining one table publish every message exactly once', async () => {
    const second = new OutboxRelay(dataSource, rpc, outbox, logger, {
      pollMs: 60_000,
      batchSize: 3,
    });
    await relay.stop();
    for (let n = 100; n < 140; n++) {
      await dataSource.transaction((tx) => outbox.send(tx, queue, note, { n }, context));
    }
    relay.start();
    second.start();
    await Promise.all([relay.flush(), second.flush()]);
    await until(async () => (await outboxBacklog(dataSource.manager)).count === 0, 'the relays');
    await second.stop();
    const seen = await received();
    expect(seen).toHaveLength(40);
    expect(new Set(seen).size).toBe(40);
  });
});
