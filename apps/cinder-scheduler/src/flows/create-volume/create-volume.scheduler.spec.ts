import { randomBytes, randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import type { DataSource } from 'typeorm';
import { loadConfig, type SchedulerConfig, schedulerSpec } from '@cinderflow/config';
import {
  type BackendCapabilities,
  Binaries,
  capabilityReportSchema,
  Destinations,
} from '@cinderflow/contracts';
import { createLogger } from '@cinderflow/logging';
import { AmqpTopology, Outbox, OutboxRelay, RpcClient } from '@cinderflow/messaging';
import {
  createDataSource,
  DEFAULT_VOLUME_TYPE_ID,
  dropDatabase,
  ensureDatabase,
  runMigrations,
  ServiceRegistry,
  VolumeEntity,
} from '@cinderflow/persistence';
import { runWithContext, systemContext } from '@cinderflow/request-context';
import { HostManager } from '../../host-manager/host-manager';
import { ReportRequests } from '../../host-manager/report-requests';
import { BackendReportsPendingError } from './backend-reports-pending.error';
import { CreateVolumeScheduler } from './create-volume.scheduler';

// Against the real PostgreSQL and RabbitMQ (DATABASE_URL, AMQP_URL; default the local ones),
// in a database and under a queue prefix of its own.
const databaseUrl = new URL(
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
);
databaseUrl.pathname = `/cinderflow_test_${randomBytes(4).toString('hex')}`;
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const topology = new AmqpTopology(`unit-${randomBytes(4).toString('hex')}.`);
const logger = createLogger('scheduler-test', { level: 'silent' });
const config: SchedulerConfig = loadConfig(schedulerSpec, {});

function capabilities(overrides: Partial<BackendCapabilities>): BackendCapabilities {
  return {
    volume_backend_name: 'file',
    vendor_name: 'cinderflow',
    driver_version: '1.0.0',
    storage_protocol: 'file',
    total_capacity_gb: 100,
    free_capacity_gb: 100,
    allocated_capacity_gb: 0,
    provisioned_capacity_gb: 0,
    reserved_percentage: 0,
    thin_provisioning_support: true,
    thick_provisioning_support: false,
    max_over_subscription_ratio: 20,
    multiattach: true,
    availability_zone: 'nova',
    ...overrides,
  };
}

describe('CreateVolumeScheduler against PostgreSQL and RabbitMQ', () => {
  let ds: DataSource;
  let rpc: RpcClient;
  let outbox: Outbox;
  let relay: OutboxRelay;
  const createQueues = new Set<string>();

  beforeAll(async () => {
    await ensureDatabase(databaseUrl.toString());
    ds = createDataSource(databaseUrl.toString(), 20);
    await ds.initialize();
    await runMigrations(ds);
    rpc = new RpcClient(amqpUrl, topology, logger);
    await rpc.waitForConnect();
    outbox = new Outbox(ds);
    relay = new OutboxRelay(ds, rpc, outbox, logger);
    relay.start();
  });

  afterAll(async () => {
    await relay.stop();
    await rpc.close();
    const connection = await amqplib.connect(amqpUrl);
    const channel = await connection.createChannel();
    for (const queue of createQueues) await channel.deleteQueue(queue);
    await channel.deleteQueue(topology.deadLetterQueue);
    await channel.deleteExchange(topology.deadLetterExchange);
    await channel.deleteExchange(topology.name(Destinations.volumeFanout()));
    await connection.close();
    await ds.destroy();
    await dropDatabase(databaseUrl.toString());
  });

  /** Backends of this test alone: live in `services`, with a queue whose casts can be counted. */
  async function backends(...names: string[]): Promise<string[]> {
    // The backends of earlier tests are out of the picture.
    await ds.query(`UPDATE services SET disabled = true WHERE "binary" = $1`, [Binaries.volume]);
    const tag = randomBytes(3).toString('hex');
    const hosts = names.map((name) => `n-${tag}@${name}`);
    for (const host of hosts) {
      await new ServiceRegistry(ds).register({
        host,
        binary: Binaries.volume,
        topic: Binaries.volume,
        availabilityZone: 'nova',
      });
      createQueues.add(topology.name(Destinations.volume(host)));
    }
    return hosts;
  }

  function report(hosts: HostManager, serviceHost: string, caps: Partial<BackendCapabilities>) {
    hosts.update(
      capabilityReportSchema.parse({
        service_host: serviceHost,
        timestamp: new Date().toISOString(),
        capabilities: capabilities({ volume_backend_name: serviceHost.split('@')[1], ...caps }),
      }),
    );
  }

  async function scheduler(hosts: HostManager): Promise<CreateVolumeScheduler> {
    const reports = new ReportRequests(rpc, logger);
    await reports.listening();
    return new CreateVolumeScheduler(ds, hosts, reports, outbox, config, logger);
  }

  async function volume(size: number, extra: Partial<VolumeEntity> = {}): Promise<string> {
    const id = randomUUID();
    await ds.manager.insert(VolumeEntity, {
      id,
      project_id: 'p',
      user_id: 'u',
      display_name: null,
      display_description: null,
      size,
      status: 'creating',
      availability_zone: 'nova',
      host: null,
      volume_type_id: DEFAULT_VOLUME_TYPE_ID,
      created_at: new Date(),
      ...extra,
    });
    return id;
  }

  function schedule(on: CreateVolumeScheduler, id: string, size: number, extraSpecs = {}) {
    return runWithContext(systemContext('unit'), () =>
      on.handle({
        request_spec: {
          volume_id: id,
          size,
          availability_zone: 'nova',
          volume_type: { id: DEFAULT_VOLUME_TYPE_ID, name: '__DEFAULT__', extra_specs: extraSpecs },
        },
        retry: { num_attempts: 1, backends: [], exc_reasons: [] },
      }),
    );
  }

  async function rows(ids: string[]): Promise<{ status: string; host: string | null }[]> {
    const found = await ds.manager.find(VolumeEntity, { where: ids.map((id) => ({ id })) });
    return found.map((v) => ({ status: v.status, host: v.host }));
  }

  async function creates(serviceHost: string): Promise<number> {
    await relay.flush(); // the casts leave with their claims' commits, through the outbox
    const connection = await amqplib.connect(amqpUrl);
    try {
      const channel = await connection.createChannel();
      const queue = topology.name(Destinations.volume(serviceHost));
      await channel.assertQueue(queue, {
        durable: true,
        arguments: { 'x-dead-letter-exchange': topology.deadLetterExchange },
      });
      return (await channel.checkQueue(queue)).messageCount;
    } finally {
      await connection.close();
    }
  }

  it('places ten concurrent creates, shared by two schedulers, only as far as the ratio allows', async () => {
    // `big` takes one 400 GiB volume (30 × 20 = 600), `small` none (15 × 20 = 300).
    const [big, small] = await backends('big', 'small');
    const schedulers = await Promise.all(
      [new HostManager(), new HostManager()].map((hosts) => {
        report(hosts, big, { total_capacity_gb: 30, free_capacity_gb: 30 });
        report(hosts, small, { total_capacity_gb: 15, free_capacity_gb: 15 });
        return scheduler(hosts);
      }),
    );
    const ids = await Promise.all(Array.from({ length: 10 }, () => volume(400)));

    await Promise.all(ids.map((id, i) => schedule(schedulers[i % 2], id, 400)));

    const result = await rows(ids);
    expect(result.filter((v) => v.status === 'creating')).toEqual([
      { status: 'creating', host: `${big}#big` },
    ]);
    expect(result.filter((v) => v.status === 'error')).toHaveLength(9);
    expect(await creates(big)).toBe(1);
    expect(await creates(small)).toBe(0);
  });

  it('keeps thick placements within free minus reserved', async () => {
    // 100 GiB free, 10 % of 100 reserved: two 40 GiB volumes fit, a third does not.
    const [thick] = await backends('thick');
    const hosts = new HostManager();
    report(hosts, thick, {
      free_capacity_gb: 100,
      reserved_percentage: 10,
      thin_provisioning_support: false,
      thick_provisioning_support: true,
      max_over_subscription_ratio: 1,
    });
    const on = await scheduler(hosts);
    const other = new HostManager();
    report(other, thick, {
      free_capacity_gb: 100,
      reserved_percentage: 10,
      thin_provisioning_support: false,
      thick_provisioning_support: true,
      max_over_subscription_ratio: 1,
    });
    const second = await scheduler(other);
    const ids = await Promise.all(Array.from({ length: 6 }, () => volume(40)));

    await Promise.all(ids.map((id, i) => schedule(i % 2 ? second : on, id, 40)));

    const result = await rows(ids);
    expect(result.filter((v) => v.host === `${thick}#thick`)).toHaveLength(2);
    expect(result.filter((v) => v.status === 'error')).toHaveLength(4);
  });

  it('counts volumes still being created, which no report shows, and takes the next-best backend', async () => {
    const [roomy, spare] = await backends('roomy', 'spare');
    const hosts = new HostManager();
    // Both reports predate the 500 GiB volume now being created on `roomy`.
    report(hosts, roomy, { total_capacity_gb: 40, free_capacity_gb: 40 });
    report(hosts, spare, { total_capacity_gb: 25, free_capacity_gb: 25 });
    await volume(500, { host: `${roomy}#roomy` });
    const on = await scheduler(hosts);
    const id = await volume(400);

    await schedule(on, id, 400);

    expect(await rows([id])).toEqual([{ status: 'creating', host: `${spare}#spare` }]);
    // What it learnt is kept for the next request.
    const pictured = hosts.backendStates(new Set([roomy]))[0].capabilities;
    expect(pictured.provisioned_capacity_gb).toBe(500);
  });

  it('does not fail a volume while a live backend has not reported; retrying is the way', async () => {
    const [full, silent] = await backends('full', 'silent');
    const hosts = new HostManager();
    report(hosts, full, { total_capacity_gb: 1, free_capacity_gb: 1 });
    const on = await scheduler(hosts);
    const id = await volume(400);

    const error = await schedule(on, id, 400).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BackendReportsPendingError);
    expect(error).toMatchObject({
      name: 'BackendReportsPendingError',
      transient: true,
      volumeId: id,
      backends: [silent],
    });
    expect((error as Error).message).toContain(`backend(s) ${silent} have not reported`);
    expect(await rows([id])).toEqual([{ status: 'creating', host: null }]);
    const messages = await ds.query('SELECT 1 FROM messages WHERE resource_uuid = $1', [id]);
    expect(messages).toHaveLength(0);

    // Once it has reported, and has no room either, the volume fails for real.
    report(hosts, silent, { total_capacity_gb: 1, free_capacity_gb: 1 });
    await schedule(on, id, 400);
    expect(await rows([id])).toEqual([{ status: 'error', host: null }]);
  });

  it('waits for backends whose heartbeat just went stale (an outage), but only one down-time', async () => {
    const [quiet] = await backends('quiet');
    // Its last heartbeat is two down-times old: the database or broker was away meanwhile.
    await ds.query(
      `UPDATE services SET updated_at = (now() AT TIME ZONE 'utc') - make_interval(secs => $2)
       WHERE host = $1`,
      [quiet, config.SERVICE_DOWN_TIME_S * 2],
    );
    const hosts = new HostManager();
    report(hosts, quiet, {});
    const on = await scheduler(hosts);
    const id = await volume(1);

    const error = await schedule(on, id, 1).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'BackendReportsPendingError', backends: [quiet] });
    expect(await rows([id])).toEqual([{ status: 'creating', host: null }]);

    // Its heartbeat is back: the retry places the volume.
    await new ServiceRegistry(ds).heartbeat(quiet, Binaries.volume);
    await schedule(on, id, 1);
    expect(await rows([id])).toEqual([{ status: 'creating', host: `${quiet}#quiet` }]);
  });

  it('gives up waiting after one down-time: the volume fails with no valid backend', async () => {
    const short = { ...config, SERVICE_DOWN_TIME_S: 1 };
    const [quiet] = await backends('gone-quiet');
    await ds.query(
      `UPDATE services SET updated_at = (now() AT TIME ZONE 'utc') - interval '5 seconds'
       WHERE host = $1`,
      [quiet],
    );
    const hosts = new HostManager();
    const reports = new ReportRequests(rpc, logger);
    await reports.listening();
    const on = new CreateVolumeScheduler(ds, hosts, reports, outbox, short, logger);
    const id = await volume(1);

    await expect(schedule(on, id, 1)).rejects.toBeInstanceOf(BackendReportsPendingError);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await schedule(on, id, 1);
    expect(await rows([id])).toEqual([{ status: 'error', host: null }]);
  });

  it('waits for reports asked for once its fanout queue is bound, not before', async () => {
    const [late] = await backends('late');
    // What every cinder-volume would hear on the volume fanout.
    const connection = await amqplib.connect(amqpUrl);
    const channel = await connection.createChannel();
    const fanout = topology.name(Destinations.volumeFanout());
    await channel.assertExchange(fanout, 'fanout', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, fanout, '');
    const requests = async () => (await channel.checkQueue(queue)).messageCount;
    try {
      const hosts = new HostManager();
      const reports = new ReportRequests(rpc, logger);
      const on = new CreateVolumeScheduler(ds, hosts, reports, outbox, config, logger);
      const id = await volume(1);

      const scheduled = schedule(on, id, 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await rows([id])).toEqual([{ status: 'creating', host: null }]);
      expect(await requests()).toBe(0);
      // The queue is bound: the request goes out, the backend answers.
      await reports.listening();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await requests()).toBe(1);
      report(hosts, late, {});
      await scheduled;

      expect(await rows([id])).toEqual([{ status: 'creating', host: `${late}#late` }]);
      // Asked once: the create did not ask again right after.
      expect(await requests()).toBe(1);
    } finally {
      await connection.close();
    }
  });
});
