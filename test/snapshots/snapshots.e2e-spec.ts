/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON picked apart per test */
import { existsSync, openSync, readSync, closeSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, PROJECT_A, PROJECT_B } from '../support/api-client';
import { Cluster } from '../support/cluster';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
const BACKEND = 'main';

function envelope(method: string, payload: unknown) {
  return {
    method,
    context: {
      request_id: 'req-7e57d0b1-e000-4000-8000-00000000snap',
      user_id: 'e2e-user',
      project_id: PROJECT_A,
      roles: ['admin'],
      is_admin: true,
      sent_at: new Date().toISOString(),
    },
    payload,
  };
}

function writeAt(path: string, text: string): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.from(text), 0, text.length, 0);
  } finally {
    closeSync(fd);
  }
}

function readAt(path: string, length: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, 0);
    return buffer.toString();
  } finally {
    closeSync(fd);
  }
}

describe('snapshots: the API, cinder-volume and the bytes', () => {
  const cluster = new Cluster([{ name: BACKEND, capacityGb: 100 }]);
  let api: ApiClient;

  const volumeFile = (id: string) => join(cluster.dataDir(BACKEND), `volume-${id}`);
  const snapshotFile = (id: string) => join(cluster.dataDir(BACKEND), `snapshot-${id}`);

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A).withVersion('3.65');
  });
  afterAll(() => cluster.stop());

  async function newVolume(name: string, client = api): Promise<string> {
    const res = await client.post('volumes', { volume: { size: 1, name } });
    expect(res.status).toBe(202);
    const id = res.body.volume.id as string;
    await client.waitForVolume(id, (v) => v?.status === 'available');
    return id;
  }

  async function waitForSnapshot(
    id: string,
    done: (s: Record<string, any> | null) => boolean,
    client = api,
  ): Promise<Record<string, any> | null> {
    let last: Record<string, any> | null = null;
    await cluster.waitFor(
      async () => {
        const res = await client.get(`snapshots/${id}`);
        last = res.status === 404 ? null : (res.body.snapshot as Record<string, any>);
        return done(last);
      },
      20_000,
      () => `snapshot ${id} never reached the expected state; last seen ${JSON.stringify(last)}`,
    );
    return last;
  }

  async function newSnapshot(
    volumeId: string,
    extra: Record<string, unknown> = {},
    client = api,
  ): Promise<Record<string, any>> {
    const res = await client.post('snapshots', { snapshot: { volume_id: volumeId, ...extra } });
    expect(res.status).toBe(202);
    const id = res.body.snapshot.id as string;
    return (await waitForSnapshot(id, (s) => s?.status === 'available', client))!;
  }

  /** Sets a status the API has no way to (a volume in maintenance, say). */
  const setVolumeStatus = (id: string, status: string) =>
    cluster.sql('UPDATE volumes SET status = $2 WHERE id = $1', [id, status]);

  const fault = (res: { status: number; body: Record<string, any> }) =>
    Object.values(res.body)[0] as { code: number; message: string };

  describe('create, show, and the bytes', () => {
    it('takes a point-in-time copy: later writes to the volume do not change it', async () => {
      const volumeId = await newVolume('bytes');
      writeAt(volumeFile(volumeId), 'BEFORE-SNAPSHOT');

      const res = await api.post('snapshots', {
        snapshot: {
          volume_id: volumeId,
          name: '  first  ',
          description: 'd',
          metadata: { k: 'v' },
        },
      });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        snapshot: {
          id: expect.stringMatching(UUID),
          created_at: expect.stringMatching(TIMESTAMP),
          updated_at: null,
          name: 'first',
          description: 'd',
          volume_id: volumeId,
          status: 'creating',
          size: 1,
          metadata: { k: 'v' },
          group_snapshot_id: null,
          user_id: 'e2e-user',
          consumes_quota: true,
        },
      });
      const id = res.body.snapshot.id as string;
      const shown = await waitForSnapshot(id, (s) => s?.status === 'available');
      expect(shown).toEqual({
        ...res.body.snapshot,
        status: 'available',
        updated_at: expect.stringMatching(TIMESTAMP),
        'os-extended-snapshot-attributes:project_id': PROJECT_A,
        'os-extended-snapshot-attributes:progress': '100%',
      });

      writeAt(volumeFile(volumeId), 'AFTER--SNAPSHOT');
      expect(readAt(volumeFile(volumeId), 15)).toBe('AFTER--SNAPSHOT');
      expect(readAt(snapshotFile(id), 15)).toBe('BEFORE-SNAPSHOT');

      const [row] = await cluster.sql('SELECT * FROM snapshots WHERE id = $1', [id]);
      expect(row).toMatchObject({
        project_id: PROJECT_A,
        volume_size: 1,
        progress: '100%',
        deleted: false,
      });
      expect(await cluster.sql('SELECT * FROM workers')).toEqual([]);
    });

    it('shows the keys of each microversion', async () => {
      const volumeId = await newVolume('views');
      const { id } = await newSnapshot(volumeId, { display_name: 'old-name' });
      const keys = async (version: string) =>
        Object.keys((await api.withVersion(version).get(`snapshots/${id}`)).body.snapshot).sort();
      const base = [
        'created_at',
        'description',
        'id',
        'metadata',
        'name',
        'os-extended-snapshot-attributes:progress',
        'os-extended-snapshot-attributes:project_id',
        'size',
        'status',
        'updated_at',
        'volume_id',
      ];
      expect(await keys('3.0')).toEqual(base);
      expect(await keys('3.14')).toEqual([...base, 'group_snapshot_id'].sort());
      expect(await keys('3.41')).toEqual([...base, 'group_snapshot_id', 'user_id'].sort());
      expect(await keys('3.70')).toEqual(
        [...base, 'group_snapshot_id', 'user_id', 'consumes_quota'].sort(),
      );
      expect((await api.get(`snapshots/${id}`)).body.snapshot.name).toBe('old-name');
    });

    it('answers an unknown snapshot with 404 and Cinder message', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (const res of [
        await api.get(`snapshots/${unknown}`),
        await api.get('snapshots/not-a-uuid'),
        await api.delete(`snapshots/${unknown}`),
        await api.request('PUT', `snapshots/${unknown}`, { snapshot: { name: 'x' } }),
        await api.get(`snapshots/${unknown}/metadata`),
        await api.post(`snapshots/${unknown}/action`, { 'os-force_delete': {} }),
      ]) {
        expect(res.status).toBe(404);
        expect(fault(res).message).toMatch(/^Snapshot (.*) could not be found\.$/);
      }
    });
  });

  describe('refused creates, with Cinder codes and messages', () => {
    let volumeId: string;
    beforeAll(async () => {
      volumeId = await newVolume('refusals');
    });

    it('an unknown volume is a 404', async () => {
      const unknown = '11111111-0000-4000-8000-000000000000';
      const res = await api.post('snapshots', { snapshot: { volume_id: unknown } });
      expect(res.status).toBe(404);
      expect(fault(res).message).toBe(`Volume ${unknown} could not be found.`);
      const none = await api.post('snapshots', { snapshot: { volume_id: null } });
      expect(none.status).toBe(404);
      expect(fault(none).message).toBe('Volume None could not be found.');
    });

    it('bad bodies are refused by the schema', async () => {
      for (const body of [
        {},
        { snapshot: {} },
        { snapshot: { volume_id: 'nope' } },
        { snapshot: { volume_id: volumeId, display_description: 'x' } },
        { snapshot: { volume_id: volumeId, force: 'maybe' } },
        { snapshot: { volume_id: volumeId, metadata: { 'bad/key': 'v' }, bogus: 1 } },
      ]) {
        const res = await api.post('snapshots', body);
        expect(res.status).toBe(400);
      }
      const missing = await api.post('snapshots', { snapshot: {} });
      expect(fault(missing).message).toBe("'volume_id' is a required property");
    });

    it.each([
      ['maintenance', 'The snapshot cannot be created when the volume is in maintenance mode.'],
      ['error', 'The snapshot cannot be created when the volume is in error status.'],
      ['deleting', 'Volume {id} status must be available, but current status is: deleting.'],
      ['in-use', 'Volume {id} status must be available, but current status is: in-use.'],
    ])('a volume %s: 400 Invalid volume', async (status, message) => {
      await setVolumeStatus(volumeId, status);
      try {
        const res = await api.post('snapshots', { snapshot: { volume_id: volumeId } });
        expect(res.status).toBe(400);
        expect(fault(res)).toEqual({
          code: 400,
          message: `Invalid volume: ${message.replace('{id}', volumeId)}`,
        });
      } finally {
        await setVolumeStatus(volumeId, 'available');
      }
      expect(
        await cluster.sql('SELECT id FROM snapshots WHERE volume_id = $1', [volumeId]),
      ).toEqual([]);
    });

    it('a volume never scheduled: 400', async () => {
      const [{ host }] = await cluster.sql<{ host: string }>(
        'SELECT host FROM volumes WHERE id = $1',
        [volumeId],
      );
      await cluster.sql('UPDATE volumes SET host = NULL WHERE id = $1', [volumeId]);
      try {
        const res = await api.post('snapshots', { snapshot: { volume_id: volumeId } });
        expect(fault(res)).toEqual({
          code: 400,
          message:
            'Invalid volume: The snapshot cannot be created because volume has not been scheduled to any host.',
        });
      } finally {
        await cluster.sql('UPDATE volumes SET host = $2 WHERE id = $1', [volumeId, host]);
      }
    });

    it('an in-use volume: with force before 3.66, without it from 3.66; force=false at 3.66 is a 400', async () => {
      await setVolumeStatus(volumeId, 'in-use');
      try {
        const forced = await api.post('snapshots', {
          snapshot: { volume_id: volumeId, force: 'True' },
        });
        expect(forced.status).toBe(202);
        const at366 = await api
          .withVersion('3.66')
          .post('snapshots', { snapshot: { volume_id: volumeId } });
        expect(at366.status).toBe(202);
        const refused = await api
          .withVersion('3.66')
          .post('snapshots', { snapshot: { volume_id: volumeId, force: false } });
        expect(fault(refused)).toEqual({
          code: 400,
          message:
            "Since microversion 3.66 the 'force' flag is invalid for this request.  For backward compatability, however, when the 'force' flag is passed with a value evaluating to True, it is silently ignored.",
        });
        for (const id of [forced.body.snapshot.id, at366.body.snapshot.id] as string[]) {
          await waitForSnapshot(id, (s) => s?.status === 'available');
        }
      } finally {
        await setVolumeStatus(volumeId, 'available');
      }
    });

    it('a driver failure leaves the snapshot error, with a user message', async () => {
      const broken = await newVolume('broken');
      rmSync(volumeFile(broken));
      const res = await api.post('snapshots', { snapshot: { volume_id: broken } });
      const id = res.body.snapshot.id as string;
      await waitForSnapshot(id, (s) => s?.status === 'error');
      const messages = await api.withVersion('3.5').get(`messages?resource_uuid=${id}`);
      expect(messages.body.messages).toEqual([
        expect.objectContaining({
          resource_type: 'VOLUME_SNAPSHOT',
          resource_uuid: id,
          event_id: 'VOLUME_VOLUME_SNAPSHOT_009_013',
          user_message: 'create snapshot: Snapshot failed to create.',
        }),
      ]);
      expect(existsSync(snapshotFile(id))).toBe(false);
      // An error snapshot can be deleted.
      expect((await api.delete(`snapshots/${id}`)).status).toBe(202);
      await waitForSnapshot(id, (s) => s === null);
    });
  });

  describe('lists', () => {
    let volumeId: string;
    const ids: string[] = [];
    beforeAll(async () => {
      volumeId = await newVolume('listed');
      for (const [i, name] of ['alpha', 'beta', 'gamma'].entries()) {
        ids.push((await newSnapshot(volumeId, { name, metadata: { n: String(i) } })).id as string);
      }
    });

    it('GET /snapshots: summaries; /detail: with the extension keys', async () => {
      const list = await api.get(`snapshots?volume_id=${volumeId}`);
      expect(list.status).toBe(200);
      expect(list.body.snapshots.map((s: any) => s.name)).toEqual(['gamma', 'beta', 'alpha']);
      expect(Object.keys(list.body.snapshots[0]).sort()).toEqual(
        [
          'created_at',
          'description',
          'id',
          'metadata',
          'name',
          'size',
          'status',
          'updated_at',
          'volume_id',
        ].sort(),
      );
      const detail = await api.get(`snapshots/detail?volume_id=${volumeId}`);
      expect(detail.body.snapshots[0]).toMatchObject({
        'os-extended-snapshot-attributes:project_id': PROJECT_A,
        'os-extended-snapshot-attributes:progress': '100%',
        consumes_quota: true,
        user_id: 'e2e-user',
      });
    });

    it('filters by name, status, metadata; sorts; pages with links; counts', async () => {
      const names = async (query: string) =>
        (await api.get(`snapshots?volume_id=${volumeId}&${query}`)).body.snapshots.map(
          (s: any) => s.name,
        );
      expect(await names('name=beta')).toEqual(['beta']);
      expect(await names('status=available&sort=name:asc')).toEqual(['alpha', 'beta', 'gamma']);
      expect(await names(`metadata=${encodeURIComponent("{'n': '2'}")}`)).toEqual(['gamma']);
      expect(await names('status=error')).toEqual([]);

      const first = await api.get(`snapshots/detail?volume_id=${volumeId}&limit=2&with_count=true`);
      expect(first.body.count).toBe(3);
      expect(first.body.snapshots).toHaveLength(2);
      const next = new URL(first.body.snapshots_links[0].href as string);
      expect(next.pathname).toBe(`/v3/${PROJECT_A}/snapshots/detail`);
      expect(next.searchParams.get('marker')).toBe(first.body.snapshots[1].id);
      const second = await api.get(`snapshots/detail${next.search}`);
      expect(second.body.snapshots.map((s: any) => s.id)).toEqual([ids[0]]);
      expect(second.body.snapshots_links).toBeUndefined();

      const badMarker = await api.get('snapshots?marker=22222222-0000-4000-8000-000000000000');
      expect(fault(badMarker)).toEqual({
        code: 404,
        message: 'Snapshot 22222222-0000-4000-8000-000000000000 could not be found.',
      });
      const unknown = await api.get('snapshots?bogus=1');
      expect(fault(unknown).message).toBe(
        'Invalid input received: Invalid filters bogus are found in query options.',
      );
    });

    it("another project's snapshots: only with all_tenants, and project_id narrows them", async () => {
      const other = api.asProject(PROJECT_B);
      const otherVolume = await newVolume('other', other);
      const theirs = (await newSnapshot(otherVolume, { name: 'theirs' }, other)).id as string;
      const mine = (await api.get('snapshots')).body.snapshots.map((s: any) => s.id);
      expect(mine).not.toContain(theirs);
      const all = (await api.get('snapshots?all_tenants=1')).body.snapshots.map((s: any) => s.id);
      expect(all).toEqual(expect.arrayContaining([theirs, ...ids]));
      const onlyB = (
        await api.get(`snapshots?all_tenants=1&project_id=${PROJECT_B}`)
      ).body.snapshots.map((s: any) => s.id);
      expect(onlyB).toEqual([theirs]);
    });
  });

  describe('update and metadata', () => {
    let id: string;
    beforeAll(async () => {
      id = (await newSnapshot(await newVolume('meta'), { metadata: { a: '1' } })).id as string;
    });

    it('PUT renames and describes (display_* too); an empty update is a 400', async () => {
      const res = await api.request('PUT', `snapshots/${id}`, {
        snapshot: { name: ' renamed ', display_description: 'described' },
      });
      expect(res.status).toBe(200);
      expect(res.body.snapshot).toMatchObject({ name: 'renamed', description: 'described' });
      expect(res.body.snapshot['os-extended-snapshot-attributes:progress']).toBeUndefined();
      const legacy = await api.request('PUT', `snapshots/${id}`, {
        snapshot: { display_name: 'legacy' },
      });
      expect(legacy.body.snapshot).toMatchObject({ name: 'legacy', description: 'described' });
      const empty = await api.request('PUT', `snapshots/${id}`, { snapshot: {} });
      expect(fault(empty)).toEqual({
        code: 400,
        message:
          'Invalid input for field/attribute snapshot. Value: {}. {} is not valid under any of the given schemas',
      });
      const bad = await api.request('PUT', `snapshots/${id}`, { snapshot: { volume_id: id } });
      expect(bad.status).toBe(400);
    });

    it('metadata: list, merge, replace, one key read, set, delete', async () => {
      expect((await api.get(`snapshots/${id}/metadata`)).body).toEqual({ metadata: { a: '1' } });
      const merged = await api.post(`snapshots/${id}/metadata`, { metadata: { b: '2' } });
      expect(merged.status).toBe(200);
      expect(merged.body).toEqual({ metadata: { a: '1', b: '2' } });
      const replaced = await api.request('PUT', `snapshots/${id}/metadata`, {
        metadata: { c: '3', d: '4' },
      });
      expect(replaced.body).toEqual({ metadata: { c: '3', d: '4' } });
      expect((await api.get(`snapshots/${id}/metadata/c`)).body).toEqual({ meta: { c: '3' } });
      const set = await api.request('PUT', `snapshots/${id}/metadata/e`, { meta: { e: '5' } });
      expect(set.status).toBe(200);
      expect(set.body).toEqual({ meta: { e: '5' } });
      const removed = await api.delete(`snapshots/${id}/metadata/c`);
      expect(removed.status).toBe(200);
      expect((await api.get(`snapshots/${id}`)).body.snapshot.metadata).toEqual({
        d: '4',
        e: '5',
      });
    });

    it("metadata refusals: Cinder's codes and messages", async () => {
      const missing = await api.get(`snapshots/${id}/metadata/nope`);
      expect(fault(missing)).toEqual({
        code: 404,
        message: `Snapshot ${id} has no metadata with key nope.`,
      });
      const missingDelete = await api.delete(`snapshots/${id}/metadata/nope`);
      expect(missingDelete.status).toBe(404);
      const mismatch = await api.request('PUT', `snapshots/${id}/metadata/x`, { meta: { y: '1' } });
      expect(fault(mismatch)).toEqual({ code: 400, message: 'Request body and URI mismatch' });
      const two = await api.request('PUT', `snapshots/${id}/metadata/x`, {
        meta: { x: '1', y: '2' },
      });
      expect(two.status).toBe(400);
      const slash = await api.post(`snapshots/${id}/metadata`, { metadata: { 'a/b': '1' } });
      expect(slash.status).toBe(400);
      const notObject = await api.post(`snapshots/${id}/metadata`, { metadata: 'x' });
      expect(fault(notObject).message).toBe(
        "Invalid input for field/attribute metadata. Value: x. 'x' is not of type 'object'",
      );
    });
  });

  describe('delete and actions', () => {
    let volumeId: string;
    beforeAll(async () => {
      volumeId = await newVolume('actions');
    });

    it('DELETE removes the bytes and soft-deletes the row', async () => {
      const { id } = await newSnapshot(volumeId);
      expect(existsSync(snapshotFile(id as string))).toBe(true);
      const res = await api.delete(`snapshots/${id}`);
      expect(res.status).toBe(202);
      await waitForSnapshot(id as string, (s) => s === null);
      expect(existsSync(snapshotFile(id as string))).toBe(false);
      const [row] = await cluster.sql<{
        deleted: boolean;
        deleted_at: Date | null;
        status: string;
      }>('SELECT deleted, deleted_at, status FROM snapshots WHERE id = $1', [id]);
      expect(row).toMatchObject({ deleted: true, status: 'deleted' });
      expect(row.deleted_at).not.toBeNull();
    });

    it('refuses deleting a snapshot that is not available or error; os-force_delete does it', async () => {
      const { id } = await newSnapshot(volumeId);
      const reset = await api.post(`snapshots/${id}/action`, {
        'os-reset_status': { status: 'CREATING' },
      });
      expect(reset.status).toBe(202);
      expect((await api.get(`snapshots/${id}`)).body.snapshot.status).toBe('creating');
      const refused = await api.delete(`snapshots/${id}`);
      expect(fault(refused)).toEqual({
        code: 400,
        message:
          'Invalid snapshot: Snapshot status must be available or error and must not be part of a group.',
      });
      const forced = await api.post(`snapshots/${id}/action`, { 'os-force_delete': {} });
      expect(forced.status).toBe(202);
      await waitForSnapshot(id as string, (s) => s === null);
      expect(existsSync(snapshotFile(id as string))).toBe(false);
    });

    it('os-force_delete of a snapshot stuck deleting sends the delete again', async () => {
      const { id } = await newSnapshot(volumeId);
      await api.post(`snapshots/${id}/action`, { 'os-reset_status': { status: 'deleting' } });
      expect(existsSync(snapshotFile(id as string))).toBe(true);
      const refused = await api.delete(`snapshots/${id}`);
      expect(refused.status).toBe(400);
      const forced = await api.post(`snapshots/${id}/action`, { 'os-force_delete': {} });
      expect(forced.status).toBe(202);
      await waitForSnapshot(id as string, (s) => s === null);
      expect(existsSync(snapshotFile(id as string))).toBe(false);
    });

    it('os-reset_status: Cinder statuses only', async () => {
      const { id } = await newSnapshot(volumeId);
      const bogus = await api.post(`snapshots/${id}/action`, {
        'os-reset_status': { status: 'bogus' },
      });
      expect(fault(bogus)).toEqual({
        code: 400,
        message:
          "Snapshot status: bogus is invalid, valid statuses are: ('error', 'available', 'creating', 'deleting', 'deleted', 'updating', 'error_deleting', 'unmanaging', 'backing-up', 'restoring').",
      });
      const missing = await api.post(`snapshots/${id}/action`, { 'os-reset_status': {} });
      expect(fault(missing).message).toBe("'status' is a required property");
      const error = await api.post(`snapshots/${id}/action`, {
        'os-reset_status': { status: 'error' },
      });
      expect(error.status).toBe(202);
      expect((await api.get(`snapshots/${id}`)).body.snapshot.status).toBe('error');
      // Any live status, e.g. one a backup holds, and back.
      for (const status of ['backing-up', 'available']) {
        const reset = await api.post(`snapshots/${id}/action`, { 'os-reset_status': { status } });
        expect(reset.status).toBe(202);
        expect((await api.get(`snapshots/${id}`)).body.snapshot.status).toBe(status);
      }
      const deleted = await api.post(`snapshots/${id}/action`, {
        'os-reset_status': { status: 'deleted' },
      });
      expect(fault(deleted)).toEqual({ code: 400, message: 'Cannot reset-state to deleted' });
      const unknown = await api.post(`snapshots/${id}/action`, { 'os-bogus': {} });
      expect(fault(unknown)).toEqual({ code: 400, message: 'There is no such action: os-bogus' });
    });

    it('os-update_snapshot_status: the transitions Cinder allows, and its refusals', async () => {
      const { id } = await newSnapshot(volumeId);
      const action = (body: unknown) => api.post(`snapshots/${id}/action`, body);
      const fromAvailable = await action({ 'os-update_snapshot_status': { status: 'error' } });
      expect(fault(fromAvailable)).toEqual({
        code: 400,
        message: 'Snapshot status available not allowed for update_snapshot_status',
      });
      await action({ 'os-reset_status': { status: 'creating' } });
      const wrong = await action({ 'os-update_snapshot_status': { status: 'deleting' } });
      expect(fault(wrong)).toEqual({
        code: 400,
        message: 'Provided snapshot status deleting not allowed for snapshot with status creating.',
      });
      const badProgress = await action({
        'os-update_snapshot_status': { status: 'creating', progress: '101%' },
      });
      expect(fault(badProgress)).toEqual({
        code: 400,
        message: 'Invalid input received: progress must be an integer percentage between 0 and 100',
      });
      const halfway = await action({
        'os-update_snapshot_status': { status: 'creating', progress: '50%' },
      });
      expect(halfway.status).toBe(202);
      expect(
        (await api.get(`snapshots/${id}`)).body.snapshot[
          'os-extended-snapshot-attributes:progress'
        ],
      ).toBe('50%');
      const done = await action({
        'os-update_snapshot_status': { status: 'available', progress: '100%' },
      });
      expect(done.status).toBe(202);
      expect((await api.get(`snapshots/${id}`)).body.snapshot.status).toBe('available');
      await action({ 'os-reset_status': { status: 'deleting' } });
      expect(
        (await action({ 'os-update_snapshot_status': { status: 'error_deleting' } })).status,
      ).toBe(202);
      expect((await api.get(`snapshots/${id}`)).body.snapshot.status).toBe('error_deleting');
    });
  });

  describe('volume delete with snapshots', () => {
    it('is refused without cascade; cascade deletes the snapshots and then the volume', async () => {
      const volumeId = await newVolume('cascade');
      const a = (await newSnapshot(volumeId)).id as string;
      const b = (await newSnapshot(volumeId)).id as string;
      const refused = await api.delete(`volumes/${volumeId}`);
      expect(fault(refused)).toEqual({
        code: 400,
        message:
          'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
      });
      const forced = await api.post(`volumes/${volumeId}/action`, { 'os-force_delete': {} });
      expect(fault(forced)).toEqual({
        code: 400,
        message:
          'Invalid volume: Volume  must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
      });
      expect((await api.delete(`volumes/${volumeId}?cascade=maybe`)).body).toEqual({
        badRequest: { code: 400, message: "Value 'maybe' for 'cascade' is not a boolean." },
      });

      // A snapshot that is not available or error stops a cascade too.
      await api.post(`snapshots/${b}/action`, { 'os-reset_status': { status: 'creating' } });
      expect(fault(await api.delete(`volumes/${volumeId}?cascade=true`))).toEqual(fault(refused));
      await api.post(`snapshots/${b}/action`, { 'os-reset_status': { status: 'error' } });

      const cascade = await api.delete(`volumes/${volumeId}?cascade=true`);
      expect(cascade.status).toBe(202);
      await api.waitForVolume(volumeId, (v) => v === null);
      for (const id of [a, b]) {
        expect((await api.get(`snapshots/${id}`)).status).toBe(404);
        expect(existsSync(snapshotFile(id))).toBe(false);
      }
      expect(existsSync(volumeFile(volumeId))).toBe(false);
      expect(
        await cluster.sql('SELECT status, deleted FROM snapshots WHERE volume_id = $1', [volumeId]),
      ).toEqual([
        { status: 'deleted', deleted: true },
        { status: 'deleted', deleted: true },
      ]);
    });

    it('a snapshot create racing a volume delete: exactly one wins, never a snapshot of a deleted volume', async () => {
      for (let round = 0; round < 8; round++) {
        const volumeId = await newVolume(`race-${round}`);
        const [created, deleted] = await Promise.all([
          api.post('snapshots', { snapshot: { volume_id: volumeId } }),
          api.delete(`volumes/${volumeId}`),
        ]);
        // The snapshot won (the delete is refused: 400), or the delete did: the snapshot then
        // finds the volume `deleting` (400) or, when cinder-volume was quicker, gone (404,
        // Cinder's VolumeNotFound).
        expect(['202/400', '400/202', '404/202']).toContain(`${created.status}/${deleted.status}`);
        if (created.status === 202) {
          const id = created.body.snapshot.id as string;
          await waitForSnapshot(id, (s) => s?.status === 'available');
          expect((await api.delete(`volumes/${volumeId}?cascade=true`)).status).toBe(202);
        }
        await api.waitForVolume(volumeId, (v) => v === null);
      }
      const orphans = await cluster.sql(
        `SELECT s.id FROM snapshots s JOIN volumes v ON v.id = s.volume_id
          WHERE NOT s.deleted AND v.deleted`,
      );
      expect(orphans).toEqual([]);
    });

    it('a forced cascade (3.23) deletes snapshots in any status', async () => {
      const volumeId = await newVolume('forced-cascade');
      const a = (await newSnapshot(volumeId)).id as string;
      await api.post(`snapshots/${a}/action`, { 'os-reset_status': { status: 'creating' } });
      const res = await api
        .withVersion('3.23')
        .delete(`volumes/${volumeId}?cascade=true&force=true`);
      expect(res.status).toBe(202);
      await api.waitForVolume(volumeId, (v) => v === null);
      expect((await api.get(`snapshots/${a}`)).status).toBe(404);
      expect(existsSync(snapshotFile(a))).toBe(false);
    });
  });

  describe('crashes and duplicates', () => {
    it('a cinder-volume killed with a snapshot creating settles it error on restart; the late message changes nothing', async () => {
      const volumeId = await newVolume('crash');
      await cluster.stopService(`cinder-volume@${BACKEND}`, 'SIGKILL');
      const res = await api.post('snapshots', { snapshot: { volume_id: volumeId } });
      expect(res.status).toBe(202);
      const id = res.body.snapshot.id as string;
      // What a kill in the middle of create_snapshot leaves: the snapshot creating, the work noted.
      await cluster.sql(
        `INSERT INTO workers (resource_type, resource_id, status, service_host, created_at)
         VALUES ('snapshot', $1, 'creating', $2, now())`,
        [id, cluster.serviceHost(BACKEND)],
      );
      await cluster.startBackend({ name: BACKEND, capacityGb: 100 });
      await waitForSnapshot(id, (s) => s?.status === 'error');
      expect(cluster.logOf(`cinder-volume@${BACKEND}`)).toContain(
        'work interrupted by a restart; settled',
      );
      // The create message was waiting in the queue; it comes after the cleanup and is ignored.
      await cluster.waitFor(
        () =>
          cluster
            .logOf(`cinder-volume@${BACKEND}`)
            .includes('not in this work any more; nothing to do'),
        10_000,
        () => 'the waiting create_snapshot was never delivered',
      );
      expect((await api.get(`snapshots/${id}`)).body.snapshot.status).toBe('error');
      expect(existsSync(snapshotFile(id))).toBe(false);
      expect(await cluster.sql('SELECT * FROM workers')).toEqual([]);
      const messages = await cluster.sql('SELECT event_id FROM messages WHERE resource_uuid = $1', [
        id,
      ]);
      expect(messages).toEqual([{ event_id: 'VOLUME_VOLUME_SNAPSHOT_009_013' }]);
    });

    it('a create_snapshot that breaks its contract is dead-lettered and settles the snapshot error', async () => {
      const volumeId = await newVolume('dead-letter');
      const { id } = await newSnapshot(volumeId);
      await api.post(`snapshots/${id}/action`, { 'os-reset_status': { status: 'creating' } });
      await cluster.publish(
        `cinder-volume.${cluster.serviceHost(BACKEND)}`,
        envelope('create_snapshot', { snapshot_id: id, volume_id: 'not-a-uuid' }),
      );
      await waitForSnapshot(id as string, (s) => s?.status === 'error');
      const messages = await cluster.sql<{ event_id: string; detail: string }>(
        'SELECT event_id, detail FROM messages WHERE resource_uuid = $1',
        [id],
      );
      expect(messages).toEqual([
        {
          event_id: 'VOLUME_VOLUME_SNAPSHOT_009_013',
          detail: expect.stringContaining("invalid payload for 'create_snapshot'"),
        },
      ]);
    });

    it('a create_snapshot delivered twice changes nothing', async () => {
      const volumeId = await newVolume('twice');
      writeAt(volumeFile(volumeId), 'ORIGINAL');
      const snapshot = await newSnapshot(volumeId);
      const id = snapshot.id as string;
      writeAt(volumeFile(volumeId), 'CHANGED!');
      const [before] = await cluster.sql('SELECT * FROM snapshots WHERE id = $1', [id]);
      const log = () =>
        cluster.logOf(`cinder-volume@${BACKEND}`).split('not in this work any more').length;
      const skipped = log();

      await cluster.publish(
        `cinder-volume.${cluster.serviceHost(BACKEND)}`,
        envelope('create_snapshot', { snapshot_id: id, volume_id: volumeId }),
      );
      await cluster.waitFor(
        () => log() > skipped,
        10_000,
        () => 'the duplicate create_snapshot was never handled',
      );
      const [after] = await cluster.sql('SELECT * FROM snapshots WHERE id = $1', [id]);
      expect(after).toEqual(before);
      expect(readAt(snapshotFile(id), 8)).toBe('ORIGINAL');
    });
  });
});
