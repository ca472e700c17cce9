import { randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';

const GiB = 1024 ** 3;
const connector = { host: 'compute-1', ip: '127.0.0.1', platform: 'x86_64', os_type: 'linux' };

describe('the everyday volume actions, as Cinder', () => {
  const cluster = new Cluster([{ name: 'disk', capacityGb: 100 }]);
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
  });
  afterAll(() => cluster.stop());

  async function availableVolume(body: Record<string, unknown> = {}): Promise<string> {
    const res = await api.post('volumes', { volume: { size: 1, ...body } });
    expect(res.status).toBe(202);
    const id = res.body.volume.id as string;
    await api.waitForVolume(id, (v) => v?.status === 'available');
    return id;
  }

  async function inUseVolume(): Promise<{ id: string; attachmentId: string }> {
    const id = await availableVolume();
    const res = await api.withVersion('3.44').post('attachments', {
      attachment: { volume_uuid: id, instance_uuid: randomUUID(), connector },
    });
    expect(res.status).toBe(200);
    const attachmentId = res.body.attachment.id as string;
    await api.withVersion('3.44').post(`attachments/${attachmentId}/action`, { 'os-complete': {} });
    await api.waitForVolume(id, (v) => v?.status === 'in-use');
    return { id, attachmentId };
  }

  const fileOf = (id: string) => join(cluster.dataDir('disk'), `volume-${id}`);
  const action = (id: string, body: unknown, client = api) =>
    client.post(`volumes/${id}/action`, body);
  const resetStatus = (id: string, status: string) => action(id, { 'os-reset_status': { status } });

  describe('os-extend', () => {
    it('grows an available volume: the file, the size and the status', async () => {
      const id = await availableVolume();
      const res = await action(id, { 'os-extend': { new_size: 3 } });
      expect(res.status).toBe(202);
      const volume = await api.waitForVolume(id, (v) => v?.status === 'available' && v.size === 3);
      expect(volume?.size).toBe(3);
      expect(statSync(fileOf(id)).size).toBe(3 * GiB);
    });

    it('a duplicate extend message to the scheduler, while the extend is under way, changes nothing', async () => {
      const id = await availableVolume();
      // cinder-volume away: the extend stays scheduled (size held, cast queued) until it is back.
      await cluster.stopService('cinder-volume@disk', 'SIGTERM');
      expect((await action(id, { 'os-extend': { new_size: 2 } })).status).toBe(202);
      await cluster.waitFor(
        async () =>
          (
            (await cluster.sql('SELECT admin_metadata FROM volumes WHERE id = $1', [id])) as {
              admin_metadata: Record<string, string>;
            }[]
          )[0]?.admin_metadata.extend_new_size === '2',
        10_000,
        () => 'the extend was not scheduled',
      );
      await cluster.publish('cinder-scheduler', {
        method: 'extend_volume',
        context: {
          request_id: 'req-7e57d0b1-e000-4000-8000-00000000dup2',
          user_id: 'e2e-user',
          project_id: PROJECT_A,
          roles: ['admin'],
          is_admin: true,
          sent_at: new Date().toISOString(),
        },
        payload: { volume_id: id, new_size: 2 },
      });
      await cluster.waitFor(
        () =>
          cluster.logOf('cinder-scheduler').includes('req-7e57d0b1-e000-4000-8000-00000000dup2'),
        10_000,
        () => 'the duplicate extend was not consumed',
      );
      await cluster.waitFor(
        () =>
          cluster
            .logOf('cinder-scheduler')
            .split('\n')
            .some((l) => l.includes(id) && l.includes('extend already scheduled or moved on')),
        10_000,
        () => 'the duplicate was not recognised',
      );
      await cluster.startBackend({ name: 'disk', capacityGb: 100 });
      const volume = await api.waitForVolume(id, (v) => v?.status === 'available' && v.size === 2);
      expect(volume?.size).toBe(2);
      expect(statSync(fileOf(id)).size).toBe(2 * GiB);
      expect((await api.withVersion('3.3').get('messages')).body.messages).not.toContainEqual(
        expect.objectContaining({ resource_uuid: id }),
      );
    });

    it('takes the size as a string of digits too', async () => {
      const id = await availableVolume();
      expect((await action(id, { 'os-extend': { new_size: '2' } })).status).toBe(202);
      await api.waitForVolume(id, (v) => v?.size === 2 && v.status === 'available');
      expect(statSync(fileOf(id)).size).toBe(2 * GiB);
    });

    it('refuses a size that is not larger', async () => {
      const id = await availableVolume({ size: 2 });
      for (const new_size of [1, 2]) {
        const res = await action(id, { 'os-extend': { new_size } });
        expect(res).toMatchObject({
          status: 400,
          body: {
            badRequest: {
              code: 400,
              message:
                'Invalid input received: New size for extend must be greater than current ' +
                `size. (current: 2, extended: ${new_size}).`,
            },
          },
        });
      }
    });

    it('grows an in-use volume from 3.42 and returns it to in-use', async () => {
      const { id } = await inUseVolume();
      const res = await action(id, { 'os-extend': { new_size: 2 } }, api.withVersion('3.42'));
      expect(res.status).toBe(202);
      await api.waitForVolume(id, (v) => v?.size === 2 && v.status === 'in-use');
      expect(statSync(fileOf(id)).size).toBe(2 * GiB);
    });

    it('refuses an in-use volume before 3.42 with Cinder message', async () => {
      const { id } = await inUseVolume();
      const res = await action(id, { 'os-extend': { new_size: 2 } }, api.withVersion('3.41'));
      expect(res).toMatchObject({
        status: 400,
        body: {
          badRequest: {
            code: 400,
            message: `Invalid volume: Volume ${id} status must be '{'status': 'available'}' to extend, currently in-use.`,
          },
        },
      });
    });

    it.each(['error', 'creating', 'extending', 'backing-up', 'maintenance', 'error_extending'])(
      'refuses a volume in %s',
      async (status) => {
        const id = await availableVolume();
        await resetStatus(id, status);
        const res = await action(id, { 'os-extend': { new_size: 2 } }, api.withVersion('3.42'));
        expect(res).toMatchObject({
          status: 400,
          body: {
            badRequest: {
              code: 400,
              message: `Invalid volume: Volume ${id} status must be '{'status': 'available'}' to extend, currently ${status}.`,
            },
          },
        });
      },
    );

    it('no room on the backend: the volume stays as it was, with a user message', async () => {
      const id = await availableVolume();
      // The backend offers 100 GiB without over-subscription.
      expect((await action(id, { 'os-extend': { new_size: 500 } })).status).toBe(202);
      const volume = await api.waitForVolume(id, (v) => v?.status === 'available');
      expect(volume?.size).toBe(1);
      expect(statSync(fileOf(id)).size).toBe(GiB);
      const messages = await api.withVersion('3.3').get('messages');
      expect(messages.body.messages).toContainEqual(
        expect.objectContaining({
          resource_uuid: id,
          event_id: 'VOLUME_VOLUME_007_003',
          user_message: 'extend volume: Could not find any available weighted backend.',
        }),
      );
    });

    it('a driver failure leaves error_extending, the old size and a user message', async () => {
      const id = await availableVolume();
      // The bytes are gone: the driver cannot grow what is not there.
      unlinkSync(fileOf(id));
      expect((await action(id, { 'os-extend': { new_size: 2 } })).status).toBe(202);
      const volume = await api.waitForVolume(id, (v) => v?.status === 'error_extending');
      expect(volume?.size).toBe(1);
      const messages = await api.withVersion('3.3').get('messages');
      expect(messages.body.messages).toContainEqual(
        expect.objectContaining({
          resource_uuid: id,
          event_id: 'VOLUME_VOLUME_007_010',
          user_message: 'extend volume: Volume Driver failed to extend volume.',
        }),
      );
      // error_extending may be deleted, as in Cinder.
      expect((await api.delete(`volumes/${id}`)).status).toBe(202);
    });
  });

  describe('volume metadata', () => {
    const put = (path: string, body: unknown, client = api, headers?: Record<string, string>) =>
      client.request('PUT', path, body, headers);

    it('shows, merges, replaces, shows one key and deletes one key', async () => {
      const id = await availableVolume({ metadata: { a: '1' } });
      expect(await api.get(`volumes/${id}/metadata`)).toMatchObject({
        status: 200,
        body: { metadata: { a: '1' } },
      });
      const merged = await api.post(`volumes/${id}/metadata`, { metadata: { b: '2', a: 'x' } });
      expect(merged).toMatchObject({ status: 200, body: { metadata: { a: 'x', b: '2' } } });
      const replaced = await put(`volumes/${id}/metadata`, { metadata: { c: '3' } });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toEqual({ metadata: { c: '3' } });
      const one = await put(`volumes/${id}/metadata/d`, { meta: { d: '4' } });
      expect(one).toMatchObject({ status: 200, body: { meta: { d: '4' } } });
      expect((await api.get(`volumes/${id}/metadata/d`)).body).toEqual({ meta: { d: '4' } });
      const removed = await api.delete(`volumes/${id}/metadata/c`);
      expect(removed.status).toBe(200);
      expect((await api.get(`volumes/${id}`)).body.volume.metadata).toEqual({ d: '4' });
    });

    it('answers a missing key with 404', async () => {
      const id = await availableVolume();
      const message = `Volume ${id} has no metadata with key nope.`;
      for (const res of [
        await api.get(`volumes/${id}/metadata/nope`),
        await api.delete(`volumes/${id}/metadata/nope`),
      ]) {
        expect(res).toMatchObject({
          status: 404,
          body: { itemNotFound: { code: 404, message } },
        });
      }
    });

    it('refuses a body that does not name the key, or names several', async () => {
      const id = await availableVolume();
      expect(await put(`volumes/${id}/metadata/k`, { meta: { other: 'v' } })).toMatchObject({
        status: 400,
        body: { badRequest: { code: 400, message: 'Request body and URI mismatch' } },
      });
      const many = await put(`volumes/${id}/metadata/k`, { meta: { k: 'v', l: 'w' } });
      expect(many.status).toBe(400);
    });

    it.each(['maintenance', 'uploading'])('refuses changes in %s', async (status) => {
      const id = await availableVolume({ metadata: { k: 'v' } });
      await resetStatus(id, status);
      const updating = `Invalid volume: Updating volume metadata is not allowed for volumes in ${status} status.`;
      for (const res of [
        await api.post(`volumes/${id}/metadata`, { metadata: { a: 'b' } }),
        await put(`volumes/${id}/metadata`, { metadata: { a: 'b' } }),
        await put(`volumes/${id}/metadata/a`, { meta: { a: 'b' } }),
      ]) {
        expect(res).toMatchObject({ status: 400, body: { badRequest: { message: updating } } });
      }
      expect(await api.delete(`volumes/${id}/metadata/k`)).toMatchObject({
        status: 400,
        body: {
          badRequest: {
            message: `Invalid volume: Deleting volume metadata is not allowed for volumes in ${status} status.`,
          },
        },
      });
      expect((await api.get(`volumes/${id}/metadata`)).body.metadata).toEqual({ k: 'v' });
    });

    it('gives an ETag from 3.15 and refuses a stale If-Match with 412', async () => {
      const id = await availableVolume({ metadata: { k: 'v' } });
      const v315 = api.withVersion('3.15');
      const first = await v315.get(`volumes/${id}/metadata`);
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^"?[0-9a-f]{32}"?$/);
      expect(
        (await api.withVersion('3.14').get(`volumes/${id}/metadata`)).headers.get('etag'),
      ).toBeNull();
      const ok = await put(`volumes/${id}/metadata`, { metadata: { k: 'w' } }, v315, {
        'If-Match': etag as string,
      });
      expect(ok.status).toBe(200);
      const stale = await put(`volumes/${id}/metadata/k`, { meta: { k: 'x' } }, v315, {
        'If-Match': etag as string,
      });
      expect(stale.status).toBe(412);
      expect((await api.get(`volumes/${id}/metadata`)).body.metadata).toEqual({ k: 'w' });
    });

    it('answers an unknown volume with 404', async () => {
      const id = randomUUID();
      expect(await api.get(`volumes/${id}/metadata`)).toMatchObject({
        status: 404,
        body: { itemNotFound: { message: `Volume ${id} could not be found.` } },
      });
    });
  });

  describe('os-set_bootable and os-update_readonly_flag', () => {
    it('sets and clears bootable (200, no body)', async () => {
      const id = await availableVolume();
      const res = await action(id, { 'os-set_bootable': { bootable: 'true' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
      expect((await api.get(`volumes/${id}`)).body.volume.bootable).toBe('true');
      await action(id, { 'os-set_bootable': { bootable: false } });
      expect((await api.get(`volumes/${id}`)).body.volume.bootable).toBe('false');
    });

    it('refuses bootable in maintenance', async () => {
      const id = await availableVolume();
      await resetStatus(id, 'maintenance');
      expect(await action(id, { 'os-set_bootable': { bootable: true } })).toMatchObject({
        status: 400,
        body: {
          badRequest: {
            code: 400,
            message: 'Invalid volume: The volume cannot be updated during maintenance.',
          },
        },
      });
    });

    it('a readonly volume is attached ro, and os-attach rw is refused', async () => {
      const id = await availableVolume();
      const res = await action(id, { 'os-update_readonly_flag': { readonly: true } });
      expect(res.status).toBe(202);
      const legacy = await action(id, {
        'os-attach': { mountpoint: '/dev/vdb', host_name: 'h1', mode: 'rw' },
      });
      expect(legacy).toMatchObject({
        status: 400,
        body: { badRequest: { message: `Invalid attaching mode 'rw' for volume ${id}.` } },
      });
      const init = await action(id, { 'os-initialize_connection': { connector } });
      expect(init.body.connection_info.data.access_mode).toBe('ro');
      const attachment = await api.withVersion('3.54').post('attachments', {
        attachment: { volume_uuid: id, instance_uuid: randomUUID(), connector, mode: 'rw' },
      });
      expect(attachment.status).toBe(200);
      expect(attachment.body.attachment).toMatchObject({ attach_mode: 'ro' });
      expect(attachment.body.attachment.connection_info.access_mode).toBe('ro');
    });

    it('clearing readonly makes rw attachments again', async () => {
      const id = await availableVolume();
      await action(id, { 'os-update_readonly_flag': { readonly: 'yes' } });
      await action(id, { 'os-update_readonly_flag': { readonly: 'false' } });
      const init = await action(id, { 'os-initialize_connection': { connector } });
      expect(init.body.connection_info.data.access_mode).toBe('rw');
    });

    it('refuses the readonly flag unless available', async () => {
      const { id } = await inUseVolume();
      expect(await action(id, { 'os-update_readonly_flag': { readonly: true } })).toMatchObject({
        status: 400,
        body: {
          badRequest: {
            code: 400,
            message: `Invalid volume: Volume ${id} status must be available to update readonly flag, but current status is: in-use.`,
          },
        },
      });
    });
  });

  describe('image metadata', () => {
    it('sets, shows, lists in the volume views and unsets', async () => {
      const id = await availableVolume();
      expect((await api.get(`volumes/${id}`)).body.volume).not.toHaveProperty(
        'volume_image_metadata',
      );
      const set = await action(id, {
        'os-set_image_metadata': { metadata: { image_name: 'cirros', min_ram: '64' } },
      });
      expect(set).toMatchObject({
        status: 200,
        body: { metadata: { image_name: 'cirros', min_ram: '64' } },
      });
      const more = await action(id, { 'os-set_image_metadata': { metadata: { min_ram: '128' } } });
      expect(more.body).toEqual({ metadata: { image_name: 'cirros', min_ram: '128' } });
      expect(await action(id, { 'os-show_image_metadata': null })).toMatchObject({
        status: 200,
        body: { metadata: { image_name: 'cirros', min_ram: '128' } },
      });
      expect((await api.get(`volumes/${id}`)).body.volume.volume_image_metadata).toEqual({
        image_name: 'cirros',
        min_ram: '128',
      });
      const detail = await api.get('volumes/detail');
      const listed = (detail.body.volumes as { id: string }[]).find((v) => v.id === id);
      expect(listed).toMatchObject({ volume_image_metadata: { min_ram: '128' } });
      const unset = await action(id, { 'os-unset_image_metadata': { key: 'min_ram' } });
      expect(unset.status).toBe(200);
      expect((await action(id, { 'os-show_image_metadata': {} })).body).toEqual({
        metadata: { image_name: 'cirros' },
      });
    });

    it('filters lists by glance_metadata from 3.4 to 3.30', async () => {
      const id = await availableVolume();
      const other = await availableVolume();
      await action(id, { 'os-set_image_metadata': { metadata: { image_name: 'filtered' } } });
      await action(other, { 'os-set_image_metadata': { metadata: { image_name: 'other' } } });
      const query = `volumes/detail?glance_metadata=${encodeURIComponent('{"image_name": "filtered"}')}`;
      const found = await api.withVersion('3.4').get(query);
      expect(found.status).toBe(200);
      expect((found.body.volumes as { id: string }[]).map((v) => v.id)).toEqual([id]);
      // Before 3.4 the filter is dropped; from 3.31 it is not one of the volume filters.
      const before = await api.withVersion('3.3').get(query);
      expect((before.body.volumes as { id: string }[]).map((v) => v.id)).toEqual(
        expect.arrayContaining([id, other]),
      );
      expect(await api.withVersion('3.31').get(query)).toMatchObject({
        status: 400,
        body: {
          badRequest: {
            message:
              'Invalid input received: Invalid filters glance_metadata are found in query options.',
          },
        },
      });
    });

    it('answers a key not there with 404', async () => {
      const id = await availableVolume();
      expect(await action(id, { 'os-unset_image_metadata': { key: 'nope' } })).toMatchObject({
        status: 404,
        body: {
          itemNotFound: {
            code: 404,
            message: `Glance metadata for volume/snapshot ${id} cannot be found.`,
          },
        },
      });
    });

    it('refuses changes in maintenance', async () => {
      const id = await availableVolume();
      await action(id, { 'os-set_image_metadata': { metadata: { k: 'v' } } });
      await resetStatus(id, 'maintenance');
      expect(await action(id, { 'os-set_image_metadata': { metadata: { k: 'w' } } })).toMatchObject(
        {
          status: 400,
          body: {
            badRequest: {
              message:
                'Invalid volume: Updating volume metadata is not allowed for volumes in maintenance status.',
            },
          },
        },
      );
      expect(await action(id, { 'os-unset_image_metadata': { key: 'k' } })).toMatchObject({
        status: 400,
        body: {
          badRequest: {
            message:
              'Invalid volume: Deleting volume metadata is not allowed for volumes in maintenance status.',
          },
        },
      });
    });
  });

  describe('GET /volumes/summary', () => {
    it("counts the project's volumes, their sizes and (3.36) distinct metadata", async () => {
      // Projects of their own: the other tests' volumes come and go meanwhile.
      const mine = api.asProject('d1b2c3d4e5f60718293a4b5c6d7e8f90').withVersion('3.36');
      const other = api.asProject('c1b2c3d4e5f60718293a4b5c6d7e8f90');
      for (const [client, size, metadata] of [
        [mine, 2, { tier: 'gold', zone: 'a' }],
        [mine, 3, { tier: 'silver' }],
        [other, 4, { tier: 'x' }],
      ] as const) {
        const res = await client.post('volumes', { volume: { size, metadata } });
        await client.waitForVolume(res.body.volume.id as string, (v) => v?.status === 'available');
      }
      const res = await mine.get('volumes/summary');
      expect(res).toMatchObject({
        status: 200,
        body: {
          'volume-summary': {
            total_count: 2,
            total_size: 5,
            metadata: { tier: ['gold', 'silver'], zone: ['a'] },
          },
        },
      });
      const v312 = await mine.withVersion('3.12').get('volumes/summary');
      expect(v312.body).toEqual({ 'volume-summary': { total_count: 2, total_size: 5 } });
      const everyone = await mine.get('volumes/summary?all_tenants=1');
      expect(everyone.body['volume-summary'].total_count).toBeGreaterThanOrEqual(3);
      expect(everyone.body['volume-summary'].metadata.tier).toEqual(
        expect.arrayContaining(['gold', 'silver', 'x']),
      );
    });

    it('is not there before 3.12', async () => {
      expect(await api.withVersion('3.11').get('volumes/summary')).toMatchObject({
        status: 404,
        body: { itemNotFound: { code: 404, message: 'The resource could not be found.' } },
      });
    });
  });

  describe('os-force_delete', () => {
    it.each(['creating', 'extending', 'maintenance', 'reserved', 'retyping', 'error_deleting'])(
      'deletes a volume in %s, bytes included',
      async (status) => {
        const id = await availableVolume();
        await resetStatus(id, status);
        expect((await action(id, { 'os-force_delete': {} })).status).toBe(202);
        await api.waitForVolume(id, (v) => v === null);
        expect(() => statSync(fileOf(id))).toThrow();
      },
    );

    it('refuses an attached volume, with Cinder message', async () => {
      const { id } = await inUseVolume();
      expect(await action(id, { 'os-force_delete': {} })).toMatchObject({
        status: 400,
        body: {
          badRequest: {
            code: 400,
            message:
              'Invalid volume: Volume  must not be migrating, attached, belong to a group, have ' +
              'snapshots, awaiting a transfer, or be disassociated from snapshots after volume ' +
              'transfer.',
          },
        },
      });
    });

    it('a plain delete names the statuses it needs', async () => {
      const id = await availableVolume();
      await resetStatus(id, 'maintenance');
      expect((await api.delete(`volumes/${id}`)).body).toEqual({
        badRequest: {
          code: 400,
          message:
            'Invalid volume: Volume status must be available or error or error_restoring or ' +
            'error_extending or error_managing and must not be migrating, attached, belong to a ' +
            'group, have snapshots, awaiting a transfer, or be disassociated from snapshots after ' +
            'volume transfer.',
        },
      });
    });
  });

  describe('os-retype', () => {
    const RETYPE_REFUSED =
      'Invalid volume: Retype needs volume to be in available or in-use state, not be part of an ' +
      'active migration or a consistency group, requested type has to be different that the one ' +
      'from the volume, and for in-use volumes front-end qos specs cannot change.';

    beforeAll(async () => {
      for (const [name, backend] of [
        ['here', 'disk'],
        ['elsewhere', 'nowhere'],
      ]) {
        const res = await api.post('types', {
          volume_type: { name, extra_specs: { volume_backend_name: backend } },
        });
        expect(res.status).toBe(200);
      }
    });

    it('takes a type the current backend satisfies, without moving (available and in-use)', async () => {
      const id = await availableVolume();
      const res = await action(id, { 'os-retype': { new_type: 'here' } });
      expect(res.status).toBe(202);
      const done = await api.waitForVolume(
        id,
        (v) => v?.volume_type === 'here' && v.status === 'available',
      );
      expect(done?.['os-vol-host-attr:host']).toBe(`${cluster.serviceHost('disk')}#disk`);
      const { id: attached } = await inUseVolume();
      const type = (await api.get('types')).body.volume_types.find(
        (t: { name: string }) => t.name === 'here',
      ) as { id: string };
      await action(attached, { 'os-retype': { new_type: type.id, migration_policy: 'never' } });
      await api.waitForVolume(attached, (v) => v?.volume_type === 'here' && v.status === 'in-use');
    });

    it('with "never", a type the backend cannot satisfy leaves the volume as it was', async () => {
      const id = await availableVolume();
      const before = (await api.get(`volumes/${id}`)).body.volume.volume_type as string;
      expect((await action(id, { 'os-retype': { new_type: 'elsewhere' } })).status).toBe(202);
      const after = await api.waitForVolume(id, (v) => v?.status === 'available');
      expect(after?.volume_type).toBe(before);
    });

    it('refuses the type it already has, and statuses other than available and in-use', async () => {
      const id = await availableVolume({ volume_type: 'here' });
      expect(await action(id, { 'os-retype': { new_type: 'here' } })).toMatchObject({
        status: 400,
        body: { badRequest: { code: 400, message: RETYPE_REFUSED } },
      });
      for (const status of ['error', 'maintenance', 'extending', 'retyping']) {
        await resetStatus(id, status);
        expect(await action(id, { 'os-retype': { new_type: '__DEFAULT__' } })).toMatchObject({
          status: 400,
          body: { badRequest: { message: RETYPE_REFUSED } },
        });
      }
    });

    it('answers an unknown type with 404', async () => {
      const id = await availableVolume();
      expect(await action(id, { 'os-retype': { new_type: 'no-such-type' } })).toMatchObject({
        status: 404,
        body: {
          itemNotFound: { message: 'Volume type with name no-such-type could not be found.' },
        },
      });
    });
  });
});

describe('os-retype with migration: the bytes move to the other backend', () => {
  const cluster = new Cluster([
    { name: 'src', capacityGb: 100 },
    { name: 'dst', capacityGb: 100 },
  ]);
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
    for (const name of ['src', 'dst']) {
      const res = await api.post('types', {
        volume_type: { name: `on-${name}`, extra_specs: { volume_backend_name: name } },
      });
      expect(res.status).toBe(200);
    }
  });
  afterAll(() => cluster.stop());

  const fileOn = (backend: string, id: string) => join(cluster.dataDir(backend), `volume-${id}`);

  async function volumeWithBytes(
    volumeType = 'on-src',
  ): Promise<{ id: string; head: Buffer; tail: Buffer; backend: string }> {
    const res = await api.post('volumes', { volume: { size: 1, volume_type: volumeType } });
    const id = res.body.volume.id as string;
    const created = await api.waitForVolume(id, (v) => v?.status === 'available');
    const backend = String(created?.['os-vol-host-attr:host']).split('#')[1];
    const head = randomBytes(4096);
    const tail = randomBytes(4096);
    const fd = openSync(fileOn(backend, id), 'r+');
    writeSync(fd, head, 0, head.length, 0);
    writeSync(fd, tail, 0, tail.length, GiB - tail.length);
    closeSync(fd);
    return { id, head, tail, backend };
  }

  it('on-demand: the volume and its bytes end on the new backend with the new type', async () => {
    const { id, head, tail } = await volumeWithBytes();
    const res = await api.post(`volumes/${id}/action`, {
      'os-retype': { new_type: 'on-dst', migration_policy: 'on-demand' },
    });
    expect(res.status).toBe(202);
    const moved = await api.waitForVolume(
      id,
      (v) => v?.status === 'available' && v.volume_type === 'on-dst',
      30_000,
    );
    expect(moved).toMatchObject({
      'os-vol-host-attr:host': `${cluster.serviceHost('dst')}#dst`,
      'os-vol-mig-status-attr:migstat': 'success',
      migration_status: 'success',
    });
    const copy = readFileSync(fileOn('dst', id));
    expect(copy.length).toBe(GiB);
    expect(copy.subarray(0, head.length).equals(head)).toBe(true);
    expect(copy.subarray(GiB - tail.length).equals(tail)).toBe(true);
    expect(existsSync(fileOn('src', id))).toBe(false);
    // The volume lives on: it extends where it now is.
    await api.post(`volumes/${id}/action`, { 'os-extend': { new_size: 2 } });
    await api.waitForVolume(id, (v) => v?.size === 2 && v.status === 'available');
    expect(statSync(fileOn('dst', id)).size).toBe(2 * GiB);
  });

  it('never: the volume stays where it is, with its type', async () => {
    const { id } = await volumeWithBytes();
    await api.post(`volumes/${id}/action`, {
      'os-retype': { new_type: 'on-dst', migration_policy: 'never' },
    });
    const after = await api.waitForVolume(id, (v) => v?.status === 'available');
    expect(after).toMatchObject({
      volume_type: 'on-src',
      'os-vol-host-attr:host': `${cluster.serviceHost('src')}#src`,
    });
    expect(existsSync(fileOn('src', id))).toBe(true);
  });

  it('on-demand: an attached volume is not moved (no Nova to swap its bytes)', async () => {
    const { id } = await volumeWithBytes();
    const attachment = await api.withVersion('3.44').post('attachments', {
      attachment: { volume_uuid: id, instance_uuid: randomUUID(), connector },
    });
    await api
      .withVersion('3.44')
      .post(`attachments/${attachment.body.attachment.id as string}/action`, { 'os-complete': {} });
    await api.waitForVolume(id, (v) => v?.status === 'in-use');
    expect(
      (
        await api.post(`volumes/${id}/action`, {
          'os-retype': { new_type: 'on-dst', migration_policy: 'on-demand' },
        })
      ).status,
    ).toBe(202);
    const after = await api.waitForVolume(id, (v) => v?.status === 'in-use');
    expect(after).toMatchObject({
      volume_type: 'on-src',
      'os-vol-host-attr:host': `${cluster.serviceHost('src')}#src`,
    });
  });

  it('a source restarted mid-copy leaves the volume where it was; a new retype then moves it', async () => {
    const res = await api.post('volumes', { volume: { size: 40, volume_type: 'on-src' } });
    const id = res.body.volume.id as string;
    await api.waitForVolume(id, (v) => v?.status === 'available');
    const last = randomBytes(4096);
    const fd = openSync(fileOn('src', id), 'r+');
    writeSync(fd, last, 0, last.length, 40 * GiB - last.length);
    closeSync(fd);
    // The copy of a thin volume takes no time: the source holds it back until it is killed.
    await cluster.stopService('cinder-volume@src');
    await cluster.startBackend({
      name: 'src',
      capacityGb: 100,
      env: { DRIVER_READ_DELAY_MS: '600000' },
    });
    await api.post(`volumes/${id}/action`, {
      'os-retype': { new_type: 'on-dst', migration_policy: 'on-demand' },
    });
    await api.waitForVolume(id, (v) => v?.migration_status === 'migrating');
    // The destination prepared its volume: the source is at its (held) copy.
    await cluster.waitFor(
      async () => existsSync(fileOn('dst', id)),
      30_000,
      () => 'the destination never prepared the volume',
    );
    await cluster.stopService('cinder-volume@src', 'SIGKILL');
    await cluster.startBackend({ name: 'src', capacityGb: 100 });
    const settled = await api.waitForVolume(
      id,
      (v) => v?.status === 'available' && v.migration_status === 'error',
      30_000,
    );
    expect(settled).toMatchObject({
      volume_type: 'on-src',
      'os-vol-host-attr:host': `${cluster.serviceHost('src')}#src`,
    });
    await api.post(`volumes/${id}/action`, {
      'os-retype': { new_type: 'on-dst', migration_policy: 'on-demand' },
    });
    // The whole 40 GiB, sparse: only its data is read and written.
    await api.waitForVolume(
      id,
      (v) => v?.status === 'available' && v.volume_type === 'on-dst',
      60_000,
    );
    const copy = openSync(fileOn('dst', id), 'r');
    const tail = Buffer.alloc(last.length);
    readSync(copy, tail, 0, tail.length, 40 * GiB - last.length);
    closeSync(copy);
    expect(tail.equals(last)).toBe(true);
  }, 180_000);

  it('os-migrate_volume moves the bytes to the named backend, keeping the type', async () => {
    const { id, head, tail, backend } = await volumeWithBytes('__DEFAULT__');
    const other = backend === 'src' ? 'dst' : 'src';
    const host = `${cluster.serviceHost(other)}#${other}`;
    const res = await api.post(`volumes/${id}/action`, { 'os-migrate_volume': { host } });
    expect(res.status).toBe(202);
    const moved = await api.waitForVolume(
      id,
      (v) => v?.status === 'available' && v['os-vol-host-attr:host'] === host,
      30_000,
    );
    expect(moved).toMatchObject({ volume_type: '__DEFAULT__', migration_status: 'success' });
    const copy = readFileSync(fileOn(other, id));
    expect(copy.subarray(0, head.length).equals(head)).toBe(true);
    expect(copy.subarray(GiB - tail.length).equals(tail)).toBe(true);
    expect(existsSync(fileOn(backend, id))).toBe(false);
  });

  /** A volume of the default type on `src`, its bytes written (moved there if placed on dst). */
  async function defaultVolumeOnSrc(): Promise<{ id: string; head: Buffer }> {
    const made = await volumeWithBytes('__DEFAULT__');
    if (made.backend === 'dst') {
      const host = `${cluster.serviceHost('src')}#src`;
      expect(
        (await api.post(`volumes/${made.id}/action`, { 'os-migrate_volume': { host } })).status,
      ).toBe(202);
      await api.waitForVolume(
        made.id,
        (v) => v?.status === 'available' && v['os-vol-host-attr:host'] === host,
        30_000,
      );
    }
    return { id: made.id, head: made.head };
  }

  it('os-migrate_volume: lock_volume makes the volume maintenance; without it the volume stays available, and an attach aborts its move', async () => {
    const unlocked = await defaultVolumeOnSrc();
    const locked = await defaultVolumeOnSrc();
    const dst = `${cluster.serviceHost('dst')}#dst`;
    const v316 = api.withVersion('3.16');
    // The source away: both moves wait for it, as they were left.
    await cluster.stopService('cinder-volume@src', 'SIGTERM');
    expect(
      (await v316.post(`volumes/${unlocked.id}/action`, { 'os-migrate_volume': { host: dst } }))
        .status,
    ).toBe(202);
    expect(
      (
        await v316.post(`volumes/${locked.id}/action`, {
          'os-migrate_volume': { host: dst, lock_volume: 'True', force_host_copy: true },
        })
      ).status,
    ).toBe(202);
    expect(
      await api.waitForVolume(unlocked.id, (v) => v?.migration_status === 'migrating'),
    ).toMatchObject({ status: 'available' });
    expect(
      await api.waitForVolume(locked.id, (v) => v?.migration_status === 'migrating'),
    ).toMatchObject({ status: 'maintenance' });

    // While it migrates: no snapshot (Cinder), no extend (the source is busy with the copy).
    expect(
      await api.post('snapshots', { snapshot: { volume_id: unlocked.id, name: 's' } }),
    ).toMatchObject({
      status: 400,
      body: {
        badRequest: {
          message: 'Invalid volume: Snapshot cannot be created while volume is migrating.',
        },
      },
    });
    expect(
      await api.post(`volumes/${unlocked.id}/action`, { 'os-extend': { new_size: 2 } }),
    ).toMatchObject({
      status: 400,
      body: {
        badRequest: {
          message: `Invalid volume: Volume ${unlocked.id} is migrating; it can be extended once the migration has ended.`,
        },
      },
    });
    // An unlocked volume can still be attached (Cinder); that aborts its move.
    const attachment = await api.withVersion('3.44').post('attachments', {
      attachment: { volume_uuid: unlocked.id, instance_uuid: randomUUID() },
    });
    expect(attachment.status).toBe(200);

    await cluster.startBackend({ name: 'src', capacityGb: 100 });
    const moved = await api.waitForVolume(
      locked.id,
      (v) => v?.status === 'available' && v.migration_status === 'success',
      30_000,
    );
    expect(moved?.['os-vol-host-attr:host']).toBe(dst);
    expect(readFileSync(fileOn('dst', locked.id)).subarray(0, 4096).equals(locked.head)).toBe(true);
    expect(existsSync(fileOn('src', locked.id))).toBe(false);
    const aborted = await api.waitForVolume(
      unlocked.id,
      (v) => v?.migration_status === 'error',
      30_000,
    );
    expect(aborted).toMatchObject({
      status: 'reserved',
      'os-vol-host-attr:host': `${cluster.serviceHost('src')}#src`,
    });
    expect(existsSync(fileOn('src', unlocked.id))).toBe(true);
    expect(existsSync(fileOn('dst', unlocked.id))).toBe(false);
  });

  it("os-migrate_volume's host and cluster (3.16), and an attached volume, as Cinder answers them", async () => {
    const { id } = await defaultVolumeOnSrc();
    const dst = `${cluster.serviceHost('dst')}#dst`;
    const migrate = (body: unknown, version = '3.16') =>
      api.withVersion(version).post(`volumes/${id}/action`, { 'os-migrate_volume': body });
    const refused = (message: string) => ({ status: 400, body: { badRequest: { message } } });
    const oneOf = 'Invalid input received: One and only one of cluster and host must be set.';
    expect(await migrate({ host: dst, cluster: 'cluster@dst' })).toMatchObject(refused(oneOf));
    expect(await migrate({})).toMatchObject(refused(oneOf));
    expect(await migrate({ host: null, cluster: '' })).toMatchObject(refused(oneOf));
    // No service here is in a cluster: Cinder finds none for the name.
    expect(await migrate({ cluster: 'cluster@dst' })).toMatchObject(
      refused("Invalid host: No available service named 'cluster@dst'"),
    );
    // Before 3.16: no cluster, and the host is a required string.
    expect((await migrate({ host: dst, cluster: 'cluster@dst' }, '3.15')).status).toBe(400);
    expect((await migrate({ host: null }, '3.15')).status).toBe(400);
    expect(await migrate({ host: '' }, '3.15')).toMatchObject(
      refused('Invalid input received: Host field is missing.'),
    );
    expect((await api.get(`volumes/${id}`)).body.volume).toMatchObject({
      status: 'available',
      migration_status: null,
    });

    // An attached volume: Cinder would have Nova swap its bytes; there is no Nova here.
    const attachment = await api.withVersion('3.44').post('attachments', {
      attachment: { volume_uuid: id, instance_uuid: randomUUID(), connector },
    });
    await api
      .withVersion('3.44')
      .post(`attachments/${attachment.body.attachment.id as string}/action`, { 'os-complete': {} });
    await api.waitForVolume(id, (v) => v?.status === 'in-use');
    expect(await migrate({ host: dst, lock_volume: true })).toMatchObject(
      refused(
        `Invalid volume: Volume ${id} is in-use: migrating an attached volume needs Nova to ` +
          'swap its bytes under the instance, which this deployment does not have. Detach it first.',
      ),
    );
    expect((await api.get(`volumes/${id}`)).body.volume).toMatchObject({
      status: 'in-use',
      migration_status: null,
    });
  });

  it('os-migrate_volume to a backend the type excludes ends with migration_status error', async () => {
    const { id } = await volumeWithBytes('on-src');
    const host = `${cluster.serviceHost('dst')}#dst`;
    expect((await api.post(`volumes/${id}/action`, { 'os-migrate_volume': { host } })).status).toBe(
      202,
    );
    const after = await api.waitForVolume(
      id,
      (v) => v?.status === 'available' && v.migration_status === 'error',
    );
    expect(after?.['os-vol-host-attr:host']).toBe(`${cluster.serviceHost('src')}#src`);
    expect(existsSync(fileOn('src', id))).toBe(true);
  });

  it('os-migrate_volume refuses the current host, an unknown one, a volume with snapshots or in error', async () => {
    const { id } = await volumeWithBytes();
    const here = `${cluster.serviceHost('src')}#src`;
    const refusal = (volumeId: string) =>
      `Invalid volume: Volume ${volumeId} status must be available or in-use, must not be ` +
      'migrating, have snapshots, be replicated, be part of a group and destination ' +
      'host/cluster must be different than the current one';
    expect(
      await api.post(`volumes/${id}/action`, { 'os-migrate_volume': { host: here } }),
    ).toMatchObject({ status: 400, body: { badRequest: { message: refusal(id) } } });
    expect(
      await api.post(`volumes/${id}/action`, { 'os-migrate_volume': { host: 'nohost@none#x' } }),
    ).toMatchObject({
      status: 400,
      body: { badRequest: { message: "Invalid host: No available service named 'nohost@none#x'" } },
    });
    // A volume with a snapshot (the snapshot API's row, written here) stays where it is.
    await cluster.sql(
      `INSERT INTO snapshots (id, project_id, user_id, volume_id, status, volume_size,
         volume_type_id, created_at)
       SELECT $1, project_id, user_id, id, 'available', size, volume_type_id, now()
       FROM volumes WHERE id = $2`,
      [randomUUID(), id],
    );
    expect(
      await api.post(`volumes/${id}/action`, {
        'os-migrate_volume': { host: `${cluster.serviceHost('dst')}#dst` },
      }),
    ).toMatchObject({ status: 400, body: { badRequest: { message: refusal(id) } } });
    await api.post(`volumes/${id}/action`, { 'os-reset_status': { status: 'error' } });
    expect(
      await api.post(`volumes/${id}/action`, {
        'os-migrate_volume': { host: `${cluster.serviceHost('dst')}#dst` },
      }),
    ).toMatchObject({ status: 400, body: { badRequest: { message: refusal(id) } } });
  });
});
