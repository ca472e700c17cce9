/* eslint-disable @typescript-eslint/no-explicit-any -- API bodies are JSON picked apart per test */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';
import { GlanceClient } from '../support/glance-client';

/**
 * Issue 12, create from an image: "the API checks the image exists, is `active`, is visible to
 * the caller, and fits (`min_disk`, the image's size and its virtual size; Cinder's messages and
 * codes). cinder-volume moves the volume `creating → downloading`, streams the bytes from
 * glance-api (with the caller's token), verifies the image's hash while writing, and ends
 * `available` with `bootable` true and `volume_image_metadata` ... A deactivated or deleted
 * image, a hash mismatch, or glance-api going away mid-stream ends the volume in `error` with a
 * user message and no stray bytes." And: "Kill -9 cinder-volume mid-download ...: on restart
 * ... volume `error`"; "clone/snapshot copies" the volume's glance metadata.
 *
 * Two backends: `fast`, and `slow`, whose creates take 3 s before the download starts and whose
 * image data is written at 8 MiB/s, so that what happens before or during a download is staged
 * deterministically (the volume is seen `creating` or `downloading` first).
 */
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SLOW_CREATE_MS = 3000;
const SLOW_BPS = 8 * MiB;
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

function fault(code: number, message: string) {
  const name = { 400: 'badRequest', 404: 'itemNotFound', 409: 'conflictingRequest' }[code];
  return { [name ?? 'serviceUnavailable']: { code, message } };
}

describe('volumes created from images', () => {
  const cluster = new Cluster([
    { name: 'fast', capacityGb: 50 },
    {
      name: 'slow',
      capacityGb: 50,
      env: {
        DRIVER_CREATE_DELAY_MS: String(SLOW_CREATE_MS),
        DRIVER_IMAGE_COPY_BPS: String(SLOW_BPS),
      },
    },
  ]);
  let api: ApiClient;
  let glance: GlanceClient;

  beforeAll(async () => {
    await cluster.start();
    await cluster.startGlanceApi();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
    glance = new GlanceClient(cluster.glanceUrl, PROJECT_A);
    for (const name of ['fast', 'slow']) {
      const type = await api.post('types', {
        volume_type: { name, extra_specs: { volume_backend_name: name } },
      });
      expect(type.status).toBe(200);
    }
  }, 90_000);
  afterAll(() => cluster.stop());

  const fileOf = (backend: string, id: string) => join(cluster.dataDir(backend), `volume-${id}`);

  function read(path: string, length: number, offset = 0): Buffer {
    const fd = openSync(path, 'r');
    try {
      const bytes = Buffer.alloc(length);
      readSync(fd, bytes, 0, length, offset);
      return bytes;
    } finally {
      closeSync(fd);
    }
  }

  /** An image with data, uploaded through glance-api (queued → saving → active). */
  async function uploadImage(data: Buffer, fields: Record<string, unknown> = {}) {
    const created = await glance.post('/v2/images', {
      name: `img-${randomUUID().slice(0, 8)}`,
      disk_format: 'raw',
      container_format: 'bare',
      ...fields,
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const put = await glance.put(`/v2/images/${id}/file`, data);
    expect(put.status).toBe(204);
    const shown = await glance.get(`/v2/images/${id}`);
    expect(shown.body.status).toBe('active');
    return shown.body as Record<string, any> & { id: string };
  }

  /** Where glance-api keeps the image's data. */
  async function storedFile(imageId: string): Promise<string> {
    const [location] = await cluster.sql<{ value: string }>(
      `SELECT value FROM image_locations WHERE image_id = $1 AND status = 'active'`,
      [imageId],
    );
    return fileURLToPath(location.value);
  }

  async function createFrom(imageRef: string, more: Record<string, unknown> = {}) {
    const res = await api.post('volumes', { volume: { size: 1, imageRef, ...more } });
    expect(res.status).toBe(202);
    return res.body.volume.id as string;
  }

  const settled = (id: string, timeoutMs = 30_000) =>
    api.waitForVolume(id, (v) => v?.status === 'available' || v?.status === 'error', timeoutMs);

  async function messagesOf(volumeId: string) {
    const res = await api.withVersion('3.3').get('messages');
    return (res.body.messages as Record<string, any>[]).filter((m) => m.resource_uuid === volumeId);
  }

  /** The user message a failed create from an image leaves, and its stored explanation. */
  async function expectCopyFailure(volumeId: string, explanation: RegExp) {
    expect(await messagesOf(volumeId)).toEqual([
      expect.objectContaining({
        event_id: 'VOLUME_VOLUME_005_001',
        user_message: 'copy image to volume: An unknown error occurred.',
        message_level: 'ERROR',
        resource_type: 'VOLUME',
      }),
    ]);
    const [row] = await cluster.sql<{ detail: string }>(
      'SELECT detail FROM messages WHERE resource_uuid = $1',
      [volumeId],
    );
    expect(row.detail).toMatch(explanation);
  }

  /** The volume's file holds no bytes at all: its size, all holes. */
  function expectCleared(backend: string, id: string, sizeGb = 1) {
    const st = statSync(fileOf(backend, id));
    expect({ size: st.size, allocated: st.blocks * 512 }).toEqual({
      size: sizeGb * GiB,
      allocated: 0,
    });
  }

  describe('success', () => {
    // Random bytes, two MiB of zeros and more random bytes: what is written must be exactly
    // this, and the zeros may stay holes.
    const data = Buffer.concat([randomBytes(MiB), Buffer.alloc(2 * MiB), randomBytes(999)]);
    let image: Record<string, any> & { id: string };
    let volumeId: string;

    beforeAll(async () => {
      image = await uploadImage(data, {
        min_disk: 1,
        min_ram: 256,
        os_distro: 'cirros',
        hw_disk_bus: 'scsi',
      });
    });

    it('writes the image into the volume: available, bootable, with its image metadata', async () => {
      const res = await api.post('volumes', {
        volume: { size: 1, imageRef: image.id, volume_type: 'fast', name: 'from-image' },
      });
      expect(res.status).toBe(202);
      volumeId = res.body.volume.id as string;
      const volume = await settled(volumeId);
      expect(volume).toMatchObject({ status: 'available', bootable: 'true' });
      expect(volume?.volume_image_metadata).toEqual({
        image_id: image.id,
        image_name: image.name,
        checksum: md5(data),
        container_format: 'bare',
        disk_format: 'raw',
        min_disk: '1',
        min_ram: '256',
        size: String(data.length),
        os_distro: 'cirros',
        hw_disk_bus: 'scsi',
        signature_verified: 'False',
      });
      // The bytes: the image's, then zeros up to the volume's size.
      const file = fileOf('fast', volumeId);
      expect(statSync(file).size).toBe(GiB);
      expect(read(file, data.length).equals(data)).toBe(true);
      expect(read(file, 4096, data.length).equals(Buffer.alloc(4096))).toBe(true);
      expect(read(file, 4096, GiB - 4096).equals(Buffer.alloc(4096))).toBe(true);
      // Its zeros stayed holes: the volume is still thin.
      expect(statSync(file).blocks * 512).toBeLessThan(2 * MiB);
      // cinder-volume read the image as the caller, under the create's request id.
      const requestId = res.headers.get('x-openstack-request-id');
      const glanceCalls = cluster
        .logOf('glance-api')
        .split('\n')
        .filter((line) => line.includes(`"request_id":"${requestId}"`))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.msg === 'request');
      expect(glanceCalls).toContainEqual(
        expect.objectContaining({
          method: 'GET',
          path: `/v2/images/${image.id}/file`,
          status: 200,
          user_id: 'e2e-user',
          project_id: PROJECT_A,
        }),
      );
      // Nothing left noted as in progress.
      expect(await cluster.sql('SELECT * FROM workers WHERE resource_id = $1', [volumeId])).toEqual(
        [],
      );
    });

    it('finds the image by name, and by an href ending in its id (image_id too)', async () => {
      const byName = await createFrom(image.name, { volume_type: 'fast' });
      const byHref = await createFrom(`${cluster.glanceUrl}/v2/images/${image.id}`, {
        volume_type: 'fast',
      });
      const res = await api.post('volumes', {
        volume: { size: 2, image_id: image.id, volume_type: 'fast' },
      });
      expect(res.status).toBe(202);
      for (const id of [byName, byHref, res.body.volume.id as string]) {
        const volume = await settled(id);
        expect(volume).toMatchObject({ status: 'available', bootable: 'true' });
        expect(volume?.volume_image_metadata.image_id).toBe(image.id);
      }
    });

    it('a snapshot keeps the image metadata; volumes made from it and clones get it', async () => {
      const snap = await api.post('snapshots', { snapshot: { volume_id: volumeId, name: 's' } });
      expect(snap.status).toBe(202);
      const snapshotId = snap.body.snapshot.id as string;
      await cluster.waitFor(
        async () =>
          (await api.get(`snapshots/${snapshotId}`)).body.snapshot?.status === 'available',
        20_000,
        () => 'snapshot never became available',
      );
      const kept = await cluster.sql<{ key: string; value: string }>(
        'SELECT key, value FROM volume_glance_metadata WHERE snapshot_id = $1',
        [snapshotId],
      );
      const original = (await api.get(`volumes/${volumeId}`)).body.volume.volume_image_metadata;
      expect(Object.fromEntries(kept.map((r) => [r.key, r.value]))).toEqual(original);

      const fromSnapshot = await api.post('volumes', { volume: { snapshot_id: snapshotId } });
      const clone = await api.post('volumes', { volume: { source_volid: volumeId } });
      for (const res of [fromSnapshot, clone]) {
        expect(res.status).toBe(202);
        const volume = await settled(res.body.volume.id as string);
        expect(volume).toMatchObject({ status: 'available', bootable: 'true' });
        expect(volume?.volume_image_metadata).toEqual(original);
        expect(read(fileOf('fast', volume?.id as string), data.length).equals(data)).toBe(true);
      }
    });

    it('takes the type the image names (cinder_img_volume_type) when none is asked for', async () => {
      const typed = await uploadImage(randomBytes(4096), { cinder_img_volume_type: 'fast' });
      const id = await createFrom(typed.id);
      expect(await settled(id)).toMatchObject({ status: 'available', volume_type: 'fast' });
      const unknown = await uploadImage(randomBytes(4096), { cinder_img_volume_type: 'nope' });
      const res = await api.post('volumes', { volume: { size: 1, imageRef: unknown.id } });
      expect(res).toMatchObject({
        status: 404,
        body: fault(404, 'Volume type with name nope could not be found.'),
      });
    });

    it('a volume that is not bootable passes no image metadata on', async () => {
      const plain = await api.post('volumes', { volume: { size: 1, volume_type: 'fast' } });
      const plainId = plain.body.volume.id as string;
      await settled(plainId);
      const clone = await api.post('volumes', { volume: { source_volid: plainId } });
      const volume = await settled(clone.body.volume.id as string);
      expect(volume).toMatchObject({ status: 'available', bootable: 'false' });
      expect(volume).not.toHaveProperty('volume_image_metadata');
    });
  });

  describe("the API's checks, with Cinder's codes and messages", () => {
    let image: Record<string, any> & { id: string };

    beforeAll(async () => {
      image = await uploadImage(randomBytes(4096), { min_disk: 2 });
    });

    async function refused(volume: Record<string, unknown>) {
      const before = await cluster.sql('SELECT count(*)::int AS n FROM volumes');
      const res = await api.post('volumes', { volume });
      // A refusal writes nothing.
      expect(await cluster.sql('SELECT count(*)::int AS n FROM volumes')).toEqual(before);
      return { status: res.status, body: res.body };
    }

    it('refuses an image that is not active (400)', async () => {
      const queued = await glance.post('/v2/images', {
        name: 'queued',
        disk_format: 'raw',
        container_format: 'bare',
      });
      expect(await refused({ size: 2, imageRef: queued.body.id })).toEqual({
        status: 400,
        body: fault(400, `Invalid input received: Image ${queued.body.id} is not active.`),
      });
      const deactivated = await uploadImage(randomBytes(512));
      expect(
        (await glance.post(`/v2/images/${deactivated.id}/actions/deactivate`, {})).status,
      ).toBe(204);
      expect(await refused({ size: 1, imageRef: deactivated.id })).toEqual({
        status: 400,
        body: fault(400, `Invalid input received: Image ${deactivated.id} is not active.`),
      });
    });

    it('refuses a volume the image does not fit (400): min_disk, size, virtual size', async () => {
      expect(await refused({ size: 1, imageRef: image.id })).toEqual({
        status: 400,
        body: fault(
          400,
          'Invalid input received: Volume size 1GB cannot be smaller than the image minDisk size 2GB.',
        ),
      });
      // Glance computes size and virtual_size itself; a 2 GiB + 1 upload is a lot of bytes
      // for a test, so the record says so instead (FIXTURE: the data stays 4 KiB).
      const big = await uploadImage(randomBytes(4096));
      await cluster.sql('UPDATE images SET size = $2 WHERE id = $1', [big.id, 2 * GiB + 1]);
      expect(await refused({ size: 2, imageRef: big.id })).toEqual({
        status: 400,
        body: fault(
          400,
          'Invalid input received: Size of specified image 3GB is larger than volume size 2GB.',
        ),
      });
      await cluster.sql('UPDATE images SET size = 4096, virtual_size = $2 WHERE id = $1', [
        big.id,
        5 * GiB,
      ]);
      expect(await refused({ size: 2, imageRef: big.id })).toEqual({
        status: 400,
        body: fault(
          400,
          `Image ${big.id} is unacceptable: Image virtual size is 5GB and doesn't fit in a volume of size 2GB.`,
        ),
      });
    });

    it('refuses an image it cannot find (400), and an ambiguous name (409)', async () => {
      const invalid = fault(400, 'Invalid image identifier or unable to access requested image.');
      expect(await refused({ size: 1, imageRef: randomUUID() })).toEqual({
        status: 400,
        body: invalid,
      });
      expect(await refused({ size: 1, imageRef: 'no-such-image' })).toEqual({
        status: 400,
        body: invalid,
      });
      await uploadImage(randomBytes(16), { name: 'twin' });
      await uploadImage(randomBytes(16), { name: 'twin' });
      expect(await refused({ size: 1, imageRef: 'twin' })).toEqual({
        status: 409,
        body: fault(409, "Multiple matches found for 'twin', use an ID to be more specific."),
      });
    });

    it('needs a size, as Cinder (400), and one source only', async () => {
      expect(await refused({ imageRef: image.id })).toEqual({
        status: 400,
        body: fault(
          400,
          "Invalid input received: Volume size 'None' must be an integer and greater than 0",
        ),
      });
      const other = await api.post('volumes', { volume: { size: 2, volume_type: 'fast' } });
      await settled(other.body.volume.id as string);
      expect(
        await refused({ size: 2, imageRef: image.id, source_volid: other.body.volume.id }),
      ).toEqual({
        status: 400,
        body: fault(
          400,
          'Invalid input received: May specify only one of backup, imageRef, snapshot, source volume',
        ),
      });
    });

    it('answers 503 with Retry-After while glance-api is away, and nothing is written', async () => {
      await cluster.stopService('glance-api');
      try {
        const before = await cluster.sql('SELECT count(*)::int AS n FROM volumes');
        const res = await api.post('volumes', { volume: { size: 2, imageRef: image.id } });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('2');
        expect(res.body.serviceUnavailable.message).toMatch(/^Connection to glance failed: /);
        expect(await cluster.sql('SELECT count(*)::int AS n FROM volumes')).toEqual(before);
      } finally {
        await cluster.startGlanceApi();
      }
    });
  });

  describe('failures in cinder-volume: error, a user message, no stray bytes', () => {
    it('a hash mismatch (the stored data corrupted): error, the volume cleared', async () => {
      const data = randomBytes(3 * MiB);
      const image = await uploadImage(data);
      // Same length, one byte flipped in the middle: only the hashes can tell.
      const stored = await storedFile(image.id);
      const fd = openSync(stored, 'r+');
      writeSync(fd, Buffer.from([data[MiB] ^ 0xff]), 0, 1, MiB);
      closeSync(fd);
      const id = await createFrom(image.id, { volume_type: 'fast' });
      const volume = await settled(id);
      expect(volume).toMatchObject({ status: 'error', bootable: 'false' });
      expect(volume).not.toHaveProperty('volume_image_metadata');
      await expectCopyFailure(
        id,
        /^Failed to copy image to volume: Corrupt image download\. Hash was [0-9a-f]{128} expected [0-9a-f]{128}$/,
      );
      expectCleared('fast', id);
    });

    it('an image deleted after the API checked it, before the download: error', async () => {
      const image = await uploadImage(randomBytes(MiB));
      const id = await createFrom(image.id, { volume_type: 'slow' });
      expect((await glance.delete(`/v2/images/${image.id}`)).status).toBe(204);
      // Still creating: the slow backend has not looked at the image yet.
      expect((await api.get(`volumes/${id}`)).body.volume.status).toBe('creating');
      expect(await settled(id)).toMatchObject({ status: 'error' });
      await expectCopyFailure(id, new RegExp(`^Image ${image.id} could not be found\\.$`));
      expectCleared('slow', id);
    });

    it('an image deactivated after the API checked it, before the download: error', async () => {
      const image = await uploadImage(randomBytes(MiB));
      const id = await createFrom(image.id, { volume_type: 'slow' });
      expect((await glance.post(`/v2/images/${image.id}/actions/deactivate`, {})).status).toBe(204);
      expect((await api.get(`volumes/${id}`)).body.volume.status).toBe('creating');
      expect(await settled(id)).toMatchObject({ status: 'error' });
      await expectCopyFailure(
        id,
        new RegExp(`^Invalid input received: Image ${image.id} is not active\\.$`),
      );
      expectCleared('slow', id);
    });

    it('glance-api gone mid-download: error, the partial data cleared', async () => {
      // 64 MiB at 8 MiB/s: 8 s of download, more than socket buffers hold.
      const image = await uploadImage(randomBytes(64 * MiB));
      const id = await createFrom(image.id, { volume_type: 'slow' });
      await api.waitForVolume(id, (v) => v?.status === 'downloading', 15_000);
      await new Promise((r) => setTimeout(r, 1000));
      await cluster.stopService('glance-api', 'SIGKILL');
      try {
        expect(await settled(id, 30_000)).toMatchObject({ status: 'error' });
        await expectCopyFailure(id, /^Failed to copy image to volume: /);
        expectCleared('slow', id);
      } finally {
        await cluster.startGlanceApi();
      }
      expect(cluster.isRunning('cinder-volume@slow')).toBe(true);
    });

    it('cinder-volume killed mid-download: error on restart, the partial data cleared', async () => {
      const image = await uploadImage(randomBytes(64 * MiB));
      const id = await createFrom(image.id, { volume_type: 'slow' });
      await api.waitForVolume(id, (v) => v?.status === 'downloading', 15_000);
      // Some data written: the file is no longer all holes.
      await cluster.waitFor(
        () => statSync(fileOf('slow', id)).blocks > 0,
        10_000,
        () => 'no image data reached the volume',
      );
      await cluster.stopService('cinder-volume@slow', 'SIGKILL');
      expect((await api.get(`volumes/${id}`)).body.volume.status).toBe('downloading');
      await cluster.startBackend(
        { name: 'slow', capacityGb: 50 },
        { DRIVER_CREATE_DELAY_MS: String(SLOW_CREATE_MS), DRIVER_IMAGE_COPY_BPS: String(SLOW_BPS) },
      );
      expect(await settled(id)).toMatchObject({ status: 'error' });
      await expectCopyFailure(id, /interrupted by a restart/);
      expectCleared('slow', id);
      expect(await cluster.sql('SELECT * FROM workers WHERE resource_id = $1', [id])).toEqual([]);
      // The backend works on: a new create from an image there succeeds.
      const small = await uploadImage(randomBytes(4096));
      expect(await settled(await createFrom(small.id, { volume_type: 'slow' }))).toMatchObject({
        status: 'available',
      });
    });
  });
});
