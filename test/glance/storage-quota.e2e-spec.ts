import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cluster } from '../support/cluster';
import { GlanceClient } from '../support/glance-client';

/**
 * Glance's storage quota with reservations: an upload reserves its bytes against the owner's
 * quota when it starts (the owner locked, so parallel uploads of one owner take turns), the
 * reservation becomes the image's size when it is active, and goes back when the upload fails,
 * the image is deleted, or it expires (GLANCE_UPLOAD_RESERVATION_EXPIRE_S, swept by
 * glance-api). With GLANCE_USE_KEYSTONE_LIMITS, Keystone's unified limits instead:
 * image_count_total at create, image_count_uploading at the upload's start, image_size_total
 * (MiB) at the upload; each 413 with Glance's LimitExceeded message.
 */
const MiB = 1024 * 1024;
const project = () => randomBytes(16).toString('hex');
// Long enough for a glance-api restart between the kill and the check that it still counts,
// on a busy machine too.
const EXPIRE_S = 20;
const QUOTA_ENV = {
  // Glance's units: 10 MiB.
  GLANCE_USER_STORAGE_QUOTA: '10MB',
  GLANCE_UPLOAD_RESERVATION_EXPIRE_S: String(EXPIRE_S),
  // Imports from the test's own HTTP server (a random port; Glance's default allows 80, 443).
  GLANCE_IMPORT_ALLOWED_PORTS: '',
};
const KEYSTONE_ENV = {
  GLANCE_USE_KEYSTONE_LIMITS: 'true',
  // Ignored with Keystone's limits.
  GLANCE_USER_STORAGE_QUOTA: '1',
  GLANCE_LIMIT_IMAGE_SIZE_TOTAL: '5',
  GLANCE_LIMIT_IMAGE_COUNT_TOTAL: '3',
  GLANCE_LIMIT_IMAGE_COUNT_UPLOADING: '1',
};
const JSON_ERRORS = { Accept: 'application/json' };

/** The glance-api cluster, image and upload helpers one describe block shares. */
function glanceCluster(env: Record<string, string>) {
  const cluster = new Cluster([]);

  async function createImage(client: GlanceClient) {
    const created = await client.post('/v2/images', {
      name: `img-${randomUUID().slice(0, 6)}`,
      disk_format: 'raw',
      container_format: 'bare',
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  async function statusOf(id: string): Promise<string> {
    const rows = await cluster.sql<{ status: string }>('SELECT status FROM images WHERE id = $1', [
      id,
    ]);
    return rows[0].status;
  }

  async function reservationOf(id: string) {
    const rows = await cluster.sql<{ bytes: string; host: string }>(
      'SELECT bytes, host FROM image_upload_reservations WHERE image_id = $1',
      [id],
    );
    return rows[0] ?? null;
  }

  function filesOf(id: string): string[] {
    const dir = cluster.imageStoreDir('file1');
    return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith(id)) : [];
  }

  return {
    cluster,
    createImage,
    statusOf,
    reservationOf,
    filesOf,
    start: () => cluster.startGlanceApi(env),
  };
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition never met');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('glance-api: storage quota with upload reservations', () => {
  const g = glanceCluster(QUOTA_ENV);
  const { cluster, createImage, statusOf, reservationOf, filesOf } = g;

  beforeAll(() => g.start(), 60_000);
  afterAll(() => cluster.stop());

  it('an upload within the quota passes; past it, 413 and the image stays queued without bytes', async () => {
    const owner = new GlanceClient(cluster.glanceUrl, project());
    const first = await createImage(owner);
    expect((await owner.put(`/v2/images/${first}/file`, randomBytes(4 * MiB))).status).toBe(204);
    expect(await statusOf(first)).toBe('active');
    // Active: its bytes are its size now, no reservation.
    expect(await reservationOf(first)).toBeNull();

    const second = await createImage(owner);
    const over = await owner.put(`/v2/images/${second}/file`, randomBytes(7 * MiB), JSON_ERRORS);
    expect(over.status).toBe(413);
    expect(over.body.message).toBe(
      `Image exceeds the storage quota: The size of the data ${7 * MiB} will exceed the limit. ${6 * MiB} bytes remaining.`,
    );
    expect(await statusOf(second)).toBe('queued');
    expect(filesOf(second)).toEqual([]);
    expect(await reservationOf(second)).toBeNull();

    // Size unknown (chunked): refused where the data passes the quota, partial bytes removed.
    const chunked = owner.startUpload(`/v2/images/${second}/file`, randomBytes(4 * MiB), {
      'Transfer-Encoding': 'chunked',
    });
    chunked.req.end(randomBytes(3 * MiB));
    const streamed = await chunked.response;
    expect(streamed.status).toBe(413);
    expect(streamed.text).toContain(
      `Image exceeds the storage quota: The size of the data None will exceed the limit. ${6 * MiB} bytes remaining.`,
    );
    await waitFor(async () => (await statusOf(second)) === 'queued');
    expect(filesOf(second)).toEqual([]);
    expect(await reservationOf(second)).toBeNull();
  });

  it('two parallel uploads that together pass the quota: exactly one wins', async () => {
    const owner = new GlanceClient(cluster.glanceUrl, project());
    const ids = [await createImage(owner), await createImage(owner)];
    const results = await Promise.all(
      ids.map((id) => owner.put(`/v2/images/${id}/file`, randomBytes(6 * MiB), JSON_ERRORS)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([204, 413]);
    const loser = ids[results.findIndex((r) => r.status === 413)];
    expect(await statusOf(loser)).toBe('queued');
    expect(filesOf(loser)).toEqual([]);
    expect(await reservationOf(loser)).toBeNull();

    // The winner held its 6 MiB from its first byte: a second upload is refused while the
    // first is still streaming, before either has stored anything.
    const other = new GlanceClient(cluster.glanceUrl, project());
    const [slow, fast] = [await createImage(other), await createImage(other)];
    const held = other.startUpload(`/v2/images/${slow}/file`, randomBytes(MiB), {
      'Content-Length': String(6 * MiB),
    });
    await waitFor(async () => (await reservationOf(slow)) !== null);
    expect(await reservationOf(slow)).toEqual({ bytes: String(6 * MiB), host: 'e2e-host' });
    const refused = await other.put(`/v2/images/${fast}/file`, randomBytes(5 * MiB), JSON_ERRORS);
    expect(refused.status).toBe(413);
    expect(refused.body.message).toBe(
      `Image exceeds the storage quota: The size of the data ${5 * MiB} will exceed the limit. ${4 * MiB} bytes remaining.`,
    );
    held.req.end(randomBytes(5 * MiB));
    expect((await held.response).status).toBe(204);
    expect(await reservationOf(slow)).toBeNull();
    expect(await statusOf(slow)).toBe('active');
  });

  it('deleting an image frees its quota', async () => {
    const owner = new GlanceClient(cluster.glanceUrl, project());
    const big = await createImage(owner);
    expect((await owner.put(`/v2/images/${big}/file`, randomBytes(8 * MiB))).status).toBe(204);
    const next = await createImage(owner);
    expect((await owner.put(`/v2/images/${next}/file`, randomBytes(3 * MiB))).status).toBe(413);
    expect((await owner.delete(`/v2/images/${big}`)).status).toBe(204);
    expect((await owner.put(`/v2/images/${next}/file`, randomBytes(3 * MiB))).status).toBe(204);

    // An upload whose image is deleted while it streams gives its reservation back at once.
    const doomed = await createImage(owner);
    const held = owner.startUpload(`/v2/images/${doomed}/file`, randomBytes(MiB), {
      'Content-Length': String(7 * MiB),
    });
    held.response.catch(() => undefined);
    await waitFor(async () => (await reservationOf(doomed)) !== null);
    expect((await owner.delete(`/v2/images/${doomed}`)).status).toBe(204);
    expect(await reservationOf(doomed)).toBeNull();
    const after = await createImage(owner);
    expect((await owner.put(`/v2/images/${after}/file`, randomBytes(7 * MiB))).status).toBe(204);
    held.req.destroy();
  });

  it("a task's import is held to its owner's quota too", async () => {
    const data = randomBytes(6 * MiB);
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': data.length });
      res.end(data);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await cluster.startGlanceTaskWorker(QUOTA_ENV);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/image.raw`;
      const owner = new GlanceClient(cluster.glanceUrl, project());
      const big = await createImage(owner);
      expect((await owner.put(`/v2/images/${big}/file`, randomBytes(8 * MiB))).status).toBe(204);
      const runImport = async () => {
        const created = await owner.post('/v2/tasks', {
          type: 'import',
          input: {
            import_from: url,
            import_from_format: 'raw',
            image_properties: { disk_format: 'raw', container_format: 'bare' },
          },
        });
        expect(created.status).toBe(201);
        let task: Record<string, unknown> = {};
        await waitFor(async () => {
          task = (await owner.get(`/v2/tasks/${created.body.id}`)).body;
          return ['success', 'failure'].includes(task.status as string);
        }, 20_000);
        return task;
      };
      expect(await runImport()).toMatchObject({
        status: 'failure',
        message: `The size of the data ${6 * MiB} will exceed the limit. ${2 * MiB} bytes remaining.`,
      });
      expect((await owner.delete(`/v2/images/${big}`)).status).toBe(204);
      const imported = await runImport();
      expect(imported).toMatchObject({ status: 'success' });
      const imageId = (imported.result as { image_id: string }).image_id;
      expect(await statusOf(imageId)).toBe('active');
      expect(await reservationOf(imageId)).toBeNull();
    } finally {
      await cluster.stopService('glance-task-worker');
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);

  async function expired(id: string): Promise<boolean> {
    const [row] = await cluster.sql<{ expired: boolean }>(
      `SELECT expire <= (now() AT TIME ZONE 'utc') AS expired
       FROM image_upload_reservations WHERE image_id = $1`,
      [id],
    );
    return row.expired;
  }

  it('a glance-api killed mid-upload leaves a reservation that expires', async () => {
    const owner = new GlanceClient(cluster.glanceUrl, project());
    const orphan = await createImage(owner);
    const held = owner.startUpload(`/v2/images/${orphan}/file`, randomBytes(MiB), {
      'Content-Length': String(6 * MiB),
    });
    held.response.catch(() => undefined);
    await waitFor(async () => (await reservationOf(orphan)) !== null);
    await cluster.stopService('glance-api', 'SIGKILL');
    held.req.destroy();

    // Another node's glance-api (its start settles only its own uploads): the dead upload's
    // 6 MiB still count until they expire.
    await cluster.startGlanceApi({ ...QUOTA_ENV, SERVICE_HOST: 'e2e-host-b' });
    expect(await reservationOf(orphan)).toEqual({ bytes: String(6 * MiB), host: 'e2e-host' });
    expect(await expired(orphan)).toBe(false);
    const next = await createImage(owner);
    const blocked = await owner.put(`/v2/images/${next}/file`, randomBytes(5 * MiB), JSON_ERRORS);
    expect(blocked.status).toBe(413);
    expect(blocked.body.message).toContain(`${4 * MiB} bytes remaining.`);

    // Past its expiry it counts for nothing, and glance-api's sweep forgets it.
    await waitFor(() => expired(orphan), (EXPIRE_S + 5) * 1000);
    expect((await owner.put(`/v2/images/${next}/file`, randomBytes(5 * MiB))).status).toBe(204);
    // Swept within half the expiry time.
    await waitFor(async () => (await reservationOf(orphan)) === null, (EXPIRE_S / 2 + 5) * 1000);
    expect(cluster.logOf('glance-api')).toContain('upload reservation expired');

    // The dead node back: its start puts its upload's image back to queued.
    expect(await statusOf(orphan)).toBe('saving');
    await cluster.stopService('glance-api');
    await cluster.startGlanceApi(QUOTA_ENV);
    expect(await statusOf(orphan)).toBe('queued');
    expect(filesOf(orphan)).toEqual([]);
  }, 90_000);
});

describe("glance-api: Keystone's unified limits (GLANCE_USE_KEYSTONE_LIMITS)", () => {
  const g = glanceCluster(KEYSTONE_ENV);
  const { cluster, createImage, statusOf, filesOf } = g;
  const overLimit = (p: string, resource: string, limit: number, usage: number, delta: number) =>
    'The request returned a 413 Request Entity Too Large. This generally means that rate ' +
    'limiting or a quota threshold was breached.\n\nThe response body:\n' +
    `Project ${p} is over a limit for [Resource ${resource} is over limit of ${limit} due to ` +
    `current usage ${usage} and delta ${delta}]`;

  beforeAll(() => g.start(), 60_000);
  afterAll(() => cluster.stop());

  it('image_count_total is checked at create', async () => {
    const owner = new GlanceClient(cluster.glanceUrl, project());
    const ids = [await createImage(owner), await createImage(owner), await createImage(owner)];
    const fourth = await owner.post(
      '/v2/images',
      { name: 'one too many', disk_format: 'raw', container_format: 'bare' },
      JSON_ERRORS,
    );
    expect(fourth.status).toBe(413);
    expect(fourth.body.message).toBe(overLimit(owner.projectId, 'image_count_total', 3, 3, 1));
    expect(
      await cluster.sql('SELECT id FROM images WHERE owner = $1', [owner.projectId]),
    ).toHaveLength(3);
    // A deleted image no longer counts.
    expect((await owner.delete(`/v2/images/${ids[0]}`)).status).toBe(204);
    await createImage(owner);

    // Parallel creates count under the project's lock: never more than the limit.
    const racer = new GlanceClient(cluster.glanceUrl, project());
    const created = await Promise.all(
      Array.from({ length: 6 }, () =>
        racer.post('/v2/images', { disk_format: 'raw', container_format: 'bare' }),
      ),
    );
    expect(created.map((r) => r.status).sort()).toEqual([201, 201, 201, 413, 413, 413]);
  });

  it('image_count_uploading is checked when an upload starts', async () => {
    const owner = new GlanceClient(cluster.glanceUrl, project());
    const [first, second] = [await createImage(owner), await createImage(owner)];
    const held = owner.startUpload(`/v2/images/${first}/file`, randomBytes(MiB), {
      'Content-Length': String(2 * MiB),
    });
    await waitFor(async () => (await statusOf(first)) === 'saving');
    const refused = await owner.put(`/v2/images/${second}/file`, randomBytes(MiB), JSON_ERRORS);
    expect(refused.status).toBe(413);
    expect(refused.body.message).toBe(overLimit(owner.projectId, 'image_count_uploading', 1, 2, 0));
    expect(await statusOf(second)).toBe('queued');
    expect(filesOf(second)).toEqual([]);
    held.req.end(randomBytes(MiB));
    expect((await held.response).status).toBe(204);
    expect((await owner.put(`/v2/images/${second}/file`, randomBytes(MiB))).status).toBe(204);
  });

  it('image_size_total counts whole MiB at upload; user_storage_quota is ignored', async () => {
    const owner = new GlanceClient(cluster.glanceUrl, project());
    const [first, second] = [await createImage(owner), await createImage(owner)];
    // 2 MiB and a bit: far past user_storage_quota (1 byte), which Keystone's limits replace.
    expect((await owner.put(`/v2/images/${first}/file`, randomBytes(2 * MiB + 10))).status).toBe(
      204,
    );
    const over = await owner.put(`/v2/images/${second}/file`, randomBytes(4 * MiB), JSON_ERRORS);
    expect(over.status).toBe(413);
    expect(over.body.message).toBe(overLimit(owner.projectId, 'image_size_total', 5, 2, 4));
    expect(await statusOf(second)).toBe('queued');
    expect(filesOf(second)).toEqual([]);
    expect((await owner.put(`/v2/images/${second}/file`, randomBytes(3 * MiB))).status).toBe(204);
  });
});
