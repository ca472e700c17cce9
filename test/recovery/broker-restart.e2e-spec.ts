import { randomUUID } from 'node:crypto';
import type { StartedRabbitMQContainer } from '@testcontainers/rabbitmq';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';
import { infrastructure } from '../support/infrastructure';
import { freePort } from '../support/ports';

// Restarting the run's shared RabbitMQ would disturb every other test file: this one gets a
// broker of its own, which only a container engine can give it.
const ownBroker = infrastructure().source === 'testcontainers';
if (!ownBroker) {
  process.stdout.write('[e2e] SKIPPING the RabbitMQ restart test: it needs a container engine\n');
}

(ownBroker ? describe : describe.skip)('a RabbitMQ restart', () => {
  let broker: StartedRabbitMQContainer | undefined;
  let cluster: Cluster | undefined;
  let api: ApiClient;

  beforeAll(async () => {
    const { startRabbitMq } = await import('../support/containers');
    const port = await freePort();
    broker = await startRabbitMq(port);
    cluster = new Cluster(
      [{ name: 'main', capacityGb: 100 }],
      {},
      { amqpUrl: `amqp://guest:guest@127.0.0.1:${port}` },
    );
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A).withVersion('3.44');
  });
  afterAll(async () => {
    await cluster?.stop();
    await broker?.stop();
  });

  async function createVolume(name: string, timeoutMs = 20_000): Promise<string> {
    const res = await api.post('volumes', { volume: { size: 1, name } });
    expect(res.status).toBe(202);
    const id = res.body.volume.id as string;
    const volume = await api.waitForVolume(
      id,
      (v) => v?.status === 'available' || v?.status === 'error',
      timeoutMs,
    );
    expect(volume?.status).toBe('available');
    return id;
  }

  it('every service reconnects: casts, calls with replies and backups work again', async () => {
    await createVolume('before');

    await broker!.restart();
    for (const service of [
      'cinder-api',
      'cinder-scheduler',
      'cinder-volume@main',
      'cinder-backup',
    ]) {
      await cluster!.waitFor(
        () => cluster!.logOf(service).includes('disconnected from RabbitMQ; reconnecting'),
        10_000,
        () => `${service} never noticed the restart`,
      );
    }

    // Publishing through the outage is the services' business: the API accepts at once and the
    // create goes through once everyone is connected again.
    const id = await createVolume('after', 60_000);

    // A call: the API waits on a reply queue that the restart took away.
    const attachment = await api.post('attachments', {
      attachment: {
        volume_uuid: id,
        instance_uuid: randomUUID(),
        connector: { host: 'compute-1', mountpoint: '/dev/vdb' },
      },
    });
    expect(attachment.status).toBe(200);
    expect(attachment.body.attachment.connection_info.device_path).toContain(id);
    expect(
      (await api.delete(`attachments/${attachment.body.attachment.id as string}`)).status,
    ).toBe(200);

    // cinder-backup's consumer and its call to cinder-volume for a connection.
    const backup = await api.post('backups', { backup: { volume_id: id } });
    expect(backup.status).toBe(202);
    let status = '';
    await cluster!.waitFor(
      async () => {
        status = (await api.get(`backups/${backup.body.backup.id as string}`)).body.backup.status;
        return status === 'available' || status === 'error';
      },
      30_000,
      () => `backup never finished: ${status}`,
    );
    expect(status).toBe('available');
  });
});
