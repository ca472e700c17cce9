import { ApiClient, PROJECT_A, PROJECT_B } from '../support/api-client';
import { Cluster } from '../support/cluster';

// Issue 13, "Quotas and limits": creates reserve and commit volumes and gigabytes (and the
// per-type resources) with the volume row; over quota is Cinder's 413; deletes give usage back.
describe('volume quotas', () => {
  const cluster = new Cluster(
    [{ name: 'disk', capacityGb: 100 }],
    {},
    {
      apiEnv: {
        QUOTA_VOLUMES: '3',
        QUOTA_GIGABYTES: '10',
        PER_VOLUME_SIZE_LIMIT: '6',
        // Cinder's defaults (the cluster's base env lifts them for tests predating quotas).
        QUOTA_SNAPSHOTS: '10',
        QUOTA_BACKUPS: '10',
        QUOTA_BACKUP_GIGABYTES: '1000',
      },
    },
  );
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
  });
  afterAll(() => cluster.stop());

  /** The project's usages, and what its live volumes add up to. */
  async function usage(project: string) {
    const rows = await cluster.sql<{ resource: string; in_use: number; reserved: number }>(
      `SELECT resource, in_use, reserved FROM quota_usages WHERE project_id = $1`,
      [project],
    );
    const live = await cluster.sql<{ n: number; gb: number }>(
      `SELECT count(*)::int AS n, coalesce(sum(size), 0)::int AS gb FROM volumes
       WHERE project_id = $1 AND NOT deleted`,
      [project],
    );
    const get = (r: string) => rows.find((x) => x.resource === r);
    return {
      volumes: get('volumes')?.in_use ?? 0,
      gigabytes: get('gigabytes')?.in_use ?? 0,
      reserved: rows.reduce((s, r) => s + r.reserved, 0),
      typeVolumes: get('volumes___DEFAULT__')?.in_use ?? 0,
      live: live[0],
    };
  }

  async function create(client: ApiClient, size: number) {
    const res = await client.post('volumes', { volume: { size } });
    if (res.status !== 202) return res;
    await client.waitForVolume(res.body.volume.id as string, (v) => v?.status === 'available');
    return res;
  }

  it("refuses a volume over per_volume_gigabytes with Cinder's VolumeSizeExceedsLimit", async () => {
    const res = await api.post('volumes', { volume: { size: 7 } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      overLimit: {
        code: 413,
        message: 'Requested volume size 7G is larger than maximum allowed limit 6G.',
      },
    });
  });

  it("counts volumes; the one over quota_volumes is Cinder's VolumeLimitExceeded", async () => {
    for (let i = 0; i < 3; i++) expect((await create(api, 1)).status).toBe(202);
    const res = await api.post('volumes', { volume: { size: 1 } });
    expect(res.status).toBe(413);
    expect(res.body.overLimit.message).toBe(
      "Maximum number of volumes allowed (3) exceeded for quota 'volumes'.",
    );
    const u = await usage(PROJECT_A);
    expect(u).toMatchObject({ volumes: 3, gigabytes: 3, reserved: 0, typeVolumes: 3 });
    expect(u.live).toEqual({ n: 3, gb: 3 });
  });

  it('a delete gives the usage back, and gigabytes are checked against what is consumed', async () => {
    const list = await api.get('volumes');
    const id = list.body.volumes[0].id as string;
    expect((await api.delete(`volumes/${id}`)).status).toBe(202);
    await api.waitForVolume(id, (v) => v === null);
    expect(await usage(PROJECT_A)).toMatchObject({ volumes: 2, gigabytes: 2 });

    // 2G consumed, quota 10G: 6G fits.
    const fits = await api.post('volumes', { volume: { size: 6 } });
    expect(fits.status).toBe(202);
    await api.waitForVolume(fits.body.volume.id as string, (v) => v?.status === 'available');
    expect((await api.delete(`volumes/${list.body.volumes[1].id as string}`)).status).toBe(202);
    await api.waitForVolume(list.body.volumes[1].id as string, (v) => v === null);
    // 2 volumes, 7G consumed: 4G more is over quota_gigabytes (10G), the count is not.
    const res = await api.post('volumes', { volume: { size: 4 } });
    expect(res.status).toBe(413);
    expect(res.body.overLimit.message).toBe(
      'Requested volume or snapshot exceeds allowed gigabytes quota. Requested 4G, quota is 10G and 7G has been consumed.',
    );
    const u = await usage(PROJECT_A);
    expect(u).toMatchObject({ volumes: 2, gigabytes: 7, reserved: 0 });
    expect(u.live).toEqual({ n: 2, gb: 7 });
  });

  it('a failed create keeps counting until deleted (Cinder commits at the API)', async () => {
    const b = new ApiClient(cluster.apiUrl, PROJECT_B);
    await cluster.sql(
      `INSERT INTO quotas (project_id, resource, hard_limit) VALUES ($1, 'gigabytes', 1000)`,
      [PROJECT_B],
    );
    await cluster.sql(
      `INSERT INTO quotas (project_id, resource, hard_limit) VALUES ($1, 'per_volume_gigabytes', -1)`,
      [PROJECT_B],
    );
    // No backend has 500G: the volume ends in error.
    const res = await b.post('volumes', { volume: { size: 500 } });
    expect(res.status).toBe(202);
    const id = res.body.volume.id as string;
    await b.waitForVolume(id, (v) => v?.status === 'error');
    expect(await usage(PROJECT_B)).toMatchObject({ volumes: 1, gigabytes: 500, reserved: 0 });
    expect((await b.delete(`volumes/${id}`)).status).toBe(202);
    await b.waitForVolume(id, (v) => v === null);
    const u = await usage(PROJECT_B);
    expect(u).toMatchObject({ volumes: 0, gigabytes: 0, reserved: 0 });
    expect(u.live).toEqual({ n: 0, gb: 0 });
  });

  it("GET limits: the project's absolute limits and what it uses (Cinder's view + used_limits)", async () => {
    const res = await api.get('limits');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      limits: {
        rate: [],
        absolute: {
          maxTotalVolumes: 3,
          maxTotalVolumeGigabytes: 10,
          maxTotalSnapshots: 10,
          maxTotalBackups: 10,
          maxTotalBackupGigabytes: 1000,
          totalVolumesUsed: 2,
          totalGigabytesUsed: 7,
          totalSnapshotsUsed: 0,
          totalBackupsUsed: 0,
          totalBackupGigabytesUsed: 0,
        },
      },
    });
  });

  it('os-quota-sets: defaults, show, and show with usage (Cinder quotas.py)', async () => {
    const defaults = await api.get(`os-quota-sets/${PROJECT_A}/defaults`);
    expect(defaults.status).toBe(200);
    expect(defaults.body).toEqual({
      quota_set: {
        id: PROJECT_A,
        volumes: 3,
        snapshots: 10,
        gigabytes: 10,
        backups: 10,
        backup_gigabytes: 1000,
        groups: 10,
        per_volume_gigabytes: 6,
        volumes___DEFAULT__: -1,
        gigabytes___DEFAULT__: -1,
        snapshots___DEFAULT__: -1,
      },
    });
    // PROJECT_B has its own gigabytes and per_volume_gigabytes.
    const show = await api.get(`os-quota-sets/${PROJECT_B}`);
    expect(show.body.quota_set).toEqual({
      ...defaults.body.quota_set,
      id: PROJECT_B,
      gigabytes: 1000,
      per_volume_gigabytes: -1,
    });
    const withUsage = await api.get(`os-quota-sets/${PROJECT_A}?usage=True`);
    expect(withUsage.body.quota_set).toMatchObject({
      id: PROJECT_A,
      volumes: { limit: 3, in_use: 2, reserved: 0 },
      gigabytes: { limit: 10, in_use: 7, reserved: 0 },
      volumes___DEFAULT__: { limit: -1, in_use: 2, reserved: 0 },
      snapshots: { limit: 10, in_use: 0, reserved: 0 },
    });
  });
});
