import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { type BackendOptions, Cluster } from '../support/cluster';

const GiB = 1024 ** 3;
const RATIO = 20;

// Thin backends over-subscribed up to 20 times: `big` takes one 400 GiB volume (30 × 20 = 600),
// `small` none (15 × 20 = 300). Room for exactly one on the cluster.
const overSubscribed: BackendOptions[] = [
  { name: 'big', capacityGb: 30, env: { MAX_OVER_SUBSCRIPTION_RATIO: String(RATIO) } },
  { name: 'small', capacityGb: 15, env: { MAX_OVER_SUBSCRIPTION_RATIO: String(RATIO) } },
];

/** Posts all creates at once and waits until each volume is `available` or `error`. */
async function createAtOnce(api: ApiClient, count: number, size: number) {
  const posted = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      api.post('volumes', { volume: { size, name: `v${i}` } }),
    ),
  );
  expect(posted.map((r) => r.status)).toEqual(posted.map(() => 202));
  return Promise.all(
    posted.map((r) =>
      api.waitForVolume(
        r.body.volume.id as string,
        (v) => v?.status === 'available' || v?.status === 'error',
        60_000,
      ),
    ),
  );
}

/** GiB promised on a backend, by the database and by its volume files. */
async function provisioned(cluster: Cluster, backend: string) {
  const [row] = await cluster.sql<{ gb: string }>(
    `SELECT COALESCE(SUM(size), 0) AS gb FROM volumes
     WHERE NOT deleted AND split_part(host, '#', 1) = $1`,
    [cluster.serviceHost(backend)],
  );
  const dir = cluster.dataDir(backend);
  const onDisk = readdirSync(dir)
    .filter((name) => name.startsWith('volume-'))
    .reduce((sum, name) => sum + statSync(join(dir, name)).size / GiB, 0);
  return { database: Number(row.gb), onDisk };
}

async function expectOnePlacedNoneOverTheRatio(cluster: Cluster, api: ApiClient) {
  const volumes = await createAtOnce(api, 10, 400);

  const statuses = volumes.map((v) => v?.status);
  expect(statuses.filter((s) => s === 'available')).toHaveLength(1);
  expect(statuses.filter((s) => s === 'error')).toHaveLength(9);
  expect(volumes.find((v) => v?.status === 'available')?.['os-vol-host-attr:host']).toBe(
    `${cluster.serviceHost('big')}#big`,
  );
  for (const backend of overSubscribed) {
    const promised = await provisioned(cluster, backend.name);
    const limit = backend.capacityGb * RATIO;
    expect({ backend: backend.name, over: promised.database > limit }).toEqual({
      backend: backend.name,
      over: false,
    });
    expect(promised.onDisk).toBe(promised.database);
  }
}

describe('scheduler: capacity is never over-promised', () => {
  describe('one scheduler', () => {
    const cluster = new Cluster(overSubscribed);
    let api: ApiClient;

    beforeAll(async () => {
      await cluster.start();
      api = new ApiClient(cluster.apiUrl, PROJECT_A);
    });
    afterAll(() => cluster.stop());

    it('ten 400 GiB creates at once with room for one: one placed, nine error', async () => {
      await expectOnePlacedNoneOverTheRatio(cluster, api);
    });
  });

  describe('two schedulers on one queue', () => {
    const cluster = new Cluster(overSubscribed);
    let api: ApiClient;

    beforeAll(async () => {
      await cluster.start();
      await cluster.startService('cinder-scheduler-2', 'apps/cinder-scheduler/dist/main.js', {
        SERVICE_HOST: 'e2e-host-2',
      });
      api = new ApiClient(cluster.apiUrl, PROJECT_A);
    });
    afterAll(() => cluster.stop());

    it('ten 400 GiB creates at once with room for one: one placed, nine error', async () => {
      await expectOnePlacedNoneOverTheRatio(cluster, api);
      // Both took part: the placement held against the other scheduler's, not by luck.
      for (const scheduler of ['cinder-scheduler', 'cinder-scheduler-2']) {
        expect({
          scheduler,
          handled: cluster.logOf(scheduler).includes('"create_volume"'),
        }).toEqual({ scheduler, handled: true });
      }
    });
  });
});

describe('scheduler: a restarted scheduler', () => {
  // Backends report only when they start and when asked: what a restarted scheduler knows is
  // what it asked for.
  const quiet = { CAPABILITY_REPORT_INTERVAL_S: '3600' };
  const cluster = new Cluster([
    { name: 'one', capacityGb: 100, env: quiet },
    { name: 'two', capacityGb: 100, env: quiet },
  ]);
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
  });
  afterAll(() => cluster.stop());

  it('asks for reports once it can hear them, and places the creates queued meanwhile', async () => {
    await cluster.stopService('cinder-scheduler');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await api.post('volumes', { volume: { size: 1, name: `queued-${i}` } });
      expect(res.status).toBe(202);
      ids.push(res.body.volume.id as string);
    }
    const before = cluster.logOf('cinder-scheduler').length;

    await cluster.startService('cinder-scheduler', 'apps/cinder-scheduler/dist/main.js', {});

    const volumes = await Promise.all(
      ids.map((id) =>
        api.waitForVolume(id, (v) => v?.status === 'available' || v?.status === 'error', 30_000),
      ),
    );
    expect(volumes.map((v) => v?.status)).toEqual(ids.map(() => 'available'));
    const log = cluster.logOf('cinder-scheduler').slice(before);
    expect(log).toContain('asked every backend for its capabilities');
    expect(log).not.toContain('No valid backend');
  });
});
