import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';
import { GlanceClient } from '../support/glance-client';
import { readSparse } from '../support/sparse-read';

const GiB = 1024 ** 3;
/**
 * How long a whole GiB may take to reach glance-api (hashed twice, written and synced there):
 * seconds on a quiet machine, minutes on a loaded two-core CI one.
 */
const UPLOAD_MS = 150_000;
const connector = { host: 'compute-1', ip: '127.0.0.1', platform: 'x86_64', os_type: 'linux' };
/** `slow` pauses every read of a volume this long after its first MiB: mid-upload is staged. */
const READ_PAUSE_MS = 5000;
const SLOW = {
  name: 'slow',
  capacityGb: 100,
  env: { DRIVER_READ_DELAY_MS: String(READ_PAUSE_MS) },
};

/** Glance's checksum (MD5) and os_hash_value (SHA-512) of a stream of bytes, and its length. */
async function digests(stream: Readable) {
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  let size = 0;
  for await (const chunk of stream) {
    md5.update(chunk as Buffer);
    sha512.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { md5: md5.digest('hex'), sha512: sha512.digest('hex'), size };
}

/**
 * Issue 12, "Upload to an image (os-volume_upload_image, cinder upload-to-image, --force for
 * in-use volumes, visibility and protected from 3.1): the volume goes `uploading`, an image is
 * created in `queued` and filled through `saving → active`; the volume returns to `available` or
 * `in-use` by its attachments. On failure the half-made image is deleted, and the volume returns
 * to its status; neither side is left stuck. Response shape as Cinder's." And "Kill -9
 * cinder-volume ... mid-upload: on restart both sides settle", and "The volume's glance_metadata
 * survives backup and restore".
 */
describe('os-volume_upload_image: a volume becomes an image in glance-api', () => {
  // A test may wait for two or three uploads.
  jest.setTimeout(4 * UPLOAD_MS);
  const cluster = new Cluster([{ name: 'disk', capacityGb: 100 }, SLOW]);
  let api: ApiClient;
  let glance: GlanceClient;

  beforeAll(async () => {
    await cluster.start();
    await cluster.startGlanceApi();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
    glance = new GlanceClient(cluster.glanceUrl, PROJECT_A);
    for (const backend of ['disk', 'slow']) {
      const res = await api.post('types', {
        volume_type: { name: `on-${backend}`, extra_specs: { volume_backend_name: backend } },
      });
      expect(res.status).toBe(200);
    }
  });
  afterAll(() => cluster.stop());

  async function availableVolume(backend = 'disk'): Promise<string> {
    const res = await api.post('volumes', { volume: { size: 1, volume_type: `on-${backend}` } });
    expect(res.status).toBe(202);
    const id = res.body.volume.id as string;
    await api.waitForVolume(id, (v) => v?.status === 'available');
    return id;
  }

  async function inUseVolume(backend = 'disk'): Promise<string> {
    const id = await availableVolume(backend);
    const v344 = api.withVersion('3.44');
    const res = await v344.post('attachments', {
      attachment: { volume_uuid: id, instance_uuid: randomUUID(), connector },
    });
    expect(res.status).toBe(200);
    await v344.post(`attachments/${res.body.attachment.id as string}/action`, {
      'os-complete': {},
    });
    await api.waitForVolume(id, (v) => v?.status === 'in-use');
    return id;
  }

  const fileOf = (backend: string, id: string) => join(cluster.dataDir(backend), `volume-${id}`);

  /** Writes bytes into the volume's file, as a consumer of an attachment would. */
  function write(backend: string, id: string, at: number, data: Buffer): void {
    const fd = openSync(fileOf(backend, id), 'r+');
    try {
      writeSync(fd, data, 0, data.length, at);
    } finally {
      closeSync(fd);
    }
  }

  const upload = (id: string, body: Record<string, unknown>, client = api) =>
    client.post(`volumes/${id}/action`, { 'os-volume_upload_image': body });

  async function image(id: string) {
    const res = await glance.get(`/v2/images/${id}`, { Accept: 'application/json' });
    return res.status === 404 ? null : (res.body as Record<string, unknown>);
  }

  async function waitImage(
    id: string,
    done: (image: Record<string, unknown> | null) => boolean,
    timeoutMs = UPLOAD_MS,
  ): Promise<Record<string, unknown> | null> {
    let last: Record<string, unknown> | null = null;
    await cluster.waitFor(
      async () => done((last = await image(id))),
      timeoutMs,
      () => `image ${id} never got there; last: ${JSON.stringify(last)}`,
    );
    return last;
  }

  /** The image's data as glance-api serves it (GET /file), digested while it streams. */
  async function download(id: string) {
    const res = await fetch(`${cluster.glanceUrl}/v2/images/${id}/file`, {
      headers: { 'X-Auth-Token': `e2e-user:${PROJECT_A}` },
    });
    expect(res.status).toBe(200);
    const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    return { contentMd5: res.headers.get('content-md5'), ...(await digests(body)) };
  }

  const volumeRow = async (id: string) =>
    (
      await cluster.sql<{ status: string; previous_status: string | null; admin_metadata: object }>(
        'SELECT status, previous_status, admin_metadata FROM volumes WHERE id = $1',
        [id],
      )
    )[0];

  const messagesOf = async (id: string) =>
    (await api.withVersion('3.3').get('messages')).body.messages.filter(
      (m: { resource_uuid: string }) => m.resource_uuid === id,
    ) as Record<string, unknown>[];

  const uploadFailedMessage = (id: string) =>
    expect.objectContaining({
      resource_uuid: id,
      resource_type: 'VOLUME',
      event_id: 'VOLUME_VOLUME_003_004',
      user_message: 'copy volume to image: Failed to upload volume to image at backend.',
    });

  /**
   * No note of the upload is left in `workers` (the volume's, or the image's follow-up). A failed
   * upload runs its follow-up just after the volume is back, so this waits a little.
   */
  async function expectNoNotes(volumeId: string, imageId: string) {
    let notes: unknown[] = [];
    await cluster.waitFor(
      async () =>
        (notes = await cluster.sql('SELECT * FROM workers WHERE resource_id = ANY($1::uuid[])', [
          [volumeId, imageId],
        ])).length === 0,
      30_000,
      () => `notes left: ${JSON.stringify(notes)}`,
    );
  }

  it("uploads every byte (queued → saving → active) with the volume's custom image properties; Cinder's response; the volume back to available", async () => {
    const id = await availableVolume();
    const head = randomBytes(1024 * 1024);
    const middle = randomBytes(4096);
    const tail = randomBytes(8192);
    write('disk', id, 0, head);
    write('disk', id, 512 * 1024 * 1024 + 13, middle);
    write('disk', id, GiB - tail.length, tail);
    // What a volume made from an image carries: core properties are not passed on, nor Glance's
    // reserved namespaces; custom ones are.
    const set = await api.post(`volumes/${id}/action`, {
      'os-set_image_metadata': {
        metadata: {
          image_id: randomUUID(),
          image_name: 'cirros',
          checksum: 'not-this-one',
          min_ram: '64',
          hw_disk_bus: 'scsi',
          os_distro: 'cirros',
          os_glance_importer: 'reserved',
          img_signature: 'reserved',
        },
      },
    });
    expect(set.status).toBe(200);

    const res = await upload(id, { image_name: 'from-volume', force: false });
    expect(res.status).toBe(202);
    const body = res.body['os-volume_upload_image'] as Record<string, unknown>;
    expect(Object.keys(res.body)).toEqual(['os-volume_upload_image']);
    expect(body).toEqual({
      id,
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
      status: 'uploading',
      display_description: null,
      size: 1,
      volume_type: expect.objectContaining({
        name: 'on-disk',
        extra_specs: { volume_backend_name: 'disk' },
        is_public: true,
        deleted: false,
      }),
      image_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      container_format: 'bare',
      disk_format: 'raw',
      image_name: 'from-volume',
      // Glance v2 always shows them, so Cinder passes them on at any microversion. Before 3.1
      // Cinder sends no visibility: the image has Glance's default.
      protected: false,
      visibility: 'shared',
    });
    const imageId = body.image_id as string;
    // Answered once the volume is `uploading` and the cast is on its way.
    expect((await volumeRow(id)).status).toBe('uploading');
    expect((await volumeRow(id)).previous_status).toBe('available');

    const done = await waitImage(imageId, (i) => i?.status === 'active');
    await api.waitForVolume(id, (v) => v?.status === 'available', UPLOAD_MS);
    const file = await digests(await readSparse(fileOf('disk', id)));
    expect(done).toMatchObject({
      name: 'from-volume',
      owner: PROJECT_A,
      visibility: 'shared',
      protected: false,
      disk_format: 'raw',
      container_format: 'bare',
      size: GiB,
      checksum: file.md5,
      os_hash_algo: 'sha512',
      os_hash_value: file.sha512,
      hw_disk_bus: 'scsi',
      os_distro: 'cirros',
    });
    for (const key of ['image_name', 'image_id', 'os_glance_importer', 'img_signature'])
      expect(done).not.toHaveProperty(key);
    expect(done!.min_ram).toBe(0);

    const served = await download(imageId);
    expect(served).toMatchObject({ size: GiB, md5: file.md5, sha512: file.sha512 });
    // Glance's Content-MD5 is the checksum, in hex.
    expect(served.contentMd5).toBe(file.md5);
    expect((await volumeRow(id)).admin_metadata).toEqual({});
    expect(await messagesOf(id)).toEqual([]);
    await expectNoNotes(id, imageId);

    // A late copy of the message (a duplicate delivery) changes nothing.
    const duplicate = 'req-7e57d0b1-e000-4000-8000-0000000d0912';
    await cluster.publish(`cinder-volume.${cluster.serviceHost('disk')}`, {
      method: 'copy_volume_to_image',
      context: {
        request_id: duplicate,
        user_id: 'e2e-user',
        project_id: PROJECT_A,
        roles: ['admin'],
        is_admin: true,
        sent_at: new Date().toISOString(),
      },
      payload: {
        volume_id: id,
        image_meta: { id: imageId, container_format: 'bare', disk_format: 'raw' },
      },
    });
    await cluster.waitFor(
      () =>
        cluster
          .logOf('cinder-volume@disk')
          .split('\n')
          .some((l) => l.includes(duplicate) && l.includes('nothing to do')),
      10_000,
      () => 'the duplicate was not recognised',
    );
    expect((await image(imageId))?.status).toBe('active');
    expect((await volumeRow(id)).status).toBe('available');
    expect(await messagesOf(id)).toEqual([]);
    await glance.delete(`/v2/images/${imageId}`);
  });

  it("refuses what Cinder refuses, with Cinder's words, and makes no image then", async () => {
    const id = await availableVolume();
    const refusals: [ApiClient, Record<string, unknown>, string][] = [
      [api, {}, "'image_name' is a required property"],
      [api, { image_name: '' }, 'image_name'],
      [api, { image_name: 'x'.repeat(256) }, 'image_name'],
      [api, { image_name: 'x', disk_format: 'iso' }, 'disk_format'],
      [api, { image_name: 'x', force: 'maybe' }, 'force'],
      [api, { image_name: 'x', container_format: 'b'.repeat(256) }, 'container_format'],
      [api, { image_name: 'x', extra: 1 }, "('extra' was unexpected)"],
      // Before 3.1 there is no visibility nor protected.
      [api, { image_name: 'x', visibility: 'private' }, "('visibility' was unexpected)"],
      [api, { image_name: 'x', protected: true }, "('protected' was unexpected)"],
      [api.withVersion('3.1'), { image_name: 'x', visibility: 'test' }, 'visibility'],
      [api.withVersion('3.1'), { image_name: 'x', visibility: null }, 'visibility'],
      [api.withVersion('3.1'), { image_name: 'x', protected: 'test' }, 'protected'],
      [api.withVersion('3.1'), { image_name: 'x', protected: null }, 'protected'],
    ];
    for (const [client, body, words] of refusals) {
      const res = await upload(id, body, client);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.badRequest.message).toContain(words);
    }
    expect((await api.post(`volumes/${id}/action`, { 'os-volume_upload_image': 'x' })).status).toBe(
      400,
    );
    expect((await volumeRow(id)).status).toBe('available');
    expect(await cluster.sql("SELECT id FROM images WHERE name IN ('x', '')", [])).toEqual([]);
  });

  it('in-use: refused without force, and with force while enable_force_upload is off (Cinder ignores force then); allowed with it on, back to in-use', async () => {
    const id = await inUseVolume();
    const refusal = {
      badRequest: { code: 400, message: `Invalid volume: Volume ${id} status must be available` },
    };
    for (const body of [{ image_name: 'in-use' }, { image_name: 'in-use', force: true }]) {
      const res = await upload(id, body);
      expect(res).toMatchObject({ status: 400, body: refusal });
    }
    expect(await volumeRow(id)).toMatchObject({ status: 'in-use', previous_status: null });
    expect(await cluster.sql("SELECT id FROM images WHERE name = 'in-use'")).toEqual([]);

    await cluster.stopService('cinder-api');
    await cluster.startService(
      'cinder-api',
      'apps/cinder-api/dist/main.js',
      { API_PORT: String(cluster.apiPort), ENABLE_FORCE_UPLOAD: 'true' },
      'cinder-api listening',
    );
    try {
      const without = await upload(id, { image_name: 'in-use', force: 'False' });
      expect(without).toMatchObject({ status: 400, body: refusal });
      const res = await upload(id, { image_name: 'in-use', force: 'True' });
      expect(res.status).toBe(202);
      expect(await volumeRow(id)).toMatchObject({
        status: 'uploading',
        previous_status: 'in-use',
      });
      const imageId = res.body['os-volume_upload_image'].image_id as string;
      await waitImage(imageId, (i) => i?.status === 'active');
      const volume = await api.waitForVolume(id, (v) => v?.status === 'in-use', UPLOAD_MS);
      expect(volume?.attachments).toHaveLength(1);
      expect((await download(imageId)).md5).toBe(
        (await digests(await readSparse(fileOf('disk', id)))).md5,
      );
      await glance.delete(`/v2/images/${imageId}`);
      // An available volume with force: uploaded all the same, back to available.
      const other = await availableVolume();
      const forced = await upload(other, { image_name: 'forced', force: true });
      expect(forced.status).toBe(202);
      await api.waitForVolume(other, (v) => v?.status === 'available', UPLOAD_MS);
      await glance.delete(`/v2/images/${forced.body['os-volume_upload_image'].image_id as string}`);
    } finally {
      await cluster.stopService('cinder-api');
      await cluster.startService(
        'cinder-api',
        'apps/cinder-api/dist/main.js',
        { API_PORT: String(cluster.apiPort) },
        'cinder-api listening',
      );
    }
  });

  it('3.1: visibility and protected reach the image, and the answer', async () => {
    const id = await availableVolume();
    const res = await upload(
      id,
      {
        image_name: 'shared-one',
        visibility: 'shared',
        protected: 'true',
        disk_format: 'qcow2',
        container_format: 'ovf',
      },
      api.withVersion('3.1'),
    );
    expect(res.status).toBe(202);
    expect(res.body['os-volume_upload_image']).toMatchObject({
      visibility: 'shared',
      protected: true,
      disk_format: 'qcow2',
      container_format: 'ovf',
      image_name: 'shared-one',
    });
    const imageId = res.body['os-volume_upload_image'].image_id as string;
    expect(await waitImage(imageId, (i) => i?.status === 'active')).toMatchObject({
      visibility: 'shared',
      protected: true,
      disk_format: 'qcow2',
      container_format: 'ovf',
    });
    await api.waitForVolume(id, (v) => v?.status === 'available', UPLOAD_MS);
    // Protected: Glance refuses to delete it until it is not.
    expect((await glance.delete(`/v2/images/${imageId}`)).status).toBe(403);
    await glance.patch(`/v2/images/${imageId}`, [
      { op: 'replace', path: '/protected', value: false },
    ]);
    expect((await glance.delete(`/v2/images/${imageId}`)).status).toBe(204);

    // The default visibility at 3.1 is private, as Cinder's.
    const plain = await upload(id, { image_name: 'private-one' }, api.withVersion('3.1'));
    expect(plain.body['os-volume_upload_image']).toMatchObject({
      visibility: 'private',
      protected: false,
    });
    await api.waitForVolume(id, (v) => v?.status === 'available', UPLOAD_MS);
    await glance.delete(`/v2/images/${plain.body['os-volume_upload_image'].image_id as string}`);
  });

  it('an image create glance-api refuses, or cannot take, leaves the volume untouched (400, as Cinder)', async () => {
    const id = await availableVolume();
    // glance-api refuses the container format Cinder's schema lets through.
    const refused = await upload(id, { image_name: 'odd', container_format: 'nonsense' });
    expect(refused.status).toBe(400);
    expect(refused.body.badRequest.message).toMatch(/^HTTP .*nonsense/s);
    expect(await volumeRow(id)).toMatchObject({ status: 'available', previous_status: null });

    await cluster.stopService('glance-api');
    try {
      const away = await upload(id, { image_name: 'nowhere' });
      expect(away.status).toBe(400);
      expect(away.body.badRequest.message).toMatch(/^Connection to glance failed: /);
      expect(await volumeRow(id)).toMatchObject({ status: 'available', previous_status: null });
    } finally {
      await cluster.startGlanceApi();
    }
    expect(await messagesOf(id)).toEqual([]);
  });

  it('a transaction that fails after the image was created deletes the image; the volume is untouched', async () => {
    const id = await availableVolume();
    // A serialization failure on the volume's update: the API's transaction cannot commit.
    await cluster.sql(`
      CREATE FUNCTION refuse_upload() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'uploading' AND NEW.id = '${id}' THEN
          RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001';
        END IF;
        RETURN NEW;
      END $$`);
    await cluster.sql(
      'CREATE TRIGGER refuse_upload BEFORE UPDATE ON volumes FOR EACH ROW EXECUTE FUNCTION refuse_upload()',
    );
    try {
      const res = await upload(id, { image_name: 'never-filled' });
      expect(res.status).toBe(503);
    } finally {
      await cluster.sql('DROP TRIGGER refuse_upload ON volumes');
      await cluster.sql('DROP FUNCTION refuse_upload()');
    }
    expect(await cluster.sql("SELECT status FROM images WHERE name = 'never-filled'")).toEqual([
      { status: 'deleted' },
    ]);
    expect(await volumeRow(id)).toMatchObject({
      status: 'available',
      previous_status: null,
      admin_metadata: {},
    });
    expect(await cluster.sql('SELECT * FROM outbox')).toEqual([]);
  });

  /** Starts an upload on `slow` and waits until glance-api is receiving it (`saving`). */
  async function uploadUnderWay(name: string): Promise<{ id: string; imageId: string }> {
    const id = await availableVolume('slow');
    write('slow', id, 0, randomBytes(2 * 1024 * 1024));
    const res = await upload(id, { image_name: name });
    expect(res.status).toBe(202);
    const imageId = res.body['os-volume_upload_image'].image_id as string;
    await waitImage(imageId, (i) => i?.status === 'saving');
    return { id, imageId };
  }

  it('a copy of the message while the upload runs does nothing; the upload ends once', async () => {
    const { id, imageId } = await uploadUnderWay('twice');
    const duplicate = 'req-7e57d0b1-e000-4000-8000-0000000d0913';
    await cluster.publish(`cinder-volume.${cluster.serviceHost('slow')}`, {
      method: 'copy_volume_to_image',
      context: {
        request_id: duplicate,
        user_id: 'e2e-user',
        project_id: PROJECT_A,
        roles: ['admin'],
        is_admin: true,
        sent_at: new Date().toISOString(),
      },
      payload: {
        volume_id: id,
        image_meta: { id: imageId, container_format: 'bare', disk_format: 'raw' },
      },
    });
    await waitImage(imageId, (i) => i?.status === 'active');
    await api.waitForVolume(id, (v) => v?.status === 'available', UPLOAD_MS);
    const log = cluster
      .logOf('cinder-volume@slow')
      .split('\n')
      .filter((l) => l.includes(id));
    expect(log.filter((l) => l.includes('volume uploaded to image'))).toHaveLength(1);
    expect(log.some((l) => l.includes(duplicate) && l.includes('nothing to do'))).toBe(true);
    expect(await messagesOf(id)).toEqual([]);
    await expectNoNotes(id, imageId);
    await glance.delete(`/v2/images/${imageId}`);
  });

  it('the image deleted mid-upload: the upload fails, the volume returns to available, with the user message', async () => {
    const { id, imageId } = await uploadUnderWay('deleted-under-it');
    expect((await glance.delete(`/v2/images/${imageId}`)).status).toBe(204);
    // glance-api finds the image gone only once the whole volume has streamed in (as Glance
    // does): seconds on a quiet machine, much longer on a loaded CI one.
    await api.waitForVolume(id, (v) => v?.status === 'available', UPLOAD_MS);
    expect(await messagesOf(id)).toEqual([uploadFailedMessage(id)]);
    expect(await image(imageId)).toBeNull();
    expect((await volumeRow(id)).admin_metadata).toEqual({});
    await expectNoNotes(id, imageId);
  });

  it('glance-api killed mid-upload: the volume returns with the user message; the image is deleted once glance-api is back', async () => {
    const { id, imageId } = await uploadUnderWay('glance-gone');
    await cluster.stopService('glance-api', 'SIGKILL');
    try {
      await api.waitForVolume(id, (v) => v?.status === 'available', 30_000);
      expect(await messagesOf(id)).toEqual([uploadFailedMessage(id)]);
      // Still there for now: glance-api is away, and cinder-volume keeps trying.
      expect(await cluster.sql('SELECT status FROM images WHERE id = $1', [imageId])).toEqual([
        { status: 'saving' },
      ]);
    } finally {
      await cluster.startGlanceApi();
    }
    // glance-api's start puts its interrupted upload back to `queued`; cinder-volume's next try
    // deletes it.
    await waitImage(imageId, (i) => i === null);
    expect(await cluster.sql('SELECT status FROM images WHERE id = $1', [imageId])).toEqual([
      { status: 'deleted' },
    ]);
    await expectNoNotes(id, imageId);
  });

  it('kill -9 cinder-volume mid-upload: on restart the volume returns to its status and the image is deleted', async () => {
    const { id, imageId } = await uploadUnderWay('killed-under-it');
    await cluster.stopService('cinder-volume@slow', 'SIGKILL');
    expect((await volumeRow(id)).status).toBe('uploading');
    await cluster.startBackend(SLOW);

    await api.waitForVolume(id, (v) => v?.status === 'available', 30_000);
    await waitImage(imageId, (i) => i === null);
    expect(await messagesOf(id)).toEqual([uploadFailedMessage(id)]);
    const [message] = await cluster.sql<{ detail: string }>(
      'SELECT detail FROM messages WHERE resource_uuid = $1',
      [id],
    );
    expect(message.detail).toBe('interrupted by a restart');
    expect((await volumeRow(id)).admin_metadata).toEqual({});
    await expectNoNotes(id, imageId);
    // The message, redelivered to the restarted service, found nothing to do.
    await cluster.waitFor(
      () =>
        cluster
          .logOf('cinder-volume@slow')
          .split('\n')
          .some((l) => l.includes(id) && l.includes('not in this work any more')),
      10_000,
      () => 'the redelivered upload was not seen',
    );
  });

  it("backup and restore keep the volume's image metadata (Cinder's volume-glance-metadata), and make the restored volume bootable", async () => {
    const id = await availableVolume();
    const glanceMetadata = { image_id: randomUUID(), image_name: 'cirros', hw_disk_bus: 'scsi' };
    await api.post(`volumes/${id}/action`, {
      'os-set_image_metadata': { metadata: glanceMetadata },
    });
    const backup = await api.post('backups', { backup: { volume_id: id, name: 'with-image' } });
    expect(backup.status).toBe(202);
    const backupId = backup.body.backup.id as string;
    await cluster.waitFor(
      async () => (await api.get(`backups/${backupId}`)).body.backup.status === 'available',
      30_000,
      () => 'the backup never became available',
    );
    const stored = JSON.parse(
      readFileSync(
        join(
          cluster.backupDir,
          backupId.slice(0, 2),
          backupId.slice(2, 4),
          backupId,
          'metadata.json',
        ),
        'utf8',
      ),
    ) as { volume_meta: Record<string, unknown> };
    expect(stored.volume_meta['volume-glance-metadata']).toEqual(glanceMetadata);

    // Into a new volume: bootable, with the image metadata.
    const restored = await api.post(`backups/${backupId}/restore`, { restore: {} });
    expect(restored.status).toBe(202);
    const newId = restored.body.restore.volume_id as string;
    const fresh = await api.waitForVolume(newId, (v) => v?.status === 'available', 30_000);
    expect(fresh).toMatchObject({ bootable: 'true', volume_image_metadata: glanceMetadata });

    // Onto a volume with image metadata of its own: replaced by the backup's.
    const target = await availableVolume();
    await api.post(`volumes/${target}/action`, {
      'os-set_image_metadata': { metadata: { image_id: randomUUID(), only_here: 'x' } },
    });
    const into = await api.post(`backups/${backupId}/restore`, { restore: { volume_id: target } });
    expect(into.status).toBe(202);
    const replaced = await api.waitForVolume(
      target,
      (v) => v?.status === 'available' && v.bootable === 'true',
      30_000,
    );
    expect(replaced?.volume_image_metadata).toEqual(glanceMetadata);
  });
});
