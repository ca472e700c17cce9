/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON picked apart per test */
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';

// Issue 13, "Quotas and limits": everything else that consumes quota. Snapshots and backups
// reserve and commit at the API with their rows and give usage back where their rows are
// deleted; extend and retype reserve at the API and cinder-volume commits (or rolls back) with
// the end of the work. After every step the usage Cinder shows (os-quota-sets ?usage=True) is
// what exists, with nothing left reserved.
describe('quotas of snapshots, backups, extend and retype', () => {
  const backend = { name: 'disk', capacityGb: 12 };
  const cluster = new Cluster(
    [backend],
    {},
    {
      apiEnv: {
        QUOTA_VOLUMES: '10',
        QUOTA_GIGABYTES: '40',
        QUOTA_SNAPSHOTS: '2',
        QUOTA_BACKUPS: '2',
        QUOTA_BACKUP_GIGABYTES: '3',
      },
    },
  );
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
    for (const [name, where] of [
      ['gold', 'disk'],
      ['elsewhere', 'nowhere'],
    ]) {
      const res = await api.post('types', {
        volume_type: { name, extra_specs: { volume_backend_name: where } },
      });
      expect(res.status).toBe(200);
    }
  }, 60_000);
  afterAll(() => cluster.stop());

  const action = (id: string, body: unknown) => api.post(`volumes/${id}/action`, body);

  /** os-quota-sets with usage: resource → { limit, in_use, reserved }. */
  async function quota(): Promise<
    Record<string, { limit: number; in_use: number; reserved: number }>
  > {
    const res = await api.get(`os-quota-sets/${PROJECT_A}?usage=True`);
    expect(res.status).toBe(200);
    const { id: _id, ...rest } = res.body.quota_set as Record<string, any>;
    return rest;
  }

  /**
   * What the project's live rows add up to, per resource, as Cinder counts them (gigabytes:
   * volumes and snapshots; per-type resources by the volume's type).
   */
  async function truth(): Promise<Record<string, number>> {
    const vols = await cluster.sql<{ type: string; n: number; gb: number }>(
      `SELECT t.name AS type, count(*)::int AS n, sum(v.size)::int AS gb
       FROM volumes v JOIN volume_types t ON t.id = v.volume_type_id
       WHERE v.project_id = $1 AND NOT v.deleted GROUP BY t.name`,
      [PROJECT_A],
    );
    const snaps = await cluster.sql<{ type: string; n: number; gb: number }>(
      `SELECT t.name AS type, count(*)::int AS n, sum(s.volume_size)::int AS gb
       FROM snapshots s JOIN volumes v ON v.id = s.volume_id
       JOIN volume_types t ON t.id = v.volume_type_id
       WHERE s.project_id = $1 AND NOT s.deleted GROUP BY t.name`,
      [PROJECT_A],
    );
    const [backups] = await cluster.sql<{ n: number; gb: number }>(
      `SELECT count(*)::int AS n, coalesce(sum(size), 0)::int AS gb FROM backups
       WHERE project_id = $1 AND NOT deleted`,
      [PROJECT_A],
    );
    const out: Record<string, number> = {
      volumes: 0,
      gigabytes: 0,
      snapshots: 0,
      backups: backups.n,
      backup_gigabytes: backups.gb,
    };
    for (const t of ['__DEFAULT__', 'gold', 'elsewhere']) {
      for (const r of ['volumes', 'gigabytes', 'snapshots']) out[`${r}_${t}`] = 0;
    }
    const add = (r: string, n: number) => (out[r] += n);
    for (const v of vols) {
      add('volumes', v.n);
      add('gigabytes', v.gb);
      add(`volumes_${v.type}`, v.n);
      add(`gigabytes_${v.type}`, v.gb);
    }
    for (const s of snaps) {
      add('snapshots', s.n);
      add('gigabytes', s.gb);
      add(`snapshots_${s.type}`, s.n);
      add(`gigabytes_${s.type}`, s.gb);
    }
    return out;
  }

  /** Every in_use is what exists, and nothing is left reserved. */
  async function expectConsistent(): Promise<Record<string, number>> {
    const [q, t] = [await quota(), await truth()];
    const inUse = Object.fromEntries(Object.keys(t).map((r) => [r, q[r]?.in_use]));
    expect(inUse).toEqual(t);
    const reserved = Object.entries(q).filter(([, u]) => u.reserved !== 0);
    expect(reserved).toEqual([]);
    return t;
  }

  async function volume(size: number, type?: string): Promise<string> {
    const res = await api.post('volumes', { volume: { size, volume_type: type } });
    expect(res.status).toBe(202);
    const id = res.body.volume.id as string;
    await api.waitForVolume(id, (v) => v?.status === 'available');
    return id;
  }

  async function waitFor(path: string, key: string, done: (r: any) => boolean): Promise<any> {
    let last: any = null;
    await cluster.waitFor(
      async () => {
        const res = await api.get(path);
        last = res.status === 404 ? null : res.body[key];
        return done(last);
      },
      60_000,
      () => `${path} never settled: ${JSON.stringify(last)}`,
    );
    return last;
  }

  async function snapshot(volumeId: string) {
    const res = await api.post('snapshots', { snapshot: { volume_id: volumeId } });
    if (res.status !== 202) return res;
    await waitFor(
      `snapshots/${res.body.snapshot.id as string}`,
      'snapshot',
      (s) => s?.status === 'available',
    );
    return res;
  }

  async function backup(volumeId: string) {
    const res = await api.post('backups', { backup: { volume_id: volumeId } });
    if (res.status !== 202) return res;
    await waitFor(
      `backups/${res.body.backup.id as string}`,
      'backup',
      (b) => b?.status === 'available',
    );
    await api.waitForVolume(volumeId, (v) => v?.status === 'available');
    return res;
  }

  async function remove(kind: 'volumes' | 'snapshots' | 'backups', id: string) {
    expect((await api.delete(`${kind}/${id}`)).status).toBe(202);
    const key = kind.slice(0, -1);
    await waitFor(`${kind}/${id}`, key, (r) => r === null);
  }

  function overLimit(res: { status: number; body: any }, message: string) {
    expect({ status: res.status, body: res.body }).toEqual({
      status: 413,
      body: { overLimit: { code: 413, message } },
    });
  }

  let v2: string;
  const snaps: string[] = [];

  it('snapshots count in snapshots, gigabytes and the type resources; over quota is 413', async () => {
    v2 = await volume(2);
    snaps.push((await snapshot(v2)).body.snapshot.id as string);
    let q = await quota();
    expect(q.snapshots).toMatchObject({ limit: 2, in_use: 1, reserved: 0 });
    expect(q.gigabytes).toMatchObject({ in_use: 4, reserved: 0 });
    expect(q.snapshots___DEFAULT__).toMatchObject({ in_use: 1 });
    expect(q.gigabytes___DEFAULT__).toMatchObject({ in_use: 4 });

    // gigabytes over (a project quota of 5G, 4G consumed).
    await cluster.sql(
      `INSERT INTO quotas (project_id, resource, hard_limit) VALUES ($1, 'gigabytes', 5)`,
      [PROJECT_A],
    );
    overLimit(
      await api.post('snapshots', { snapshot: { volume_id: v2 } }),
      'Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is 5G and 4G has been consumed.',
    );
    await cluster.sql(`DELETE FROM quotas WHERE project_id = $1 AND resource = 'gigabytes'`, [
      PROJECT_A,
    ]);

    snaps.push((await snapshot(v2)).body.snapshot.id as string);
    overLimit(
      await api.post('snapshots', { snapshot: { volume_id: v2 } }),
      'Maximum number of snapshots allowed (2) exceeded',
    );
    q = await quota();
    expect(q.snapshots).toMatchObject({ in_use: 2, reserved: 0 });
    expect(q.gigabytes).toMatchObject({ in_use: 6, reserved: 0 });
    await expectConsistent();

    await remove('snapshots', snaps.pop()!);
    q = await quota();
    expect(q.snapshots).toMatchObject({ in_use: 1, reserved: 0 });
    expect(q.gigabytes).toMatchObject({ in_use: 4, reserved: 0 });
    await expectConsistent();
  });

  it("backups count in backups and backup_gigabytes; over quota is 413 with Cinder's messages", async () => {
    const first = await backup(v2);
    expect(first.status).toBe(202);
    let q = await quota();
    expect(q.backups).toMatchObject({ limit: 2, in_use: 1, reserved: 0 });
    expect(q.backup_gigabytes).toMatchObject({ limit: 3, in_use: 2, reserved: 0 });
    overLimit(
      await api.post('backups', { backup: { volume_id: v2 } }),
      'Requested backup exceeds allowed Backup gigabytes quota. Requested 2G, quota is 3G and 2G has been consumed.',
    );
    const v1 = await volume(1);
    const second = await backup(v1);
    expect(second.status).toBe(202);
    overLimit(
      await api.post('backups', { backup: { volume_id: v1 } }),
      'Requested backup exceeds allowed Backup gigabytes quota. Requested 1G, quota is 3G and 3G has been consumed.',
    );
    await remove('backups', first.body.backup.id as string);
    q = await quota();
    expect(q.backups).toMatchObject({ in_use: 1, reserved: 0 });
    expect(q.backup_gigabytes).toMatchObject({ in_use: 1, reserved: 0 });
    expect((await backup(v1)).status).toBe(202);
    // backups over, backup_gigabytes not (3 of 3G): BackupLimitExceeded.
    overLimit(
      await api.post('backups', { backup: { volume_id: v1 } }),
      'Maximum number of backups allowed (2) exceeded',
    );
    await expectConsistent();
    await remove('volumes', v1);
    await expectConsistent();
  });

  it('extend reserves the growth and commits it with the new size; refusals take nothing', async () => {
    const before = (await quota()).gigabytes;
    expect((await action(v2, { 'os-extend': { new_size: 3 } })).status).toBe(202);
    await api.waitForVolume(v2, (v) => v?.size === 3 && v.status === 'available');
    let q = await quota();
    expect(q.gigabytes).toMatchObject({ in_use: before.in_use + 1, reserved: 0 });
    expect(q.gigabytes___DEFAULT__).toMatchObject({ in_use: before.in_use + 1, reserved: 0 });
    await expectConsistent();

    // Over quota_gigabytes (40G).
    const consumed = q.gigabytes.in_use;
    overLimit(
      await action(v2, { 'os-extend': { new_size: 100 } }),
      `Requested volume or snapshot exceeds allowed gigabytes quota. Requested 97G, quota is 40G and ${consumed}G has been consumed.`,
    );
    // Over per_volume_gigabytes.
    await cluster.sql(
      `INSERT INTO quotas (project_id, resource, hard_limit) VALUES ($1, 'per_volume_gigabytes', 10)`,
      [PROJECT_A],
    );
    overLimit(
      await action(v2, { 'os-extend': { new_size: 11 } }),
      'Requested volume size 11G is larger than maximum allowed limit 10G.',
    );
    await cluster.sql(
      `DELETE FROM quotas WHERE project_id = $1 AND resource = 'per_volume_gigabytes'`,
      [PROJECT_A],
    );
    expect((await api.get(`volumes/${v2}`)).body.volume).toMatchObject({
      status: 'available',
      size: 3,
    });

    // Within quota, beyond the backend (12G): the scheduler refuses and rolls the growth back.
    expect((await action(v2, { 'os-extend': { new_size: 30 } })).status).toBe(202);
    await api.waitForVolume(v2, (v) => v?.status === 'available');
    q = await quota();
    expect(q.gigabytes).toMatchObject({ in_use: consumed, reserved: 0 });
    await expectConsistent();
  });

  it('a driver failure rolls the extend back; a restarted cinder-volume keeps the books right', async () => {
    const consumed = (await quota()).gigabytes.in_use;
    await cluster.stopService('cinder-volume@disk');
    await cluster.startBackend(backend, { DRIVER_FAIL_EXTEND: 'true' });
    expect((await action(v2, { 'os-extend': { new_size: 4 } })).status).toBe(202);
    await api.waitForVolume(v2, (v) => v?.status === 'error_extending');
    expect((await quota()).gigabytes).toMatchObject({ in_use: consumed, reserved: 0 });
    await expectConsistent();
    // Back to a healthy driver; the failed volume is reset and extended for real.
    await cluster.stopService('cinder-volume@disk');
    await cluster.startBackend(backend);
    expect((await action(v2, { 'os-reset_status': { status: 'available' } })).status).toBe(202);
    expect((await action(v2, { 'os-extend': { new_size: 4 } })).status).toBe(202);
    await api.waitForVolume(v2, (v) => v?.size === 4 && v.status === 'available');
    expect((await quota()).gigabytes).toMatchObject({ in_use: consumed + 1, reserved: 0 });
    await expectConsistent();
  });

  it('retype moves the volume and its snapshots to the new type; refusals move nothing', async () => {
    // v2: 4G with one 2G snapshot, __DEFAULT__.
    expect((await action(v2, { 'os-retype': { new_type: 'gold' } })).status).toBe(202);
    await api.waitForVolume(v2, (v) => v?.volume_type === 'gold' && v.status === 'available');
    let q = await quota();
    expect(q.volumes_gold).toMatchObject({ in_use: 1, reserved: 0 });
    expect(q.gigabytes_gold).toMatchObject({ in_use: 6, reserved: 0 });
    expect(q.snapshots_gold).toMatchObject({ in_use: 1, reserved: 0 });
    expect(q.volumes___DEFAULT__).toMatchObject({ in_use: 0, reserved: 0 });
    expect(q.gigabytes___DEFAULT__).toMatchObject({ in_use: 0, reserved: 0 });
    expect(q.snapshots___DEFAULT__).toMatchObject({ in_use: 0, reserved: 0 });
    await expectConsistent();

    // The snapshot's usage goes from the type it moved to.
    await remove('snapshots', snaps.pop()!);
    q = await quota();
    expect(q.snapshots_gold).toMatchObject({ in_use: 0, reserved: 0 });
    expect(q.gigabytes_gold).toMatchObject({ in_use: 4, reserved: 0 });

    // Over volumes_gold: the retype is refused before anything changes.
    await cluster.sql(
      `INSERT INTO quotas (project_id, resource, hard_limit) VALUES ($1, 'volumes_gold', 1)`,
      [PROJECT_A],
    );
    const other = await volume(1);
    overLimit(
      await action(other, { 'os-retype': { new_type: 'gold' } }),
      "Maximum number of volumes allowed (1) exceeded for quota 'volumes_gold'.",
    );
    expect((await api.get(`volumes/${other}`)).body.volume.status).toBe('available');
    await cluster.sql(`DELETE FROM quotas WHERE project_id = $1 AND resource = 'volumes_gold'`, [
      PROJECT_A,
    ]);

    // No backend for the type: the scheduler gives up and rolls both sides back.
    expect(
      (await action(other, { 'os-retype': { new_type: 'elsewhere', migration_policy: 'never' } }))
        .status,
    ).toBe(202);
    await cluster.waitFor(
      async () =>
        (await cluster.sql(`SELECT 1 FROM reservations WHERE project_id = $1`, [PROJECT_A]))
          .length === 0 && (await api.get(`volumes/${other}`)).body.volume.status === 'available',
      30_000,
      () => 'the refused retype never settled',
    );
    expect((await api.get(`volumes/${other}`)).body.volume.volume_type).toBe('__DEFAULT__');
    await expectConsistent();
  });

  it('after successes, failures, deletes and a restart every in_use is what exists; deleting all leaves zero', async () => {
    // A mix: a snapshot, a failed create (no room: 20G on a 12G backend), a backup, a restart
    // of every Cinder service but the API, then deletes.
    const s = (await snapshot(v2)).body.snapshot.id as string;
    const big = await api.post('volumes', { volume: { size: 20 } });
    expect(big.status).toBe(202);
    await api.waitForVolume(big.body.volume.id as string, (v) => v?.status === 'error');
    await expectConsistent();
    for (const name of ['cinder-scheduler', 'cinder-volume@disk']) await cluster.stopService(name);
    await cluster.startService('cinder-scheduler', 'apps/cinder-scheduler/dist/main.js', {});
    await cluster.startBackend(backend);
    await expectConsistent();
    await remove('snapshots', s);
    await remove('volumes', big.body.volume.id as string);
    await expectConsistent();

    const backups = (await api.get('backups')).body.backups as { id: string }[];
    for (const b of backups) await remove('backups', b.id);
    const volumes = (await api.get('volumes')).body.volumes as { id: string }[];
    for (const v of volumes) await remove('volumes', v.id);
    const t = await expectConsistent();
    expect(Object.values(t).every((n) => n === 0)).toBe(true);
  });
});
