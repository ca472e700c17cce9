import { createHmac } from 'node:crypto';
import { ApiClient, PROJECT_A, PROJECT_B } from '../support/api-client';
import { CINDER_QUOTA_ENV, Cluster } from '../support/cluster';

// Issue 14, "Volume transfers": os-volume-transfer and volume-transfers (3.55+) with Cinder's
// shapes; accepting moves the volume, its snapshots (unless no_snapshots) and their quota usage
// to the accepting project in one transaction; races between accepts and deletes have one winner.
describe('volume transfers', () => {
  const cluster = new Cluster(
    [{ name: 'disk', capacityGb: 100 }],
    {},
    { apiEnv: CINDER_QUOTA_ENV },
  );
  let a: ApiClient;
  let b: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    a = new ApiClient(cluster.apiUrl, PROJECT_A, 'user-a').withVersion('3.57');
    b = new ApiClient(cluster.apiUrl, PROJECT_B, 'user-b').withVersion('3.57');
  });
  afterAll(() => cluster.stop());

  async function volume(size = 1): Promise<string> {
    const res = await a.post('volumes', { volume: { size } });
    expect(res.status).toBe(202);
    const id = res.body.volume.id as string;
    await a.waitForVolume(id, (v) => v?.status === 'available');
    return id;
  }

  async function snapshot(volumeId: string): Promise<string> {
    const res = await a.post('snapshots', { snapshot: { volume_id: volumeId } });
    expect(res.status).toBe(202);
    const id = res.body.snapshot.id as string;
    await cluster.waitFor(
      async () => (await a.get(`snapshots/${id}`)).body.snapshot?.status === 'available',
      20_000,
      () => `snapshot ${id} never became available`,
    );
    return id;
  }

  async function usage(project: string): Promise<Record<string, number>> {
    const rows = await cluster.sql<{ resource: string; in_use: number; reserved: number }>(
      `SELECT resource, in_use, reserved FROM quota_usages WHERE project_id = $1`,
      [project],
    );
    for (const r of rows) expect(r.reserved).toBe(0);
    return Object.fromEntries(rows.map((r) => [r.resource, r.in_use]));
  }

  async function owner(table: 'volumes' | 'snapshots', id: string) {
    const [row] = await cluster.sql<{ project_id: string; user_id: string }>(
      `SELECT project_id, user_id FROM ${table} WHERE id = $1`,
      [id],
    );
    return row;
  }

  it('create, list, show, accept: the volume, its snapshots and their quota move', async () => {
    const volumeId = await volume();
    const snapshotId = await snapshot(volumeId);
    const before = { a: await usage(PROJECT_A), b: await usage(PROJECT_B) };

    const created = await a.post('volume-transfers', {
      transfer: { volume_id: volumeId, name: '  move me  ' },
    });
    expect(created.status).toBe(202);
    const t = created.body.transfer;
    expect(t).toMatchObject({
      volume_id: volumeId,
      name: 'move me',
      no_snapshots: false,
      source_project_id: PROJECT_A,
      destination_project_id: null,
      accepted: false,
    });
    expect(t.auth_key).toMatch(/^[0-9a-f]{16}$/);
    expect(t.links[0].href).toContain(`/v3/${PROJECT_A}/os-volume-transfer/${t.id}`);
    expect((await a.get(`volumes/${volumeId}`)).body.volume.status).toBe('awaiting-transfer');
    // Only the salt and the salted hash are kept, as Cinder's.
    const [row] = await cluster.sql<{ salt: string; crypt_hash: string }>(
      `SELECT salt, crypt_hash FROM transfers WHERE id = $1`,
      [t.id],
    );
    expect(row.salt).toMatch(/^[0-9a-f]{8}$/);
    expect(row.crypt_hash).toBe(createHmac('sha1', row.salt).update(t.auth_key).digest('hex'));

    // The key is shown only once; the legacy routes list and show the same transfer.
    const shown = await a.get(`os-volume-transfer/${t.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.transfer.auth_key).toBeUndefined();
    expect(shown.body.transfer).toMatchObject({ id: t.id, accepted: false });
    const legacy = await a.withVersion('3.0').get(`os-volume-transfer/${t.id}`);
    expect(Object.keys(legacy.body.transfer).sort()).toEqual(
      ['created_at', 'id', 'links', 'name', 'volume_id'].sort(),
    );
    expect((await a.get('os-volume-transfer')).body.transfers).toEqual([
      { id: t.id, volume_id: volumeId, name: 'move me', links: expect.any(Array) },
    ]);
    const detail = (await a.get('volume-transfers/detail?name=move%20me')).body.transfers;
    expect(detail.map((x: { id: string }) => x.id)).toEqual([t.id]);
    expect((await a.get('volume-transfers/detail?name=other')).body.transfers).toEqual([]);
    expect((await a.get('volume-transfers?bogus=1')).body.transfers).toEqual([]);
    expect((await b.get('volume-transfers')).body.transfers).toEqual([]);

    // A volume awaiting a transfer cannot be offered again.
    const again = await a.post('volume-transfers', { transfer: { volume_id: volumeId } });
    expect(again.status).toBe(400);
    expect(again.body.badRequest.message).toBe('Invalid volume: status must be available');

    const wrong = await b.post(`os-volume-transfer/${t.id}/accept`, {
      accept: { auth_key: 'not-the-key' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.badRequest.message).toBe(
      `Invalid auth key: Attempt to transfer ${t.id} with invalid auth key.`,
    );

    // Two accepts of one transfer: exactly one wins, the other finds it gone.
    const accepts = await Promise.all(
      [0, 1].map(() =>
        b.post(`volume-transfers/${t.id}/accept`, { accept: { auth_key: t.auth_key } }),
      ),
    );
    expect(accepts.map((r) => r.status).sort()).toEqual([202, 404]);
    const won = accepts.find((r) => r.status === 202)!;
    expect(won.body.transfer).toMatchObject({ id: t.id, volume_id: volumeId, name: 'move me' });
    expect(accepts.find((r) => r.status === 404)!.body.itemNotFound.message).toBe(
      `Transfer ${t.id} could not be found.`,
    );

    expect(await owner('volumes', volumeId)).toEqual({ project_id: PROJECT_B, user_id: 'user-b' });
    expect(await owner('snapshots', snapshotId)).toEqual({
      project_id: PROJECT_B,
      user_id: 'user-b',
    });
    const listB = (await b.get('volumes')).body.volumes.map((v: { id: string }) => v.id);
    expect(listB).toContain(volumeId);
    expect((await a.get('volumes')).body.volumes.map((v: { id: string }) => v.id)).not.toContain(
      volumeId,
    );
    expect((await b.get(`volumes/${volumeId}`)).body.volume.status).toBe('available');
    expect((await b.get(`os-volume-transfer/${t.id}`)).status).toBe(404);
    const [history] = await cluster.sql<{ accepted: boolean; destination_project_id: string }>(
      `SELECT accepted, destination_project_id FROM transfers WHERE id = $1`,
      [t.id],
    );
    expect(history).toEqual({ accepted: true, destination_project_id: PROJECT_B });

    const after = { a: await usage(PROJECT_A), b: await usage(PROJECT_B) };
    const moved = (p: 'a' | 'b', r: string) => (after[p][r] ?? 0) - (before[p][r] ?? 0);
    expect([moved('a', 'volumes'), moved('a', 'gigabytes'), moved('a', 'snapshots')]).toEqual([
      -1, -2, -1,
    ]);
    expect([moved('b', 'volumes'), moved('b', 'gigabytes'), moved('b', 'snapshots')]).toEqual([
      1, 2, 1,
    ]);
  });

  it('no_snapshots (3.55): the snapshots stay with the donor, as their quota', async () => {
    const volumeId = await volume();
    const snapshotId = await snapshot(volumeId);
    // Before 3.55, and on the legacy route, no_snapshots is not a field.
    for (const [client, path] of [
      [a.withVersion('3.54'), 'volume-transfers'],
      [a, 'os-volume-transfer'],
    ] as const) {
      const refused = await client.post(path, {
        transfer: { volume_id: volumeId, no_snapshots: true },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.badRequest.message).toBe(
        "Additional properties are not allowed ('no_snapshots' was unexpected)",
      );
    }
    const before = { a: await usage(PROJECT_A), b: await usage(PROJECT_B) };
    const created = await a.post('volume-transfers', {
      transfer: { volume_id: volumeId, no_snapshots: true },
    });
    expect(created.status).toBe(202);
    expect(created.body.transfer).toMatchObject({ no_snapshots: true, name: null });
    const accepted = await b.post(`volume-transfers/${created.body.transfer.id}/accept`, {
      accept: { auth_key: created.body.transfer.auth_key },
    });
    expect(accepted.status).toBe(202);
    expect((await owner('volumes', volumeId)).project_id).toBe(PROJECT_B);
    expect((await owner('snapshots', snapshotId)).project_id).toBe(PROJECT_A);
    const after = { a: await usage(PROJECT_A), b: await usage(PROJECT_B) };
    expect(after.a.snapshots).toBe(before.a.snapshots);
    expect(after.b.snapshots ?? 0).toBe(before.b.snapshots ?? 0);
    expect(after.a.volumes).toBe(before.a.volumes - 1);
    expect(after.b.volumes).toBe((before.b.volumes ?? 0) + 1);
    expect(after.a.gigabytes).toBe(before.a.gigabytes - 1);
  });

  it('create refuses a volume with a snapshot not available (unless no_snapshots); 3.59 pages', async () => {
    const volumeId = await volume();
    const snapshotId = await snapshot(volumeId);
    const reset = await a.post(`snapshots/${snapshotId}/action`, {
      'os-reset_status': { status: 'error' },
    });
    expect(reset.status).toBe(202);
    const refused = await a.post('volume-transfers', { transfer: { volume_id: volumeId } });
    expect(refused.status).toBe(400);
    expect(refused.body.badRequest.message).toBe(
      `Invalid snapshot: snapshot: ${snapshotId} status must be available`,
    );
    expect((await a.get(`volumes/${volumeId}`)).body.volume.status).toBe('available');
    const first = await a.post('volume-transfers', {
      transfer: { volume_id: volumeId, no_snapshots: true, name: 'p1' },
    });
    expect(first.status).toBe(202);
    const second = await a.post('volume-transfers', { transfer: { volume_id: await volume() } });
    const ids = [first.body.transfer.id, second.body.transfer.id];

    // 3.59: newest first by default, marker and limit; before it, oldest first.
    const v359 = a.withVersion('3.59');
    const page1 = await v359.get('volume-transfers/detail?limit=1');
    expect(page1.body.transfers.map((t: { id: string }) => t.id)).toEqual([ids[1]]);
    expect(page1.body.transfers_links[0].href).toContain(`marker=${ids[1]}`);
    const page2 = await v359.get(`volume-transfers?limit=1&marker=${ids[1]}`);
    expect(page2.body.transfers.map((t: { id: string }) => t.id)).toEqual([ids[0]]);
    const asc = await v359.get('volume-transfers?sort=created_at:asc');
    expect(asc.body.transfers.map((t: { id: string }) => t.id)).toEqual(ids);
    expect(
      (await a.get('os-volume-transfer')).body.transfers.map((t: { id: string }) => t.id),
    ).toEqual(ids);
    expect((await a.get('volume-transfers?no_snapshots=true')).body.transfers).toEqual([
      expect.objectContaining({ id: ids[0] }),
    ]);
    for (const id of ids) expect((await a.delete(`volume-transfers/${id}`)).status).toBe(202);
  });

  it('delete gives the volume back; a delete racing an accept has one winner', async () => {
    const volumeId = await volume();
    const first = (await a.post('os-volume-transfer', { transfer: { volume_id: volumeId } })).body
      .transfer;
    const deleted = await a.delete(`os-volume-transfer/${first.id}`);
    expect(deleted.status).toBe(202);
    expect((await a.get(`volumes/${volumeId}`)).body.volume.status).toBe('available');
    expect((await a.delete(`os-volume-transfer/${first.id}`)).status).toBe(404);
    const late = await b.post(`os-volume-transfer/${first.id}/accept`, {
      accept: { auth_key: first.auth_key },
    });
    expect(late.status).toBe(404);

    const second = (await a.post('volume-transfers', { transfer: { volume_id: volumeId } })).body
      .transfer;
    const [del, acc] = await Promise.all([
      a.delete(`volume-transfers/${second.id}`),
      b.post(`volume-transfers/${second.id}/accept`, { accept: { auth_key: second.auth_key } }),
    ]);
    expect([del.status, acc.status].sort()).toEqual([202, 404]);
    const { project_id } = await owner('volumes', volumeId);
    expect(project_id).toBe(acc.status === 202 ? PROJECT_B : PROJECT_A);
    expect((await a.get(`volumes/${volumeId}`)).body.volume.status).toBe('available');
  });

  it('over quota in the accepting project is a 413, and nothing moves', async () => {
    const volumeId = await volume(2);
    // Room for 1 GB more than B uses (Cinder refuses a limit below the usage).
    const limit = ((await usage(PROJECT_B)).gigabytes ?? 0) + 1;
    const quota = await b.request('PUT', `os-quota-sets/${PROJECT_B}`, {
      quota_set: { gigabytes: limit },
    });
    expect(quota.status).toBe(200);
    const t = (await a.post('volume-transfers', { transfer: { volume_id: volumeId } })).body
      .transfer;
    const before = { a: await usage(PROJECT_A), b: await usage(PROJECT_B) };
    const refused = await b.post(`volume-transfers/${t.id}/accept`, {
      accept: { auth_key: t.auth_key },
    });
    expect(refused.status).toBe(413);
    expect(refused.body.overLimit.message).toMatch(
      `Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is ${limit}G and ${limit - 1}G has been consumed.`,
    );
    expect(await owner('volumes', volumeId)).toEqual({ project_id: PROJECT_A, user_id: 'user-a' });
    expect((await a.get(`volumes/${volumeId}`)).body.volume.status).toBe('awaiting-transfer');
    expect({ a: await usage(PROJECT_A), b: await usage(PROJECT_B) }).toEqual(before);
    expect((await a.get(`volume-transfers/${t.id}`)).status).toBe(200);
  });
});
