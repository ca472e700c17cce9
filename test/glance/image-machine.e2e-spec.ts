import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Cluster } from '../support/cluster';
import { GlanceClient } from '../support/glance-client';
import { scrubOnce } from '../support/glance-fixtures';

/**
 * Issue 11: "e2e: every seed 001 transition through the API and every refused one". Seed 001's
 * image machine, edge by edge, driven only through glance-api's routes (and the scrubber for
 * `pending_delete → deleted`), each status read back from the database; then what the API
 * refuses from each status, with Glance's code.
 */
const PROJECT = randomBytes(16).toString('hex');

describe('seed 001 through the API: every image transition, and the refused ones', () => {
  const cluster = new Cluster([]);
  let glance: GlanceClient;

  const startGlance = (delayedDelete: boolean) =>
    cluster.startGlanceApi({
      GLANCE_SHOW_MULTIPLE_LOCATIONS: 'true',
      GLANCE_DELAYED_DELETE: String(delayedDelete),
    });

  beforeAll(async () => {
    await startGlance(false);
    glance = new GlanceClient(cluster.glanceUrl, PROJECT);
  }, 60_000);
  afterAll(() => cluster.stop());

  async function statusOf(id: string): Promise<string> {
    const [row] = await cluster.sql<{ status: string }>('SELECT status FROM images WHERE id = $1', [
      id,
    ]);
    return row.status;
  }

  async function waitForStatus(id: string, status: string): Promise<void> {
    await cluster.waitFor(
      async () => (await statusOf(id)) === status,
      10_000,
      () => `image ${id} never became ${status}`,
    );
  }

  async function queued(): Promise<string> {
    const created = await glance.post('/v2/images', {
      name: `m-${randomUUID().slice(0, 8)}`,
      disk_format: 'raw',
      container_format: 'bare',
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('queued');
    return created.body.id as string;
  }

  async function active(): Promise<string> {
    const id = await queued();
    expect((await glance.put(`/v2/images/${id}/file`, randomBytes(4096))).status).toBe(204);
    expect(await statusOf(id)).toBe('active');
    return id;
  }

  /** An upload (v2 `/file`, or legacy v1) that has sent a first chunk and waits: `saving`. */
  async function saving(
    api: 'v1' | 'v2' = 'v2',
  ): Promise<{ id: string; req: ClientRequest; done: Promise<number> }> {
    const id = await queued();
    const path = api === 'v2' ? `/v2/images/${id}/file` : `/v1/images/${id}`;
    const req = httpRequest(`${cluster.glanceUrl}${path}`, {
      method: 'PUT',
      headers: {
        'X-Auth-Token': `${glance.userId}:${PROJECT}`,
        'Content-Type': 'application/octet-stream',
        'Transfer-Encoding': 'chunked',
      },
    });
    const done = new Promise<number>((resolve) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
    });
    req.write(randomBytes(64 * 1024));
    await waitForStatus(id, 'saving');
    return { id, req, done };
  }

  const action = (id: string, name: 'deactivate' | 'reactivate') =>
    glance.post(`/v2/images/${id}/actions/${name}`, undefined);

  describe('the transitions', () => {
    it('create → queued; upload: queued → saving → active', async () => {
      const { id, req, done } = await saving();
      req.end(randomBytes(1024));
      expect(await done).toBe(204);
      expect(await statusOf(id)).toBe('active');
    });

    it('[v2] upload fail: saving → queued', async () => {
      const { id, req } = await saving('v2');
      req.destroy();
      await waitForStatus(id, 'queued');
    });

    it('[v1] upload fail: saving → killed; deleted: killed → deleted', async () => {
      const { id, req } = await saving('v1');
      req.destroy();
      await waitForStatus(id, 'killed');
      expect((await glance.delete(`/v2/images/${id}`)).status).toBe(204);
      expect(await statusOf(id)).toBe('deleted');
    });

    it('add location: queued → active, never through saving', async () => {
      const id = await queued();
      const dir = cluster.imageStoreDir('file2');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `registered-${id}`);
      writeFileSync(file, randomBytes(2048));
      const patched = await glance.patch(`/v2/images/${id}`, [
        {
          op: 'add',
          path: '/locations/-',
          value: { url: pathToFileURL(file).href, metadata: {} },
        },
      ]);
      expect(patched.status).toBe(200);
      expect(patched.body.status).toBe('active');
      expect(await statusOf(id)).toBe('active');
    });

    it('delete: queued → deleted, saving → deleted, active → deleted', async () => {
      const fromQueued = await queued();
      expect((await glance.delete(`/v2/images/${fromQueued}`)).status).toBe(204);
      expect(await statusOf(fromQueued)).toBe('deleted');

      const upload = await saving();
      expect((await glance.delete(`/v2/images/${upload.id}`)).status).toBe(204);
      expect(await statusOf(upload.id)).toBe('deleted');
      upload.req.end(randomBytes(1024));
      expect(await upload.done).toBe(410);
      expect(await statusOf(upload.id)).toBe('deleted');

      const fromActive = await active();
      expect((await glance.delete(`/v2/images/${fromActive}`)).status).toBe(204);
      expect(await statusOf(fromActive)).toBe('deleted');
    });

    it('deactivate: active → deactivated; reactivate: deactivated → active; delete: deactivated → deleted', async () => {
      const id = await active();
      expect((await action(id, 'deactivate')).status).toBe(204);
      expect(await statusOf(id)).toBe('deactivated');
      expect((await action(id, 'reactivate')).status).toBe(204);
      expect(await statusOf(id)).toBe('active');
      expect((await action(id, 'deactivate')).status).toBe(204);
      expect((await glance.delete(`/v2/images/${id}`)).status).toBe(204);
      expect(await statusOf(id)).toBe('deleted');
    });

    it('delayed delete: active → pending_delete; after scrub time: pending_delete → deleted', async () => {
      await cluster.stopService('glance-api');
      await startGlance(true);
      try {
        const id = await active();
        expect((await glance.delete(`/v2/images/${id}`)).status).toBe(204);
        expect(await statusOf(id)).toBe('pending_delete');
        // Gone for the images API; its status lives on in the database.
        expect((await glance.get(`/v2/images/${id}`)).status).toBe(404);
        const pass = await scrubOnce(cluster, { GLANCE_SCRUB_TIME_S: '0' });
        expect(pass.code).toBe(0);
        expect(await statusOf(id)).toBe('deleted');
      } finally {
        await cluster.stopService('glance-api');
        await startGlance(false);
      }
    });
  });

  describe('what each status refuses', () => {
    it('queued: deactivate and reactivate 403; a download has no data (204)', async () => {
      const id = await queued();
      expect((await action(id, 'deactivate')).status).toBe(403);
      expect((await action(id, 'reactivate')).status).toBe(403);
      expect((await glance.get(`/v2/images/${id}/file`)).status).toBe(204);
      expect(await statusOf(id)).toBe('queued');
    });

    it('saving: a second upload 409, deactivate 403, add location 409', async () => {
      const { id, req, done } = await saving();
      expect((await glance.put(`/v2/images/${id}/file`, randomBytes(16))).status).toBe(409);
      expect((await action(id, 'deactivate')).status).toBe(403);
      const location = await glance.patch(`/v2/images/${id}`, [
        { op: 'add', path: '/locations/-', value: { url: 'file:///nowhere', metadata: {} } },
      ]);
      expect(location.status).toBe(409);
      expect(await statusOf(id)).toBe('saving');
      req.end();
      expect(await done).toBe(204);
    });

    it('active: upload 409, reactivate a no-op (204, still active)', async () => {
      const id = await active();
      expect((await glance.put(`/v2/images/${id}/file`, randomBytes(16))).status).toBe(409);
      expect((await action(id, 'reactivate')).status).toBe(204);
      expect(await statusOf(id)).toBe('active');
    });

    it('deactivated: upload 409, a member may not download (403), deactivate a no-op', async () => {
      const id = await active();
      expect((await action(id, 'deactivate')).status).toBe(204);
      expect((await glance.put(`/v2/images/${id}/file`, randomBytes(16))).status).toBe(409);
      expect((await glance.asMember().get(`/v2/images/${id}/file`)).status).toBe(403);
      expect((await action(id, 'deactivate')).status).toBe(204);
      expect(await statusOf(id)).toBe('deactivated');
    });

    it('killed: upload 409, deactivate 403', async () => {
      const { id, req } = await saving('v1');
      req.destroy();
      await waitForStatus(id, 'killed');
      expect((await glance.put(`/v2/images/${id}/file`, randomBytes(16))).status).toBe(409);
      expect((await action(id, 'deactivate')).status).toBe(403);
      expect(await statusOf(id)).toBe('killed');
    });

    it('deleted: nothing leaves it; every route answers 404', async () => {
      const id = await active();
      expect((await glance.delete(`/v2/images/${id}`)).status).toBe(204);
      expect((await glance.get(`/v2/images/${id}`)).status).toBe(404);
      expect((await glance.put(`/v2/images/${id}/file`, randomBytes(16))).status).toBe(404);
      expect((await action(id, 'reactivate')).status).toBe(404);
      expect((await glance.delete(`/v2/images/${id}`)).status).toBe(404);
      expect(await statusOf(id)).toBe('deleted');
    });
  });
});
