import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';

const GiB = 1024 ** 3;

describe('create volume: API → scheduler → cinder-volume', () => {
  describe('placement', () => {
    const cluster = new Cluster([
      { name: 'big', capacityGb: 10 },
      { name: 'small', capacityGb: 6 },
    ]);
    let api: ApiClient;

    beforeAll(async () => {
      await cluster.start();
      api = new ApiClient(cluster.apiUrl, PROJECT_A);
    });
    afterAll(() => cluster.stop());

    it('creates the volume on the backend with the most free space, with its bytes on disk', async () => {
      const res = await api.post('volumes', { volume: { size: 8, name: 'first' } });
      expect(res.status).toBe(202);
      expect(res.body.volume).toMatchObject({ status: 'creating', size: 8, name: 'first' });

      const volume = await api.waitForVolume(
        res.body.volume.id as string,
        (v) => v?.status === 'available',
      );
      expect(volume?.['os-vol-host-attr:host']).toBe(`${cluster.serviceHost('big')}#big`);
      const file = join(cluster.dataDir('big'), `volume-${volume?.id as string}`);
      expect(statSync(file).size).toBe(8 * GiB);
      // Sparse: the file promises 8 GiB but uses next to no disk.
      expect(statSync(file).blocks * 512).toBeLessThan(GiB);
    });

    it('skips a backend without room and uses the other', async () => {
      // `big` has 2 GiB left, `small` 6 GiB.
      const res = await api.post('volumes', { volume: { size: 5, name: 'second' } });
      const volume = await api.waitForVolume(
        res.body.volume.id as string,
        (v) => v?.status === 'available',
      );
      expect(volume?.['os-vol-host-attr:host']).toBe(`${cluster.serviceHost('small')}#small`);
      expect(existsSync(join(cluster.dataDir('small'), `volume-${volume?.id as string}`))).toBe(
        true,
      );
    });

    it('ends in error with a user message when no backend has room', async () => {
      const res = await api.post('volumes', { volume: { size: 7, name: 'too-big' } });
      const volume = await api.waitForVolume(
        res.body.volume.id as string,
        (v) => v?.status === 'error',
      );
      expect(volume?.['os-vol-host-attr:host']).toBeNull();
      const messages = await api.withVersion('3.3').get('messages');
      expect(messages.body.messages).toEqual([
        expect.objectContaining({
          resource_uuid: volume?.id,
          event_id: 'VOLUME_VOLUME_001_003',
          user_message: 'schedule allocate volume: Could not find any available weighted backend.',
          message_level: 'ERROR',
        }),
      ]);
    });

    it("honours the volume type's volume_backend_name", async () => {
      const type = await api.post('types', {
        volume_type: { name: 'only-small', extra_specs: { volume_backend_name: 'small' } },
      });
      expect(type.status).toBe(200);
      const res = await api.post('volumes', { volume: { size: 1, volume_type: 'only-small' } });
      const volume = await api.waitForVolume(
        res.body.volume.id as string,
        (v) => v?.status === 'available',
      );
      expect(volume).toMatchObject({
        volume_type: 'only-small',
        'os-vol-host-attr:host': `${cluster.serviceHost('small')}#small`,
      });
    });

    it('deletes: `deleting`, then gone from lists and from the backend', async () => {
      const created = await api.post('volumes', { volume: { size: 1, name: 'doomed' } });
      const id = created.body.volume.id as string;
      const volume = await api.waitForVolume(id, (v) => v?.status === 'available');
      const backend = (volume?.['os-vol-host-attr:host'] as string).split('@')[1].split('#')[0];
      const file = join(cluster.dataDir(backend), `volume-${id}`);
      expect(existsSync(file)).toBe(true);

      const res = await api.delete(`volumes/${id}`);
      expect(res.status).toBe(202);
      await api.waitForVolume(id, (v) => v === null);
      expect(existsSync(file)).toBe(false);
      const list = await api.get('volumes');
      expect(list.body.volumes.map((v: { id: string }) => v.id)).not.toContain(id);
      const [row] = await cluster.sql<{ deleted: boolean; status: string }>(
        'SELECT deleted, status FROM volumes WHERE id = $1',
        [id],
      );
      expect(row).toEqual({ deleted: true, status: 'deleted' });
    });

    it('deletes a volume that never reached a backend directly', async () => {
      const res = await api.post('volumes', { volume: { size: 9, name: 'unplaceable' } });
      const id = res.body.volume.id as string;
      await api.waitForVolume(id, (v) => v?.status === 'error');
      expect((await api.delete(`volumes/${id}`)).status).toBe(202);
      expect((await api.get(`volumes/${id}`)).status).toBe(404);
    });

    it('refuses to delete a volume in a status Cinder does not allow', async () => {
      await cluster.stopService('cinder-scheduler');
      try {
        const res = await api.post('volumes', { volume: { size: 1, name: 'stuck-creating' } });
        const id = res.body.volume.id as string;
        const refused = await api.delete(`volumes/${id}`);
        expect(refused.status).toBe(400);
        expect(refused.body.badRequest.message).toContain(
          'Invalid volume: Volume status must be available or error',
        );
        expect((await api.get(`volumes/${id}`)).body.volume.status).toBe('creating');
      } finally {
        await cluster.startService('cinder-scheduler', 'apps/cinder-scheduler/dist/main.js', {});
      }
    });

    it('carries one request id through every service', async () => {
      const requestId = 'req-0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
      const res = await api.post(
        'volumes',
        { volume: { size: 1 } },
        { 'X-OpenStack-Request-Id': requestId },
      );
      expect(res.headers.get('x-openstack-request-id')).toBe(requestId);
      const volume = await api.waitForVolume(
        res.body.volume.id as string,
        (v) => v?.status === 'available',
      );
      const backend = (volume?.['os-vol-host-attr:host'] as string).split('@')[1].split('#')[0];
      for (const service of ['cinder-api', 'cinder-scheduler', `cinder-volume@${backend}`]) {
        const lines = cluster
          .logOf(service)
          .split('\n')
          .filter((l) => l.includes(requestId));
        expect({ service, lines: lines.length > 0 }).toEqual({ service, lines: true });
      }
    });
  });

  describe('rescheduling', () => {
    const cluster = new Cluster([
      // The roomier backend is tried first and fails every create.
      { name: 'flaky', capacityGb: 100, env: { DRIVER_FAIL_CREATE: 'true' } },
      { name: 'steady', capacityGb: 50 },
    ]);
    let api: ApiClient;

    beforeAll(async () => {
      await cluster.start();
      api = new ApiClient(cluster.apiUrl, PROJECT_A);
    });
    afterAll(() => cluster.stop());

    it('reschedules to another backend when the driver fails', async () => {
      const res = await api.post('volumes', { volume: { size: 2 } });
      const id = res.body.volume.id as string;
      const volume = await api.waitForVolume(id, (v) => v?.status === 'available');
      expect(volume?.['os-vol-host-attr:host']).toBe(`${cluster.serviceHost('steady')}#steady`);
      expect(existsSync(join(cluster.dataDir('flaky'), `volume-${id}`))).toBe(false);
      expect(cluster.logOf('cinder-volume@flaky')).toContain('rescheduling');
    });
  });

  describe('every backend failing', () => {
    const cluster = new Cluster([
      { name: 'bad-1', capacityGb: 100, env: { DRIVER_FAIL_CREATE: 'true' } },
      { name: 'bad-2', capacityGb: 50, env: { DRIVER_FAIL_CREATE: 'true' } },
    ]);
    let api: ApiClient;

    beforeAll(async () => {
      await cluster.start();
      api = new ApiClient(cluster.apiUrl, PROJECT_A);
    });
    afterAll(() => cluster.stop());

    it('ends in error with the reason recorded', async () => {
      const res = await api.post('volumes', { volume: { size: 1 } });
      const id = res.body.volume.id as string;
      await api.waitForVolume(id, (v) => v?.status === 'error');
      const [message] = await cluster.sql<{ detail: string; event_id: string }>(
        'SELECT detail, event_id FROM messages WHERE resource_uuid = $1',
        [id],
      );
      expect(message.event_id).toBe('VOLUME_VOLUME_001_003');
      expect(message.detail).toContain(`${cluster.serviceHost('bad-1')}: injected failure`);
      expect(message.detail).toContain(`${cluster.serviceHost('bad-2')}: injected failure`);
      const [row] = await cluster.sql<{ scheduling_attempt: number }>(
        'SELECT scheduling_attempt FROM volumes WHERE id = $1',
        [id],
      );
      expect(row.scheduling_attempt).toBe(3);
    });
  });

  describe('several schedulers', () => {
    const cluster = new Cluster([
      { name: 'left', capacityGb: 100 },
      { name: 'right', capacityGb: 100 },
    ]);
    let api: ApiClient;

    beforeAll(async () => {
      await cluster.start();
      await cluster.startService('cinder-scheduler-2', 'apps/cinder-scheduler/dist/main.js', {
        SERVICE_HOST: 'e2e-host-2',
      });
      api = new ApiClient(cluster.apiUrl, PROJECT_A);
    });
    afterAll(() => cluster.stop());

    it('share the work, and each hears every backend', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        ids.push((await api.post('volumes', { volume: { size: 1 } })).body.volume.id as string);
      }
      const volumes = await Promise.all(
        ids.map((id) => api.waitForVolume(id, (v) => v?.status === 'available')),
      );
      const hosts = new Set(volumes.map((v) => v?.['os-vol-host-attr:host'] as string));
      expect(hosts).toEqual(
        new Set([`${cluster.serviceHost('left')}#left`, `${cluster.serviceHost('right')}#right`]),
      );
      for (const scheduler of ['cinder-scheduler', 'cinder-scheduler-2']) {
        const log = cluster.logOf(scheduler);
        expect({ scheduler, placed: log.includes('"msg":"volume scheduled"') }).toEqual({
          scheduler,
          placed: true,
        });
        for (const backend of ['left', 'right']) {
          expect(log).toContain(`"backend":"${cluster.serviceHost(backend)}"`);
        }
      }
    });
  });
});
