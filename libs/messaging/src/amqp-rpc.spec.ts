import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { z } from 'zod';
import { callMethod, castMethod, type Destination } from '@cinderflow/contracts';
import { createLogger } from '@cinderflow/logging';
import { currentContext, type RequestContext, systemContext } from '@cinderflow/request-context';
import { AmqpServer } from './amqp-server';
import { AmqpTopology } from './amqp-topology';
import { RpcClient } from './rpc-client';
import { BrokerUnavailableError, RemoteError, RpcTimeoutError } from './rpc-errors';
import { CONTRACT_EXTRA, deadLetterPattern } from './rpc-handler.decorator';
import { RetryLaterError } from './transient';

// Against the real broker (AMQP_URL, default the local RabbitMQ), under a prefix of its own.
const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const topology = new AmqpTopology(`unit-${randomBytes(4).toString('hex')}.`);
const logger = createLogger('messaging-test', { level: 'silent' });
const queue: Destination = { kind: 'queue', name: 'worker' };

const echo = callMethod(
  'echo',
  z.object({ text: z.string() }),
  z.object({ text: z.string(), requestId: z.string() }),
  5000,
);
const explode = callMethod('explode', z.object({}), z.null(), 5000);
const record = castMethod('record', z.object({ n: z.number() }));
const flaky = castMethod('flaky', z.object({ n: z.number() }));
const outage = castMethod('outage', z.object({ n: z.number() }));
const slow = castMethod('slow', z.object({ n: z.number() }));

describe('AmqpServer and RpcClient on RabbitMQ', () => {
  const server = new AmqpServer({
    url,
    topology,
    destinations: [queue],
    prefetch: 5,
    owner: 'unit',
    logger,
  });
  const client = new RpcClient(url, topology, logger);
  const context: RequestContext = { ...systemContext('unit'), projectId: 'p1' };
  const recorded: { n: number; ctx?: RequestContext; redelivered: boolean }[] = [];
  let flakyCalls = 0;
  let outageCalls = 0;
  const outageDone: number[] = [];
  const settled: unknown[] = [];
  const slowRuns: { n: number; start: number; end: number }[] = [];

  const handle = (
    method: { name: string; payload: z.ZodTypeAny; kind: 'cast' | 'call' },
    fn: (data: never, ctx: never) => unknown,
  ) =>
    server.addHandler(method.name, fn as never, method.kind === 'cast', {
      [CONTRACT_EXTRA]: method,
    });

  beforeAll(async () => {
    handle(echo, (data: { text: string }) => ({
      text: data.text,
      requestId: currentContext()?.requestId ?? '',
    }));
    handle(explode, () => {
      throw new Error('kaboom');
    });
    handle(record, (data: { n: number }, ctx: { redelivered: boolean }) => {
      recorded.push({ n: data.n, ctx: currentContext(), redelivered: ctx.redelivered });
    });
    handle(flaky, () => {
      flakyCalls += 1;
      throw new Error('always fails');
    });
    server.addHandler(deadLetterPattern(flaky.name), ((letter: unknown) => {
      settled.push(letter);
    }) as never);
    handle(outage, (data: { n: number }) => {
      outageCalls += 1;
      // The database is "away" for the first three runs.
      if (outageCalls <= 3) throw new RetryLaterError('PostgreSQL is unreachable');
      outageDone.push(data.n);
    });
    handle(slow, async (data: { n: number }) => {
      const start = Date.now();
      await new Promise((r) => setTimeout(r, 100));
      slowRuns.push({ n: data.n, start, end: Date.now() });
    });
    await new Promise<void>(
      (resolve, reject) => void server.listen((e?: unknown) => (e ? reject(e) : resolve())),
    );
    await client.waitForConnect();
  });

  afterAll(async () => {
    await client.close();
    await server.close();
    const connection = await amqplib.connect(url);
    const channel = await connection.createChannel();
    await channel.deleteQueue(topology.name(queue));
    await channel.deleteQueue(topology.deadLetterQueue);
    await channel.deleteExchange(topology.deadLetterExchange);
    await connection.close();
  });

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
    if (!condition()) throw new Error(`timed out waiting for ${what}`);
  }

  async function deadLetters(): Promise<string[]> {
    const connection = await amqplib.connect(url);
    try {
      const channel = await connection.createChannel();
      const bodies: string[] = [];
      for (
        let msg = await channel.get(topology.deadLetterQueue, { noAck: true });
        msg;
        msg = await channel.get(topology.deadLetterQueue, { noAck: true })
      ) {
        bodies.push(msg.content.toString());
      }
      return bodies;
    } finally {
      await connection.close();
    }
  }

  it("a call returns the reply, with the caller's request context restored on the other side", async () => {
    await expect(client.call(queue, echo, { text: 'hi' }, { context })).resolves.toEqual({
      text: 'hi',
      requestId: context.requestId,
    });
  });

  it('a call to a failing handler rejects with the remote error', async () => {
    const error = await client.call(queue, explode, {}, { context }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ message: 'kaboom', method: 'explode' });
  });

  it('a call nobody answers times out with a clear error', async () => {
    const nowhere: Destination = { kind: 'queue', name: 'nobody-home' };
    const error = await client
      .call(nowhere, echo, { text: 'x' }, { context, timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcTimeoutError);
    expect((error as Error).message).toContain(
      `Timed out after 300 ms waiting for a reply to echo from ${topology.name(nowhere)}`,
    );
    const connection = await amqplib.connect(url);
    await (await connection.createChannel()).deleteQueue(topology.name(nowhere));
    await connection.close();
  });

  it('a cast is delivered with its context, and refuses a payload that breaks its contract before sending', async () => {
    await client.cast(queue, record, { n: 1 }, context);
    await until(() => recorded.length === 1, 'the cast');
    expect(recorded[0]).toMatchObject({
      n: 1,
      redelivered: false,
      ctx: { requestId: context.requestId, projectId: 'p1' },
    });
    await expect(client.cast(queue, record, { n: 'one' } as never, context)).rejects.toThrow();
  });

  it('a failing cast handler gets one retry, then the message is dead-lettered', async () => {
    await client.cast(queue, flaky, { n: 7 }, context);
    await until(() => flakyCalls === 2, 'the retry');
    await new Promise((r) => setTimeout(r, 300));
    expect(flakyCalls).toBe(2);
    const dead = await deadLetters();
    expect(dead.map((b) => (JSON.parse(b) as { method: string }).method)).toContain('flaky');
  });

  it('a failed cast is settled by its dead-letter handler, with the payload and the reason', () => {
    expect(settled).toContainEqual({ payload: { n: 7 }, reason: 'always fails' });
  });

  it('a handler failing for a transient reason waits with backoff and runs again until it succeeds', async () => {
    await client.cast(queue, outage, { n: 5 }, context);
    await until(() => outageDone.length === 1, 'the outage to pass');
    expect(outageCalls).toBe(4);
    expect(
      (await deadLetters()).map((b) => (JSON.parse(b) as { method: string }).method),
    ).not.toContain('outage');
  });

  it('duplicates of a message run one after the other, different messages side by side', async () => {
    await Promise.all([
      client.cast(queue, slow, { n: 1 }, context),
      client.cast(queue, slow, { n: 1 }, context),
      client.cast(queue, slow, { n: 2 }, context),
    ]);
    await until(() => slowRuns.length === 3, 'three runs');
    const [a, b] = slowRuns.filter((r) => r.n === 1);
    expect(b.start).toBeGreaterThanOrEqual(a.end);
    const other = slowRuns.find((r) => r.n === 2)!;
    expect(other.start).toBeLessThan(a.end);
  });

  it('a call waiting on a connection that drops fails at once, not at its timeout', async () => {
    const nowhere: Destination = { kind: 'queue', name: 'nobody-home-2' };
    const started = Date.now();
    const pending = client
      .call(nowhere, echo, { text: 'x' }, { context, timeoutMs: 20_000 })
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    const connection = (
      client as unknown as { connection: { connection?: { close(): Promise<void> } } }
    ).connection.connection;
    await connection?.close();
    const error = await pending;
    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect(Date.now() - started).toBeLessThan(5_000);
    await client.waitForConnect();
    await expect(client.call(queue, echo, { text: 'back' }, { context })).resolves.toMatchObject({
      text: 'back',
    });
    const cleanup = await amqplib.connect(url);
    await (await cleanup.createChannel()).deleteQueue(topology.name(nowhere));
    await cleanup.close();
  }, 20_000);

  it('a message that breaks its contract on arrival is dead-lettered without reaching the handler', async () => {
    const connection = await amqplib.connect(url);
    const channel = await connection.createConfirmChannel();
    const body = {
      method: 'record',
      context: {
        request_id: 'req-x',
        user_id: 'u',
        project_id: 'p',
        roles: [],
        is_admin: false,
        sent_at: '',
      },
      payload: { n: 'nope' },
    };
    channel.sendToQueue(topology.name(queue), Buffer.from(JSON.stringify(body)));
    await channel.waitForConfirms();
    await connection.close();
    let dead: string[] = [];
    for (let i = 0; i < 40 && dead.length === 0; i++) {
      dead = await deadLetters();
      if (dead.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(dead.map((b) => (JSON.parse(b) as { payload: unknown }).payload)).toContainEqual({
      n: 'nope',
    });
    expect(recorded.map((r) => r.n)).not.toContain('nope');
  });
});
