import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Cluster } from '../support/cluster';
import { GlanceClient } from '../support/glance-client';
import { freePort } from '../support/ports';

/**
 * Issue 11, image data: "`PUT /v2/images/{id}/file` streams into a store (`queued → saving →
 * active`), computing size, `checksum` (MD5) and `os_hash_algo`/`os_hash_value` (sha512) while
 * streaming; a failed or interrupted upload takes the v2 path of seed 001 (`saving → queued`,
 * partial data removed). The v1 path (`saving → killed`) is reachable through a legacy v1 upload
 * endpoint. `GET /file` streams out with `Content-MD5` and honours `Range` (206). Uploading to an
 * image that is not `queued` → 409." And: "Storage quota per project counted by location status
 * ...: an upload that would exceed it is refused with 413 and leaves nothing behind"; "an image
 * registered with a location (PATCH add /locations) goes `queued → active` without `saving`";
 * "the API shows only active locations".
 */
const MiB = 1024 * 1024;
const QUOTA = 10 * MiB;
const SIZE_CAP = 8 * MiB;
const GLANCE_ENV = {
  GLANCE_SHOW_MULTIPLE_LOCATIONS: 'true',
  GLANCE_SHOW_DIRECT_URL: 'true',
  GLANCE_USER_STORAGE_QUOTA: String(QUOTA),
  GLANCE_IMAGE_SIZE_CAP: String(SIZE_CAP),
  GLANCE_STORE_DESCRIPTIONS: JSON.stringify({ file1: 'Fast local disk' }),
};
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const sha512 = (data: Buffer) => createHash('sha512').update(data).digest('hex');
const project = () => randomBytes(16).toString('hex');

describe('glance-api: image data, stores, quota and locations', () => {
  const cluster = new Cluster([]);
  let glance: GlanceClient;

  beforeAll(async () => {
    await cluster.startGlanceApi(GLANCE_ENV);
    glance = new GlanceClient(cluster.glanceUrl, project());
  }, 60_000);
  afterAll(() => cluster.stop());

  async function createImage(client = glance, fields: Record<string, unknown> = {}) {
    const created = await client.post('/v2/images', {
      name: `img-${randomUUID().slice(0, 6)}`,
      disk_format: 'raw',
      container_format: 'bare',
      ...fields,
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

  async function waitForStatus(id: string, status: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await statusOf(id)) !== status) {
      if (Date.now() > deadline)
        throw new Error(`${id} never became ${status}: ${await statusOf(id)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Files of an image (data or partial) in a store's directory. */
  function filesOf(id: string, store = 'file1'): string[] {
    const dir = cluster.imageStoreDir(store);
    return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith(id)) : [];
  }

  it('lists the stores with their descriptions and the default one; details for admins only', async () => {
    const stores = await glance.get('/v2/info/stores');
    expect(stores.status).toBe(200);
    expect(stores.body).toEqual({
      stores: [{ id: 'file1', description: 'Fast local disk', default: 'true' }, { id: 'file2' }],
    });
    const detail = await glance.get('/v2/info/stores/detail');
    expect(detail.body.stores[1]).toEqual({
      id: 'file2',
      type: 'file',
      weight: 0,
      properties: {
        data_dir: cluster.imageStoreDir('file2'),
        chunk_size: 65536,
        thin_provisioning: false,
      },
    });
    const member = await glance.asMember().get('/v2/info/stores/detail');
    expect(member.status).toBe(403);
    expect(member.text).toContain('You are not authorized to complete stores_info_detail action.');
  });

  it('uploads queued → saving → active, and the bytes come back whole and by Range', async () => {
    const id = await createImage();
    const data = randomBytes(3 * MiB + 123);
    const upload = glance.startUpload(`/v2/images/${id}/file`, data.subarray(0, MiB));
    await waitForStatus(id, 'saving');
    expect((await glance.get(`/v2/images/${id}`)).body.status).toBe('saving');
    upload.req.end(data.subarray(MiB));
    expect((await upload.response).status).toBe(204);

    const image = (await glance.get(`/v2/images/${id}`)).body;
    const url = pathToFileURL(join(cluster.imageStoreDir('file1'), id)).href;
    expect(image).toMatchObject({
      status: 'active',
      size: data.length,
      virtual_size: data.length,
      checksum: md5(data),
      os_hash_algo: 'sha512',
      os_hash_value: sha512(data),
      locations: [{ url, metadata: { store: 'file1' } }],
      direct_url: url,
      stores: 'file1',
    });

    const whole = await fetch(`${cluster.glanceUrl}/v2/images/${id}/file`, {
      headers: { 'X-Auth-Token': `u:${glance.projectId}` },
    });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('application/octet-stream');
    expect(whole.headers.get('content-length')).toBe(String(data.length));
    // Glance sends its hex checksum as Content-MD5.
    expect(whole.headers.get('content-md5')).toBe(md5(data));
    expect(Buffer.from(await whole.arrayBuffer()).equals(data)).toBe(true);

    const ranged = async (range: string) => {
      const res = await fetch(`${cluster.glanceUrl}/v2/images/${id}/file`, {
        headers: { 'X-Auth-Token': `u:${glance.projectId}`, Range: range },
      });
      return { res, body: Buffer.from(await res.arrayBuffer()) };
    };
    const middle = await ranged('bytes=1000-1999');
    expect(middle.res.status).toBe(206);
    expect(middle.res.headers.get('content-range')).toBe(`bytes 1000-1999/${data.length}`);
    expect(middle.res.headers.get('content-length')).toBe('1000');
    expect(middle.body.equals(data.subarray(1000, 2000))).toBe(true);
    const tail = await ranged('bytes=-10');
    expect(tail.res.headers.get('content-range')).toBe(
      `bytes ${data.length - 10}-${data.length - 1}/${data.length}`,
    );
    expect(tail.body.equals(data.subarray(-10))).toBe(true);
    const beyond = await ranged(`bytes=${data.length}-`);
    expect(beyond.res.status).toBe(416);
    expect(beyond.body.toString()).toContain(
      `Invalid start position in Range header. Start position MUST be in the inclusive range [0, ${data.length - 1}].`,
    );
    expect((await ranged('bytes=0-1,5-6')).res.status).toBe(400);
  });

  it('puts the data in the store X-Image-Meta-Store names; an unknown store is a 400', async () => {
    const id = await createImage();
    const unknown = await glance.put(`/v2/images/${id}/file`, Buffer.from('abc'), {
      'X-Image-Meta-Store': 'nope',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('Store for identifier nope not found');
    expect(await statusOf(id)).toBe('queued');
    const stored = await glance.put(`/v2/images/${id}/file`, Buffer.from('abc'), {
      'X-Image-Meta-Store': 'file2',
    });
    expect(stored.status).toBe(204);
    expect((await glance.get(`/v2/images/${id}`)).body.locations).toEqual([
      {
        url: pathToFileURL(join(cluster.imageStoreDir('file2'), id)).href,
        metadata: { store: 'file2' },
      },
    ]);
  });

  it('refuses with Glance’s codes: 409 unless queued, 400 without formats, 415 not octet-stream; a queued image downloads as 204', async () => {
    const id = await createImage();
    const empty = await glance.get(`/v2/images/${id}/file`);
    expect(empty.status).toBe(204);
    expect(empty.text).toBe('');
    const wrongType = await glance.put(`/v2/images/${id}/file`, Buffer.from('x'), {
      'Content-Type': 'application/json',
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.text).toContain('Invalid content type application/json');
    expect((await glance.put(`/v2/images/${id}/file`, Buffer.from('x'))).status).toBe(204);
    const again = await glance.put(`/v2/images/${id}/file`, Buffer.from('y'), {
      Accept: 'application/json',
    });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe('Image status transition from active to saving is not allowed');

    const noFormats = await createImage(glance, {
      disk_format: undefined,
      container_format: undefined,
    });
    const refused = await glance.put(`/v2/images/${noFormats}/file`, Buffer.from('x'));
    expect(refused.status).toBe(400);
    expect(refused.text).toContain(
      'Properties disk_format, container_format must be set prior to saving data.',
    );
    expect(await statusOf(noFormats)).toBe('queued');
  });

  it('of two uploads racing to one image, one wins and the other gets 409', async () => {
    const id = await createImage();
    const results = await Promise.all([
      glance.put(`/v2/images/${id}/file`, randomBytes(256 * 1024)),
      glance.put(`/v2/images/${id}/file`, randomBytes(256 * 1024)),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([204, 409]);
    const rows = await cluster.sql('SELECT * FROM image_locations WHERE image_id = $1', [id]);
    expect(rows).toHaveLength(1);
  });

  it('v2: a client that goes away mid-upload leaves the image queued and no partial file', async () => {
    const id = await createImage();
    const upload = glance.startUpload(`/v2/images/${id}/file`, randomBytes(2 * MiB));
    upload.response.catch(() => undefined);
    await waitForStatus(id, 'saving');
    await waitFor(() => filesOf(id).some((name) => name.endsWith('.partial')));
    upload.req.destroy();
    await waitForStatus(id, 'queued');
    expect(filesOf(id)).toEqual([]);
    const image = (await glance.get(`/v2/images/${id}`)).body;
    expect(image).toMatchObject({ status: 'queued', size: null, checksum: null, locations: [] });
    // The upload can be tried again.
    expect((await glance.put(`/v2/images/${id}/file`, Buffer.from('whole'))).status).toBe(204);
  });

  it('v1 (legacy PUT /v1/images/{id}): uploads, and a failed upload kills the image', async () => {
    const id = await createImage();
    const data = randomBytes(100_000);
    const ok = await glance.put(`/v1/images/${id}`, data);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe(md5(data));
    expect(ok.body.image).toMatchObject({
      id,
      status: 'active',
      size: data.length,
      checksum: md5(data),
      is_public: false,
    });
    const unqueued = await glance.put(`/v1/images/${id}`, data);
    expect(unqueued.status).toBe(409);
    expect(unqueued.text).toContain('Cannot upload to an unqueued image');

    const cut = await createImage();
    const upload = glance.startUpload(`/v1/images/${cut}`, randomBytes(MiB));
    upload.response.catch(() => undefined);
    await waitForStatus(cut, 'saving');
    upload.req.destroy();
    await waitForStatus(cut, 'killed');
    expect(filesOf(cut)).toEqual([]);

    const mismatch = await createImage();
    const declared = await glance.put(`/v1/images/${mismatch}`, Buffer.from('12345'), {
      'x-image-meta-size': '4',
      Accept: 'application/json',
    });
    expect(declared.status).toBe(400);
    expect(declared.body.message).toBe(
      "Supplied size (4) and size generated from uploaded image (5) did not match. Setting image status to 'killed'.",
    );
    expect(await statusOf(mismatch)).toBe('killed');
    expect(filesOf(mismatch)).toEqual([]);
  });

  it('refuses an upload past the storage quota with 413 and leaves nothing behind', async () => {
    const owner = new GlanceClient(cluster.glanceUrl, project());
    const first = await createImage(owner);
    expect((await owner.put(`/v2/images/${first}/file`, randomBytes(6 * MiB))).status).toBe(204);

    // Declared up front (Content-Length): refused before any byte is stored.
    const second = await createImage(owner);
    const upfront = await owner.put(`/v2/images/${second}/file`, randomBytes(5 * MiB), {
      Accept: 'application/json',
    });
    expect(upfront.status).toBe(413);
    expect(upfront.body.message).toBe(
      `Image exceeds the storage quota: The size of the data ${5 * MiB} will exceed the limit. ${4 * MiB} bytes remaining.`,
    );
    expect(await statusOf(second)).toBe('queued');
    expect(filesOf(second)).toEqual([]);

    // Size unknown (chunked): stopped where the quota ends, the partial data removed.
    const chunked = owner.startUpload(`/v2/images/${second}/file`, randomBytes(3 * MiB));
    chunked.req.end(randomBytes(2 * MiB));
    const streamed = await chunked.response;
    expect(streamed.status).toBe(413);
    expect(streamed.text).toContain(
      `Image exceeds the storage quota: The size of the data None will exceed the limit. ${4 * MiB} bytes remaining.`,
    );
    await waitForStatus(second, 'queued');
    expect(filesOf(second)).toEqual([]);

    // What is left still fits.
    expect((await owner.put(`/v2/images/${second}/file`, randomBytes(4 * MiB))).status).toBe(204);

    // v1 took the image to `saving` before it looked at the quota: its refusal kills it.
    const third = await createImage(owner);
    const v1 = await owner.put(`/v1/images/${third}`, Buffer.from('x'), {
      Accept: 'application/json',
    });
    expect(v1.status).toBe(413);
    expect(v1.body.message).toBe(
      'Denying attempt to upload image because it exceeds the quota: The size of the data 1 will exceed the limit. 0 bytes remaining.',
    );
    expect(await statusOf(third)).toBe('killed');
    expect(filesOf(third)).toEqual([]);
  });

  it('refuses data over the image size cap with 413, up front and while streaming', async () => {
    const client = new GlanceClient(cluster.glanceUrl, project());
    const id = await createImage(client);
    const upfront = await client.put(`/v2/images/${id}/file`, randomBytes(SIZE_CAP + 1));
    expect(upfront.status).toBe(413);
    expect(upfront.text).toContain(
      'The incoming image is too large: The provided image is too large.',
    );
    expect(upfront.text).toContain('413 Request Entity Too Large');
    // One keep-alive connection: the refused body is read to its end, so the connection
    // still serves the next request.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const streaming = client.startUpload(`/v2/images/${id}/file`, randomBytes(SIZE_CAP), {}, agent);
    streaming.req.end(randomBytes(MiB));
    expect(await streaming.response).toMatchObject({ status: 413 });
    await waitForStatus(id, 'queued');
    expect(filesOf(id)).toEqual([]);
    const next = client.startUpload(`/v2/images/${id}/file`, Buffer.from('fits'), {}, agent);
    next.req.end();
    expect(await next.response).toMatchObject({ status: 204 });
    agent.destroy();
  });

  it('a deactivated image: a member may not download it (403), an admin may', async () => {
    const id = await createImage();
    const data = randomBytes(1000);
    await glance.put(`/v2/images/${id}/file`, data);
    // Deactivation is another helper's route; the status is set the way it would be.
    await cluster.sql(`UPDATE images SET status = 'deactivated' WHERE id = $1`, [id]);
    const member = await glance.asMember().get(`/v2/images/${id}/file`);
    expect(member.status).toBe(403);
    expect(member.text).toContain(
      'The requested image has been deactivated. Image data download is forbidden.',
    );
    const admin = await fetch(`${cluster.glanceUrl}/v2/images/${id}/file`, {
      headers: { 'X-Auth-Token': `u:${glance.projectId}` },
    });
    expect(admin.status).toBe(200);
    expect(Buffer.from(await admin.arrayBuffer()).equals(data)).toBe(true);
  });

  it('a glance-api killed mid-upload settles the image on restart: queued, no partial file', async () => {
    const id = await createImage();
    const upload = glance.startUpload(`/v2/images/${id}/file`, randomBytes(2 * MiB));
    upload.response.catch(() => undefined);
    await waitForStatus(id, 'saving');
    await waitFor(() => filesOf(id).some((name) => name.endsWith('.partial')));
    await cluster.stopService('glance-api', 'SIGKILL');
    upload.req.destroy();
    const [held] = await cluster.sql<{ status: string; upload_host: string }>(
      'SELECT status, upload_host FROM images WHERE id = $1',
      [id],
    );
    expect(held).toEqual({ status: 'saving', upload_host: 'e2e-host' });
    expect(filesOf(id)).toHaveLength(1);

    await cluster.startGlanceApi(GLANCE_ENV);
    expect(await statusOf(id)).toBe('queued');
    expect(filesOf(id)).toEqual([]);
    expect((await glance.put(`/v2/images/${id}/file`, Buffer.from('after'))).status).toBe(204);
  }, 60_000);

  describe('locations (PATCH /v2/images/{id}, show_multiple_locations on)', () => {
    /** Data an operator put into a store, to be registered as a location. */
    function placeData(store: string, bytes: Buffer): string {
      const dir = cluster.imageStoreDir(store);
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `registered-${randomUUID()}`);
      writeFileSync(path, bytes);
      return pathToFileURL(path).href;
    }

    it('adding a location to a queued image makes it active without saving, with its size', async () => {
      const id = await createImage();
      const data = randomBytes(4096);
      const url = placeData('file2', data);
      const added = await glance.patch(`/v2/images/${id}`, [
        { op: 'add', path: '/locations/-', value: { url, metadata: {} } },
      ]);
      expect(added.status).toBe(200);
      expect(added.body).toMatchObject({
        status: 'active',
        size: data.length,
        checksum: null,
        locations: [{ url, metadata: { store: 'file2' } }],
      });
      // Never `saving`: no upload held it, nothing was hashed.
      const [row] = await cluster.sql(
        'SELECT upload_host, os_hash_value FROM images WHERE id = $1',
        [id],
      );
      expect(row).toEqual({ upload_host: null, os_hash_value: null });
      const download = await fetch(`${cluster.glanceUrl}/v2/images/${id}/file`, {
        headers: { 'X-Auth-Token': `u:${glance.projectId}` },
      });
      expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true);
    });

    it('takes validation data for a queued image; conflicting values are a 409', async () => {
      const id = await createImage();
      const data = randomBytes(2048);
      const url = placeData('file1', data);
      const conflicting = await glance.patch(`/v2/images/${id}`, [
        {
          op: 'add',
          path: '/locations/-',
          value: {
            url,
            metadata: {},
            validation_data: { os_hash_algo: 'sha256', os_hash_value: sha512(data) },
          },
        },
      ]);
      expect(conflicting.status).toBe(409);
      expect(conflicting.text).toContain('os_hash_algo must be sha512, not sha256');
      const added = await glance.patch(`/v2/images/${id}`, [
        {
          op: 'add',
          path: '/locations/-',
          value: {
            url,
            metadata: {},
            validation_data: {
              checksum: md5(data),
              os_hash_algo: 'sha512',
              os_hash_value: sha512(data),
            },
          },
        },
      ]);
      expect(added.status).toBe(200);
      expect(added.body).toMatchObject({
        status: 'active',
        checksum: md5(data),
        os_hash_algo: 'sha512',
        os_hash_value: sha512(data),
      });
    });

    it('with show_multiple_locations off, location changes are refused (403)', async () => {
      const port = await freePort();
      await cluster.startService(
        'glance-api-hidden-locations',
        'apps/glance-api/dist/main.js',
        {
          ...GLANCE_ENV,
          GLANCE_SHOW_MULTIPLE_LOCATIONS: 'false',
          GLANCE_PORT: String(port),
          GLANCE_STORES: ['file1', 'file2']
            .map((store) => `${store}:${cluster.imageStoreDir(store)}`)
            .join(','),
          SERVICE_HOST: 'e2e-host-hidden',
        },
        'glance-api listening',
      );
      try {
        const hidden = new GlanceClient(`http://127.0.0.1:${port}`, glance.projectId);
        const id = await createImage(hidden);
        const url = placeData('file1', Buffer.from('data'));
        const refused = await hidden.patch(`/v2/images/${id}`, [
          { op: 'add', path: '/locations/-', value: { url, metadata: {} } },
        ]);
        expect(refused.status).toBe(403);
        // webob's HTML page escapes the apostrophe of "It's".
        expect(refused.text).toContain(
          'It&#x27;s not allowed to add locations if locations are invisible.',
        );
        expect(await statusOf(id)).toBe('queued');
      } finally {
        await cluster.stopService('glance-api-hidden-locations');
      }
    });

    it('refuses locations outside the stores, of another image’s data, and duplicates', async () => {
      const other = await createImage();
      await glance.put(`/v2/images/${other}/file`, Buffer.from('secret'));
      const otherUrl = pathToFileURL(join(cluster.imageStoreDir('file1'), other)).href;
      const id = await createImage();
      for (const url of ['file:///etc/passwd', otherUrl, 'http://example.com/x.img']) {
        const refused = await glance.patch(`/v2/images/${id}`, [
          { op: 'add', path: '/locations/-', value: { url, metadata: {} } },
        ]);
        expect(refused.status).toBe(400);
        expect(refused.text).toContain('Invalid location');
      }
      expect(await statusOf(id)).toBe('queued');
      const url = placeData('file1', Buffer.from('mine'));
      expect(
        (
          await glance.patch(`/v2/images/${id}`, [
            { op: 'add', path: '/locations/-', value: { url, metadata: {} } },
          ])
        ).status,
      ).toBe(200);
      const duplicate = await glance.patch(`/v2/images/${id}`, [
        { op: 'add', path: '/locations/-', value: { url, metadata: {} } },
      ]);
      expect(duplicate.status).toBe(400);
      expect(duplicate.text).toContain(`The location ${url} already exists`);
    });

    it('lists only active locations: a removed one is deleted (data gone) and no longer shown', async () => {
      const id = await createImage();
      const data = Buffer.from('same bytes in two stores');
      const first = placeData('file1', data);
      const second = placeData('file2', data);
      for (const url of [first, second]) {
        const res = await glance.patch(`/v2/images/${id}`, [
          { op: 'add', path: '/locations/-', value: { url, metadata: {} } },
        ]);
        expect(res.status).toBe(200);
      }
      expect((await glance.get(`/v2/images/${id}`)).body.locations).toHaveLength(2);
      const asMember = await glance
        .asMember()
        .patch(`/v2/images/${id}`, [{ op: 'remove', path: '/locations/0' }]);
      expect(asMember.status).toBe(403);
      const removed = await glance.patch(`/v2/images/${id}`, [
        { op: 'remove', path: '/locations/0' },
      ]);
      expect(removed.status).toBe(200);
      expect(removed.body.locations).toEqual([{ url: second, metadata: { store: 'file2' } }]);
      expect(removed.body.direct_url).toBe(second);
      const rows = await cluster.sql<{ value: string; status: string }>(
        'SELECT value, status FROM image_locations WHERE image_id = $1 ORDER BY id',
        [id],
      );
      expect(rows).toEqual([
        { value: first, status: 'deleted' },
        { value: second, status: 'active' },
      ]);
      expect(existsSync(new URL(first))).toBe(false);
      const last = await glance.patch(`/v2/images/${id}`, [{ op: 'remove', path: '/locations/0' }]);
      expect(last.status).toBe(403);
      expect(last.text).toContain('Cannot remove last location in the image.');
    });
  });

  it('works with the real glance client: image-upload, then image-download', async () => {
    if (!existsSync('/usr/bin/glance')) {
      console.warn('skipped: /usr/bin/glance is absent (apt-get install python3-glanceclient)');
      return;
    }
    const id = await createImage();
    const source = join(cluster.workDir, 'cli-upload.bin');
    const target = join(cluster.workDir, 'cli-download.bin');
    const data = randomBytes(3 * MiB + 7);
    writeFileSync(source, data);
    const cli = (...args: string[]) =>
      promisify(execFile)(
        'glance',
        [
          '--os-image-api-version',
          '2',
          '--os-image-url',
          cluster.glanceUrl,
          '--os-auth-token',
          `cli-user:${glance.projectId}`,
          ...args,
        ],
        { timeout: 60_000 },
      );
    await cli('image-upload', '--file', source, '--store', 'file2', id);
    const image = (await glance.get(`/v2/images/${id}`)).body;
    expect(image).toMatchObject({ status: 'active', checksum: md5(data), size: data.length });
    expect(image.stores).toBe('file2');
    // The client checks os_hash_value (sha512) of what it downloads.
    await cli('image-download', '--file', target, id);
    expect(readFileSync(target).equals(data)).toBe(true);
  }, 90_000);
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
