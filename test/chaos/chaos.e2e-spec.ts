import type { StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import type { StartedRabbitMQContainer } from '@testcontainers/rabbitmq';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { type BackendOptions, Cluster } from '../support/cluster';
import { infrastructure } from '../support/infrastructure';
import { freePort } from '../support/ports';
import { burst, type ChaosRow, renderTable, row, settle } from './burst';

// Faults on a running cluster: its own PostgreSQL and RabbitMQ (restarting the run's shared
// ones would disturb every other test file), real service processes, bursts of creates.
// `npm run chaos` runs the same scenarios at full size (CHAOS_SCALE=full) and prints the table.
const own = infrastructure().source === 'testcontainers';
if (!own) process.stdout.write('[e2e] SKIPPING the chaos suite: it needs a container engine\n');
const full = process.env.CHAOS_SCALE === 'full';
const SIZE = full ? { count: 200, concurrency: 20 } : { count: 40, concurrency: 10 };
const SETTLE_MS = 120_000;

const BACKENDS: BackendOptions[] = [
  { name: 'c1', capacityGb: 5000 },
  { name: 'c2', capacityGb: 5000 },
];

(own ? describe : describe.skip)('chaos: faults under load, nothing lost, nothing crashes', () => {
  let postgres: StartedPostgreSqlContainer | undefined;
  let broker: StartedRabbitMQContainer | undefined;
  let cluster: Cluster;
  let api: ApiClient;
  const table: ChaosRow[] = [];

  beforeAll(async () => {
    const { startPostgres, startRabbitMq } = await import('../support/containers');
    const [pgPort, mqPort] = [await freePort(), await freePort()];
    [postgres, broker] = await Promise.all([
      startPostgres({ port: pgPort, durable: true }),
      startRabbitMq(mqPort),
    ]);
    cluster = new Cluster(
      BACKENDS,
      {},
      {
        amqpUrl: `amqp://guest:guest@127.0.0.1:${mqPort}`,
        databaseServerUrl: `postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`,
      },
    );
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
  }, 180_000);

  afterAll(async () => {
    if (table.length > 0) {
      process.stdout.write(
        `\nchaos (${SIZE.count} creates, ${SIZE.concurrency} in flight per fault)\n${renderTable(table)}\n\n`,
      );
    }
    await cluster?.stop();
    await Promise.allSettled([postgres?.stop(), broker?.stop()]);
  });

  /** Runs a burst with a fault in it, waits for every volume to settle, records the row. */
  async function scenario(
    fault: string,
    name: string,
    inject: () => Promise<void>,
  ): Promise<ChaosRow> {
    const started = Date.now();
    const outcome = await burst(api, name, { ...SIZE, fault: inject });
    const settled = await settle(cluster, name, outcome.accepted, SETTLE_MS);
    const crashed = cluster.services.filter((s) => !cluster.isRunning(s));
    const result = row(fault, outcome, settled, crashed, (Date.now() - started) / 1000);
    table.push(result);
    return result;
  }

  function expectClean(result: ChaosRow): void {
    expect(result).toMatchObject({ stuck: 0, serverErrors: 0, duplicated: 0, lost: 0 });
    expect(result.crashed).toBe('none');
  }

  it('RabbitMQ restarted under a create burst: every service reconnects, every create finishes', async () => {
    const result = await scenario('RabbitMQ restarted under a burst', 'mq', () =>
      broker!.restart().then(() => undefined),
    );
    expectClean(result);
    expect(result.accepted).toBe(SIZE.count); // the API does not need the broker to accept
    expect(result.available).toBe(result.accepted);
  });

  it('PostgreSQL restarted under a create burst: 503 with Retry-After meanwhile, nothing half-written, nothing stuck', async () => {
    let healthDuringOutage = 0;
    const result = await scenario('PostgreSQL restarted under a burst', 'pg', async () => {
      const restart = postgres!.restart();
      // The API's health check says so while the database is away.
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${cluster.apiUrl}/healthcheck`).catch(() => undefined);
        if (res?.status === 503) healthDuringOutage += 1;
        await new Promise((r) => setTimeout(r, 100));
      }
      await restart;
    });
    expectClean(result);
    expect(result.accepted + result.unavailable).toBe(SIZE.count);
    expect(result.available).toBe(result.accepted);
    expect(healthDuringOutage).toBeGreaterThan(0);
    const answers = await fetch(`${cluster.apiUrl}/healthcheck`);
    expect(answers.status).toBe(200);
  });

  it('cinder-api killed with requests in flight: what was written gets done', async () => {
    const result = await scenario('cinder-api killed (-9) mid-burst', 'api', async () => {
      await cluster.stopService('cinder-api', 'SIGKILL');
      await cluster.startService(
        'cinder-api',
        'apps/cinder-api/dist/main.js',
        { API_PORT: String(cluster.apiPort) },
        'cinder-api listening',
      );
    });
    expectClean(result);
    // Rows whose answer was lost with the process are built too, not left `creating`.
    expect(result.error).toBe(0);
  });

  it('cinder-scheduler killed (-9) and restarted mid-burst: no create lost or refused for want of reports', async () => {
    const result = await scenario('cinder-scheduler killed (-9) mid-burst', 'sched', async () => {
      await cluster.stopService('cinder-scheduler', 'SIGKILL');
      await cluster.startService('cinder-scheduler', 'apps/cinder-scheduler/dist/main.js', {});
    });
    expectClean(result);
    expect(result.available).toBe(SIZE.count);
  });

  it('cinder-volume killed (-9) mid-burst: its unfinished creates are settled on restart, the rest rescheduled or done', async () => {
    const result = await scenario('cinder-volume killed (-9) mid-burst', 'vol', async () => {
      await cluster.stopService('cinder-volume@c1', 'SIGKILL');
      await cluster.startBackend(BACKENDS[0]);
    });
    expectClean(result);
    expect(result.available + result.error).toBe(result.accepted);
  });

  it('ten huge creates at once, two schedulers, room for one per backend: capacity never over-promised', async () => {
    await cluster.startService('cinder-scheduler-2', 'apps/cinder-scheduler/dist/main.js', {
      SERVICE_HOST: 'e2e-host-2',
    });
    try {
      const used = await cluster.sql<{ host: string; gb: number }>(
        `SELECT split_part(host, '#', 1) AS host, sum(size)::int AS gb FROM volumes
         WHERE deleted = false AND host IS NOT NULL GROUP BY 1`,
      );
      const free = Math.min(
        ...BACKENDS.map(
          (b) => b.capacityGb - (used.find((u) => u.host === cluster.serviceHost(b.name))?.gb ?? 0),
        ),
      );
      const size = Math.floor(free * 0.6); // one fits on each backend, never two
      const started = Date.now();
      const outcome = await burst(api, 'huge', { count: 10, concurrency: 10, size });
      const settled = await settle(cluster, 'huge', outcome.accepted, SETTLE_MS);
      const result = row(
        'ten huge creates, room for one per backend, two schedulers',
        outcome,
        settled,
        cluster.services.filter((s) => !cluster.isRunning(s)),
        (Date.now() - started) / 1000,
      );
      table.push(result);
      expectClean(result);
      expect(result).toMatchObject({
        accepted: 10,
        available: BACKENDS.length,
        error: 10 - BACKENDS.length,
      });
      const after = await cluster.sql<{ host: string; gb: number }>(
        `SELECT split_part(host, '#', 1) AS host, sum(size)::int AS gb FROM volumes
         WHERE deleted = false AND host IS NOT NULL GROUP BY 1`,
      );
      for (const backend of BACKENDS) {
        const gb = after.find((u) => u.host === cluster.serviceHost(backend.name))?.gb ?? 0;
        expect(gb).toBeLessThanOrEqual(backend.capacityGb);
      }
    } finally {
      await cluster.stopService('cinder-scheduler-2');
    }
  });

  it('every cast published twice, the copy late (duplicated and reordered): one volume per request, deletes done once', async () => {
    const dup = new Cluster(
      BACKENDS,
      {},
      {
        amqpUrl: cluster.amqpUrl,
        databaseServerUrl: cluster.databaseUrl,
        env: { FAULT_DUPLICATE_CASTS: '1' },
      },
    );
    await dup.start();
    try {
      const dupApi = new ApiClient(dup.apiUrl, PROJECT_A);
      const started = Date.now();
      const outcome = await burst(dupApi, 'dup', SIZE);
      const settled = await settle(dup, 'dup', outcome.accepted, SETTLE_MS);
      // Delete half of them, every delete_volume cast duplicated too.
      const doomed = outcome.accepted.slice(0, Math.floor(outcome.accepted.length / 2));
      for (const id of doomed) expect((await dupApi.delete(`volumes/${id}`)).status).toBe(202);
      await dup.waitFor(
        async () =>
          (
            await dup.sql<{ n: number }>(
              `SELECT count(*)::int AS n FROM volumes WHERE id = ANY($1) AND deleted = false`,
              [doomed],
            )
          )[0].n === 0,
        SETTLE_MS,
        () => 'the deletes never finished',
      );
      const crashed = dup.services.filter((s) => !dup.isRunning(s));
      const result = row(
        'every cast duplicated and reordered',
        outcome,
        settled,
        crashed,
        (Date.now() - started) / 1000,
      );
      table.push(result);
      expectClean(result);
      expect(result.available).toBe(SIZE.count);
      expect(dup.logOf('cinder-api')).toContain('fault injected: message duplicated');
      // Nothing dead-lettered: every duplicate found its work done.
      const files = await dup.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM volumes WHERE deleted = false AND display_name LIKE 'dup-%'`,
      );
      expect(files[0].n).toBe(SIZE.count - doomed.length);
    } finally {
      await dup.stop();
    }
  });
});
