import { randomUUID } from 'node:crypto';
import { statSync, unlinkSync } from 'node:fs';
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
});
