import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiClient, PROJECT_A, PROJECT_B } from '../support/api-client';
import { CINDER_QUOTA_ENV, Cluster } from '../support/cluster';

const ROOT = join(__dirname, '..', '..');
const PROJECT_C = 'c1b2c3d4e5f60718293a4b5c6d7e8f90';

// Issue 13, "Quotas and limits": quotas are updated, deleted and defaulted through the API
// (Cinder's os-quota-sets and os-quota-class-sets), with Cinder's real defaults (10 volumes,
// 1000 GB), not the unlimited ones the other suites run with; expired reservations are rolled
// back by cinder-scheduler; cinder-manage recounts usage.
describe('quota sets and quota classes', () => {
  const cluster = new Cluster(
    [{ name: 'disk', capacityGb: 100 }],
    {},
    {
      apiEnv: CINDER_QUOTA_ENV,
      env: { RESERVATION_CLEAN_INTERVAL_S: '1' },
    },
  );
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
  });
  afterAll(() => cluster.stop());

  async function create(client: ApiClient, size: number) {
    const res = await client.post('volumes', { volume: { size } });
    if (res.status === 202) {
      await client.waitForVolume(res.body.volume.id as string, (v) => v?.status === 'available');
    }
    return res;
  }
  const put = (client: ApiClient, path: string, body: unknown) => client.request('PUT', path, body);

  it('starts from Cinder’s defaults', async () => {
    const show = await api.get(`os-quota-sets/${PROJECT_A}`);
    expect(show.body.quota_set).toMatchObject({
      volumes: 10,
      gigabytes: 1000,
      snapshots: 10,
      backups: 10,
      backup_gigabytes: 1000,
      groups: 10,
      per_volume_gigabytes: -1,
    });
  });

  it('PUT sets a project’s limits; creating over the new limit is 413', async () => {
    const res = await put(api, `os-quota-sets/${PROJECT_A}`, { quota_set: { volumes: 2 } });
    expect(res.status).toBe(200);
    // The updated set, without an id (Cinder's update returns _get_quotas as it is).
    expect(res.body).toEqual({
      quota_set: {
        volumes: 2,
        snapshots: 10,
        gigabytes: 1000,
        backups: 10,
        backup_gigabytes: 1000,
        groups: 10,
        per_volume_gigabytes: -1,
        volumes___DEFAULT__: -1,
        gigabytes___DEFAULT__: -1,
        snapshots___DEFAULT__: -1,
      },
    });
    expect((await create(api, 1)).status).toBe(202);
    expect((await create(api, 1)).status).toBe(202);
    const over = await api.post('volumes', { volume: { size: 1 } });
    expect(over.status).toBe(413);
    expect(over.body).toEqual({
      overLimit: {
        code: 413,
        message: "Maximum number of volumes allowed (2) exceeded for quota 'volumes'.",
      },
    });
  });

  it('refuses a limit below what is used, unless it is -1', async () => {
    const res = await put(api, `os-quota-sets/${PROJECT_A}`, { quota_set: { volumes: 1 } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      badRequest: {
        code: 400,
        message:
          'Quota volumes limit must be equal or greater than existing resources. Current usage is 2 and the requested limit is 1.',
      },
    });
    // Nothing of a refused set is written.
    const both = await put(api, `os-quota-sets/${PROJECT_A}`, {
      quota_set: { gigabytes: 500, volumes: 1 },
    });
    expect(both.status).toBe(400);
    expect((await api.get(`os-quota-sets/${PROJECT_A}`)).body.quota_set).toMatchObject({
      volumes: 2,
      gigabytes: 1000,
    });
    const unlimited = await put(api, `os-quota-sets/${PROJECT_A}`, {
      quota_set: { volumes: -1 },
    });
    expect(unlimited.status).toBe(200);
    expect(unlimited.body.quota_set.volumes).toBe(-1);
  });

  it('per_volume_gigabytes and per-type limits', async () => {
    // per_volume_gigabytes is never compared with what is used.
    const perVolume = await put(api, `os-quota-sets/${PROJECT_A}`, {
      quota_set: { per_volume_gigabytes: 4, gigabytes___DEFAULT__: 5 },
    });
    expect(perVolume.status).toBe(200);
    const tooBig = await api.post('volumes', { volume: { size: 5 } });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.overLimit.message).toBe(
      'Requested volume size 5G is larger than maximum allowed limit 4G.',
    );
    const overType = await api.post('volumes', { volume: { size: 4 } });
    expect(overType.status).toBe(413);
    expect(overType.body.overLimit.message).toBe(
      'Requested volume or snapshot exceeds allowed gigabytes___DEFAULT__ quota. Requested 4G, quota is 5G and 2G has been consumed.',
    );
    expect((await create(api, 3)).status).toBe(202);
  });

  it.each([
    [
      { quota_set: { volumes: 1, bogus: 2, other: 3 } },
      'Invalid input received: Bad key(s) in quota set: bogus, other',
    ],
    [{ quota_set: { volumes: -2 } }, 'volumes must be >= -1'],
    [{ quota_set: { volumes: 'x' } }, 'volumes must be an integer'],
    [{ quota_set: { volumes: 2147483648 } }, 'volumes must be <= 2147483647'],
    [
      { quota_set: {} },
      'Invalid input for field/attribute quota_set. Value: {}. {} does not have enough properties',
    ],
    [{ volumes: 1 }, "'quota_set' is a required property"],
  ])('PUT %j is 400: %s', async (body, message) => {
    const res = await put(api, `os-quota-sets/${PROJECT_A}`, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message } });
  });

  it('DELETE forgets the project’s limits (defaults again) and keeps its usage', async () => {
    const res = await api.delete(`os-quota-sets/${PROJECT_A}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    const show = await api.get(`os-quota-sets/${PROJECT_A}?usage=True`);
    expect(show.body.quota_set).toMatchObject({
      volumes: { limit: 10, in_use: 3, reserved: 0 },
      gigabytes: { limit: 1000, in_use: 5, reserved: 0 },
      per_volume_gigabytes: { limit: -1 },
      gigabytes___DEFAULT__: { limit: -1, in_use: 5 },
    });
  });

  it('the default quota class is the default of every project without its own limit', async () => {
    const shown = await api.get('os-quota-class-sets/default');
    expect(shown.status).toBe(200);
    expect(shown.body.quota_class_set).toMatchObject({
      id: 'default',
      volumes: 10,
      gigabytes: 1000,
    });

    await put(api, `os-quota-sets/${PROJECT_B}`, { quota_set: { volumes: 6 } });
    const updated = await put(api, 'os-quota-class-sets/default', {
      quota_class_set: { volumes: 1, gigabytes: '40' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({
      quota_class_set: {
        volumes: 1,
        snapshots: 10,
        gigabytes: 40,
        backups: 10,
        backup_gigabytes: 1000,
        groups: 10,
        per_volume_gigabytes: -1,
        volumes___DEFAULT__: -1,
        gigabytes___DEFAULT__: -1,
        snapshots___DEFAULT__: -1,
      },
    });
    expect((await api.get(`os-quota-sets/${PROJECT_C}/defaults`)).body.quota_set).toMatchObject({
      id: PROJECT_C,
      volumes: 1,
      gigabytes: 40,
    });
    // PROJECT_B keeps its own volumes limit, and takes the class's gigabytes.
    expect((await api.get(`os-quota-sets/${PROJECT_B}`)).body.quota_set).toMatchObject({
      volumes: 6,
      gigabytes: 40,
    });
    const c = api.asProject(PROJECT_C);
    expect((await create(c, 1)).status).toBe(202);
    const over = await c.post('volumes', { volume: { size: 1 } });
    expect(over.status).toBe(413);
    expect(over.body.overLimit.message).toBe(
      "Maximum number of volumes allowed (1) exceeded for quota 'volumes'.",
    );
    // Another class falls back to the default class.
    expect((await api.get('os-quota-class-sets/gold')).body.quota_class_set).toMatchObject({
      id: 'gold',
      volumes: 1,
    });
    const refused = await put(api, 'os-quota-class-sets/default', {
      quota_class_set: { bogus: 1 },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.badRequest.message).toBe(
      'Invalid input received: Bad key(s) in quota class set: bogus',
    );
    await put(api, 'os-quota-class-sets/default', {
      quota_class_set: { volumes: 10, gigabytes: 1000 },
    });
  });

  it('cinder-scheduler rolls back reservations past their expiry', async () => {
    // A reservation whose owner died a day ago: 4 volumes held in reserve.
    await cluster.sql(
      `INSERT INTO quota_usages (project_id, resource, in_use, reserved) VALUES ($1, 'volumes', 0, 4)`,
      [PROJECT_B],
    );
    await cluster.sql(
      `INSERT INTO reservations (uuid, usage_id, project_id, resource, delta, expire)
       SELECT gen_random_uuid(), id, project_id, resource, 4, (now() AT TIME ZONE 'utc') - interval '1 hour'
       FROM quota_usages WHERE project_id = $1 AND resource = 'volumes'`,
      [PROJECT_B],
    );
    const b = api.asProject(PROJECT_B);
    const deadline = Date.now() + 15_000;
    let reserved = -1;
    while (Date.now() < deadline) {
      const show = await b.get(`os-quota-sets/${PROJECT_B}?usage=True`);
      reserved = show.body.quota_set.volumes.reserved as number;
      if (reserved === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(reserved).toBe(0);
    expect(
      await cluster.sql(`SELECT 1 FROM reservations WHERE project_id = $1`, [PROJECT_B]),
    ).toEqual([]);
  });

  it('cinder-manage quota check finds drift, sync fixes it', async () => {
    const manage = (...args: string[]) =>
      promisify(execFile)(
        process.execPath,
        [join(ROOT, 'apps/cinder-manage/dist/main.js'), ...args],
        {
          env: { PATH: process.env.PATH, DATABASE_URL: cluster.databaseUrl },
          timeout: 30_000,
        },
      ).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
    // Drift, as a crash between a volume's row and its usage could leave it.
    await cluster.sql(
      `UPDATE quota_usages SET in_use = 9 WHERE project_id = $1 AND resource = 'volumes'`,
      [PROJECT_A],
    );
    const check = await manage('quota', 'check', '--project-id', PROJECT_A);
    expect(check).toEqual({
      code: 1,
      stdout: `Processing quota usage for project ${PROJECT_A}\n\tvolumes: invalid usage saved=9 actual=3\nAction successfully completed\n`,
    });
    const sync = await manage('quota', 'sync', '--project-id', PROJECT_A);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toContain('\tvolumes: invalid usage saved=9 actual=3 - fixed\n');
    expect(await manage('quota', 'check')).toMatchObject({ code: 0 });
    const show = await api.get(`os-quota-sets/${PROJECT_A}?usage=True`);
    expect(show.body.quota_set.volumes).toEqual({ limit: 10, in_use: 3, reserved: 0 });
    expect(await manage('quota', 'check', '--project-id', 'nobody')).toEqual({
      code: 0,
      stdout:
        'Project id nobody has no quota usage. Nothing to do.\nAction successfully completed\n',
    });
  });
});
