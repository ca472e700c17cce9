import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { openSync, readdirSync, readSync, writeSync, closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';

/** What a consumer following connection_info does: open the path and write or read bytes. */
function writeAt(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

function readAt(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, offset);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const connector = {
  host: 'compute-1',
  ip: '127.0.0.1',
  platform: 'x86_64',
  os_type: 'linux',
  multipath: false,
  mountpoint: '/dev/vdb',
};

describe('attach and detach through the REST API', () => {
  const cluster = new Cluster([{ name: 'disk', capacityGb: 100 }]);
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A).withVersion('3.54');
  });
  afterAll(() => cluster.stop());

  async function availableVolume(extra: Record<string, unknown> = {}): Promise<string> {
    const res = await api.post('volumes', { volume: { size: 1, ...extra } });
    await api.waitForVolume(res.body.volume.id as string, (v) => v?.status === 'available');
    return res.body.volume.id as string;
  }

  const status = async (id: string) =>
    (await api.get(`volumes/${id}`)).body.volume.status as string;
  /** The volume's attach_status (not in the API's views; Cinder keeps it beside the status). */
  const attachStatus = async (id: string) =>
    (
      await cluster.sql<{ attach_status: string }>(
        'SELECT attach_status FROM volumes WHERE id = $1',
        [id],
      )
    )[0].attach_status;
  const exportsOf = (id: string) => {
    const dir = join(cluster.dataDir('disk'), 'exports', id);
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  it('attachments API: reserve, connect, write through the connection, complete, delete', async () => {
    const id = await availableVolume({ name: 'attached' });
    const instance = randomUUID();

    const created = await api.post('attachments', {
      attachment: { volume_uuid: id, instance_uuid: instance },
    });
    expect(created.status).toBe(200);
    const attachment = created.body.attachment;
    expect(attachment).toMatchObject({
      status: 'reserved',
      instance,
      volume_id: id,
      attach_mode: 'null',
      connection_info: {},
    });
    expect(await status(id)).toBe('reserved');
    expect(await attachStatus(id)).toBe('detached');

    const updated = await api.request('PUT', `attachments/${attachment.id as string}`, {
      attachment: { connector },
    });
    expect(updated.status).toBe(200);
    const info = updated.body.attachment.connection_info;
    expect(info).toMatchObject({
      driver_volume_type: 'local',
      volume_id: id,
      access_mode: 'rw',
      attachment_id: attachment.id,
    });
    expect(updated.body.attachment.status).toBe('attaching');
    expect(await status(id)).toBe('attaching');
    expect(await attachStatus(id)).toBe('attaching');
    expect(exportsOf(id)).toEqual([`${attachment.id as string}.json`]);

    // The consumer writes through the connection; the bytes are the volume's bytes.
    const bytes = randomBytes(64 * 1024);
    writeAt(info.device_path as string, 4096, bytes);
    expect(sha(readAt(join(cluster.dataDir('disk'), `volume-${id}`), 4096, bytes.length))).toBe(
      sha(bytes),
    );

    const completed = await api.post(`attachments/${attachment.id as string}/action`, {
      'os-complete': {},
    });
    expect(completed.status).toBe(204);
    const volume = (await api.get(`volumes/${id}`)).body.volume;
    expect(volume.status).toBe('in-use');
    expect(await attachStatus(id)).toBe('attached');
    expect(volume.attachments).toEqual([
      expect.objectContaining({
        attachment_id: attachment.id,
        volume_id: id,
        server_id: instance,
        device: '/dev/vdb',
        host_name: 'compute-1',
      }),
    ]);
    expect((await api.get(`attachments/${attachment.id as string}`)).body.attachment.status).toBe(
      'attached',
    );
    expect((await api.get(`attachments?volume_id=${id}`)).body.attachments).toEqual([
      { id: attachment.id, status: 'attached', instance, volume_id: id },
    ]);

    // Illegal while attached: a second attachment of a volume that is not multiattach, a delete.
    const second = await api.post('attachments', {
      attachment: { volume_uuid: id, instance_uuid: randomUUID() },
    });
    expect(second.body).toEqual({
      badRequest: {
        code: 400,
        message: `Invalid volume: Volume ${id} status must be available or downloading to reserve, but the current status is in-use.`,
      },
    });
    expect((await api.delete(`volumes/${id}`)).status).toBe(400);
    expect(await status(id)).toBe('in-use');

    const deleted = await api.delete(`attachments/${attachment.id as string}`);
    expect(deleted).toMatchObject({ status: 200, body: { attachments: [] } });
    expect(await status(id)).toBe('available');
    expect(await attachStatus(id)).toBe('detached');
    expect((await api.get(`volumes/${id}`)).body.volume.attachments).toEqual([]);
    expect(exportsOf(id)).toEqual([]);
    expect(sha(readAt(join(cluster.dataDir('disk'), `volume-${id}`), 4096, bytes.length))).toBe(
      sha(bytes),
    );
  });

  it('attachment create with a connector connects at once', async () => {
    const id = await availableVolume();
    const res = await api.post('attachments', {
      attachment: { volume_uuid: id, instance_uuid: randomUUID(), connector, mode: 'ro' },
    });
    expect(res.body.attachment).toMatchObject({ status: 'attaching', attach_mode: 'ro' });
    expect(res.body.attachment.connection_info).toMatchObject({
      access_mode: 'ro',
      driver_volume_type: 'local',
    });
    await api.delete(`attachments/${res.body.attachment.id as string}`);
    expect(await status(id)).toBe('available');
  });

  it('a multiattach volume takes several attachments and stays in-use until the last goes', async () => {
    await api.post('types', {
      volume_type: { name: 'shared', extra_specs: { multiattach: '<is> True' } },
    });
    const id = await availableVolume({ volume_type: 'shared' });
    expect((await api.get(`volumes/${id}`)).body.volume.multiattach).toBe(true);
    const ids: string[] = [];
    for (const host of ['compute-1', 'compute-2']) {
      const res = await api.post('attachments', {
        attachment: {
          volume_uuid: id,
          instance_uuid: randomUUID(),
          connector: { ...connector, host },
        },
      });
      expect(res.status).toBe(200);
      await api.post(`attachments/${res.body.attachment.id as string}/action`, {
        'os-complete': {},
      });
      ids.push(res.body.attachment.id as string);
    }
    expect((await api.get(`volumes/${id}`)).body.volume.attachments).toHaveLength(2);
    expect(await attachStatus(id)).toBe('attached');
    await api.delete(`attachments/${ids[0]}`);
    expect(await status(id)).toBe('in-use');
    expect(await attachStatus(id)).toBe('attached');
    // A reservation left alone: reserved, as Cinder recomputes it.
    const reservation = await api.post('attachments', {
      attachment: { volume_uuid: id, instance_uuid: randomUUID() },
    });
    expect(await status(id)).toBe('reserved');
    await api.delete(`attachments/${ids[1]}`);
    expect(await status(id)).toBe('reserved');
    expect(await attachStatus(id)).toBe('reserved');
    await api.delete(`attachments/${reservation.body.attachment.id as string}`);
    expect(await status(id)).toBe('available');
    expect(await attachStatus(id)).toBe('detached');
  });

  it('legacy actions: reserve, initialize_connection, attach, begin/roll detaching, terminate, detach', async () => {
    const id = await availableVolume({ name: 'legacy' });
    const act = (body: unknown) => api.post(`volumes/${id}/action`, body);

    expect((await act({ 'os-reserve': {} })).status).toBe(202);
    expect(await status(id)).toBe('attaching');
    expect((await act({ 'os-reserve': {} })).body.badRequest.message).toBe(
      'Invalid volume: Volume status must be available to reserve, but the status is attaching.',
    );

    const init = await act({ 'os-initialize_connection': { connector } });
    expect(init.status).toBe(200);
    expect(init.body.connection_info).toMatchObject({
      driver_volume_type: 'local',
      data: { volume_id: id, access_mode: 'rw' },
    });
    const bytes = randomBytes(8192);
    writeAt(init.body.connection_info.data.device_path as string, 0, bytes);

    const instance = randomUUID();
    expect(
      (await act({ 'os-attach': { instance_uuid: instance, mountpoint: '/dev/vdc', mode: 'rw' } }))
        .status,
    ).toBe(202);
    const attached = (await api.get(`volumes/${id}`)).body.volume;
    expect(attached).toMatchObject({
      status: 'in-use',
      attachments: [expect.objectContaining({ server_id: instance, device: '/dev/vdc' })],
    });
    expect(await attachStatus(id)).toBe('attached');

    expect((await act({ 'os-begin_detaching': {} })).status).toBe(202);
    expect(await status(id)).toBe('detaching');
    await act({ 'os-roll_detaching': {} });
    expect(await status(id)).toBe('in-use');
    await act({ 'os-begin_detaching': {} });
    expect((await act({ 'os-terminate_connection': { connector } })).status).toBe(202);
    expect(exportsOf(id)).toEqual([]);
    expect(
      (await act({ 'os-detach': { attachment_id: attached.attachments[0].attachment_id } })).status,
    ).toBe(202);
    expect(await status(id)).toBe('available');
    expect(await attachStatus(id)).toBe('detached');
    expect(sha(readAt(join(cluster.dataDir('disk'), `volume-${id}`), 0, bytes.length))).toBe(
      sha(bytes),
    );
  });

  it('os-reset_status sets the attach status with the status, or alone', async () => {
    const id = await availableVolume();
    const reset = (body: Record<string, string>) =>
      api.post(`volumes/${id}/action`, { 'os-reset_status': body });
    expect((await reset({ status: 'error', attach_status: 'attached' })).status).toBe(202);
    expect([await status(id), await attachStatus(id)]).toEqual(['error', 'attached']);
    expect((await reset({ attach_status: 'detached' })).status).toBe(202);
    expect([await status(id), await attachStatus(id)]).toEqual(['error', 'detached']);
    expect((await reset({ attach_status: 'attaching' })).status).toBe(400);
    expect((await reset({ status: 'available' })).status).toBe(202);
    expect([await status(id), await attachStatus(id)]).toEqual(['available', 'detached']);
  });

  it('refuses unknown actions and attachments of missing volumes, as Cinder', async () => {
    const id = await availableVolume();
    expect((await api.post(`volumes/${id}/action`, { 'os-frobnicate': {} })).body).toEqual({
      badRequest: { code: 400, message: 'There is no such action: os-frobnicate' },
    });
    const missing = await api.post('attachments', { attachment: { volume_uuid: randomUUID() } });
    expect(missing.status).toBe(404);
    expect(
      (await api.withVersion('3.26').post('attachments', { attachment: { volume_uuid: id } }))
        .status,
    ).toBe(404);
  });
});
