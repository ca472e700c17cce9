import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';

function envelope(method: string, payload: unknown) {
  return {
    method,
    context: {
      request_id: 'req-7e57d0b1-e000-4000-8000-00000000dup1',
      user_id: 'e2e-user',
      project_id: PROJECT_A,
      roles: ['admin'],
      is_admin: true,
      sent_at: new Date().toISOString(),
    },
    payload,
  };
}

describe('crashes and duplicate deliveries', () => {
  const cluster = new Cluster([{ name: 'main', capacityGb: 100 }]);
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
  });
  afterAll(() => cluster.stop());

  it('a cinder-volume killed mid-create sets the volume to error on restart, and the redelivered create changes nothing', async () => {
    await cluster.stopService('cinder-volume@main');
    await cluster.startBackend(
      { name: 'main', capacityGb: 100 },
      { DRIVER_CREATE_DELAY_MS: '60000' },
    );

    const res = await api.post('volumes', { volume: { size: 1, name: 'interrupted' } });
    const id = res.body.volume.id as string;
    await cluster.waitFor(
      async () =>
        (await cluster.sql('SELECT 1 FROM workers WHERE resource_id = $1', [id])).length === 1,
      10_000,
      () => 'cinder-volume never started the create',
    );
    await cluster.stopService('cinder-volume@main', 'SIGKILL');
    expect((await api.get(`volumes/${id}`)).body.volume.status).toBe('creating');

    await cluster.startBackend({ name: 'main', capacityGb: 100 });
    await api.waitForVolume(id, (v) => v?.status === 'error');
    expect(cluster.logOf('cinder-volume@main')).toContain(
      'create interrupted by a restart; volume set to error',
    );
    expect(await cluster.sql('SELECT * FROM workers')).toEqual([]);

    // The unacknowledged create comes back after the restart; it must not revive the volume.
    await cluster.waitFor(
      () => cluster.logOf('cinder-volume@main').includes('create already handled or superseded'),
      10_000,
      () => 'the interrupted create was never redelivered',
    );
    expect((await api.get(`volumes/${id}`)).body.volume.status).toBe('error');
    expect(existsSync(join(cluster.dataDir('main'), `volume-${id}`))).toBe(false);
  });

  it('a delete interrupted by a crash is finished when cinder-volume restarts', async () => {
    const res = await api.post('volumes', { volume: { size: 1, name: 'half-deleted' } });
    const id = res.body.volume.id as string;
    await api.waitForVolume(id, (v) => v?.status === 'available');
    await cluster.stopService('cinder-volume@main', 'SIGKILL');
    // What a crash in the middle of delete_volume leaves: the volume `deleting`, the work noted.
    await cluster.sql("UPDATE volumes SET status = 'deleting' WHERE id = $1", [id]);
    await cluster.sql(
      `INSERT INTO workers (resource_type, resource_id, status, service_host, created_at)
       VALUES ('volume', $1, 'deleting', $2, now())`,
      [id, cluster.serviceHost('main')],
    );
    expect(existsSync(join(cluster.dataDir('main'), `volume-${id}`))).toBe(true);

    await cluster.startBackend({ name: 'main', capacityGb: 100 });
    await api.waitForVolume(id, (v) => v === null);
    expect(existsSync(join(cluster.dataDir('main'), `volume-${id}`))).toBe(false);
    expect(cluster.logOf('cinder-volume@main')).toContain(
      'work interrupted by a restart; resuming',
    );
    expect(await cluster.sql('SELECT * FROM workers')).toEqual([]);
  });

  it('a cinder-volume killed mid-attach: the call is redelivered to the restarted service, and the attach completes', async () => {
    const created = await api.post('volumes', { volume: { size: 1, name: 'attach-crash' } });
    const id = created.body.volume.id as string;
    await api.waitForVolume(id, (v) => v?.status === 'available');
    await cluster.stopService('cinder-volume@main');
    await cluster.startBackend(
      { name: 'main', capacityGb: 100 },
      { DRIVER_ATTACH_DELAY_MS: '60000' },
    );

    const attaching = api.withVersion('3.44').post('attachments', {
      attachment: {
        volume_uuid: id,
        instance_uuid: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
        connector: { host: 'compute-7', mountpoint: '/dev/vdc' },
      },
    });
    // Reserved by the API, then the call to cinder-volume, whose driver takes its time.
    await cluster.waitFor(
      async () =>
        (await cluster.sql('SELECT 1 FROM volume_attachment WHERE volume_id = $1', [id])).length ===
        1,
      10_000,
      () => 'the attach was never reserved',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await cluster.stopService('cinder-volume@main', 'SIGKILL');
    await cluster.startBackend({ name: 'main', capacityGb: 100 });

    // The unanswered call comes back to the new process, which answers the waiting API.
    const res = await attaching;
    expect(res.status).toBe(200);
    expect(res.body.attachment.connection_info.device_path).toContain(id);
    const attachmentId = res.body.attachment.id as string;
    const complete = await api
      .withVersion('3.44')
      .post(`attachments/${attachmentId}/action`, { 'os-complete': null });
    expect(complete.status).toBe(204);
    expect((await api.get(`volumes/${id}`)).body.volume.status).toBe('in-use');
    expect((await api.withVersion('3.44').delete(`attachments/${attachmentId}`)).status).toBe(200);
    await api.waitForVolume(id, (v) => v?.status === 'available');
  });

  it('a create delivered twice to the scheduler and to cinder-volume changes nothing', async () => {
    const res = await api.post('volumes', { volume: { size: 1, name: 'once' } });
    const id = res.body.volume.id as string;
    const volume = await api.waitForVolume(id, (v) => v?.status === 'available');
    const [before] = await cluster.sql('SELECT * FROM volumes WHERE id = $1', [id]);
    const countBefore = await cluster.sql('SELECT count(*) FROM volumes');

    const requestSpec = {
      volume_id: id,
      size: 1,
      availability_zone: 'nova',
      volume_type: { id: before.volume_type_id, name: '__DEFAULT__', extra_specs: {} },
    };
    const retry = { num_attempts: 1, backends: [], exc_reasons: [] };
    await cluster.publish(
      'cinder-scheduler',
      envelope('create_volume', { request_spec: requestSpec, retry }),
    );
    await cluster.publish(
      `cinder-volume.${cluster.serviceHost('main')}`,
      envelope('create_volume', {
        request_spec: requestSpec,
        retry,
        host: volume?.['os-vol-host-attr:host'],
      }),
    );
    await cluster.waitFor(
      () =>
        cluster.logOf('cinder-scheduler').includes('volume no longer waiting for this attempt') &&
        cluster
          .logOf('cinder-volume@main')
          .split('\n')
          .some((l) => l.includes(id) && l.includes('create already handled or superseded')),
      10_000,
      () => 'the duplicates were not consumed',
    );

    const [after] = await cluster.sql('SELECT * FROM volumes WHERE id = $1', [id]);
    expect(after).toEqual(before);
    expect(await cluster.sql('SELECT count(*) FROM volumes')).toEqual(countBefore);
    expect(readdirSync(cluster.dataDir('main')).filter((f) => f.includes(id))).toHaveLength(1);
  });

  it('a delete delivered twice deletes once', async () => {
    const res = await api.post('volumes', { volume: { size: 1, name: 'twice-deleted' } });
    const id = res.body.volume.id as string;
    await api.waitForVolume(id, (v) => v?.status === 'available');
    await api.delete(`volumes/${id}`);
    await api.waitForVolume(id, (v) => v === null);
    const [before] = await cluster.sql('SELECT * FROM volumes WHERE id = $1', [id]);

    await cluster.publish(
      `cinder-volume.${cluster.serviceHost('main')}`,
      envelope('delete_volume', { volume_id: id }),
    );
    await cluster.waitFor(
      () =>
        cluster
          .logOf('cinder-volume@main')
          .split('\n')
          .some((l) => l.includes(id) && l.includes('not in this work any more; nothing to do')),
      10_000,
      () => 'the duplicate delete was not consumed',
    );
    const [after] = await cluster.sql('SELECT * FROM volumes WHERE id = $1', [id]);
    expect(after).toEqual(before);
  });

  it('a message that breaks its contract is dead-lettered, not retried forever', async () => {
    await cluster.publish(
      'cinder-scheduler',
      envelope('create_volume', { request_spec: { volume_id: 'nope' } }),
    );
    await cluster.waitFor(
      () => cluster.logOf('cinder-scheduler').includes('invalid payload for'),
      10_000,
      () => 'the bad message was not rejected',
    );
    expect(cluster.logOf('cinder-scheduler')).toContain('message dead-lettered');
  });

  describe('a message no retry can help is dead-lettered, and its resource settled with a user message', () => {
    it('a create the scheduler can never handle: the volume ends error', async () => {
      await cluster.stopService('cinder-scheduler');
      const res = await api.post('volumes', { volume: { size: 1, name: 'poisoned' } });
      const id = res.body.volume.id as string;
      // Swap the real create for one that breaks its contract but names the volume.
      await cluster.waitFor(
        async () => (await cluster.purge('cinder-scheduler')) === 1,
        10_000,
        () => 'the create never reached the scheduler queue',
      );
      await cluster.publish(
        'cinder-scheduler',
        envelope('create_volume', {
          request_spec: { volume_id: id, size: 'huge' },
          retry: { num_attempts: 1, backends: [], exc_reasons: [] },
        }),
      );
      await cluster.startService('cinder-scheduler', 'apps/cinder-scheduler/dist/main.js', {});

      await api.waitForVolume(id, (v) => v?.status === 'error');
      const messages = await api.withVersion('3.3').get('messages');
      expect(messages.body.messages).toContainEqual(
        expect.objectContaining({
          resource_uuid: id,
          user_message: 'schedule allocate volume: An unknown error occurred.',
        }),
      );
      expect(cluster.logOf('cinder-scheduler')).toContain('message dead-lettered');
    });

    it('a restore cinder-backup can never run: the backup is available again, the volume error_restoring', async () => {
      const created = await api.post('volumes', { volume: { size: 1, name: 'restore-target' } });
      const volumeId = created.body.volume.id as string;
      await api.waitForVolume(volumeId, (v) => v?.status === 'available');
      const made = await api.post('backups', { backup: { volume_id: volumeId } });
      const backupId = made.body.backup.id as string;
      await cluster.waitFor(
        async () => (await api.get(`backups/${backupId}`)).body.backup.status === 'available',
        60_000,
        () => 'the backup never finished',
      );
      const { host } = (
        await cluster.sql<{ host: string }>('SELECT host FROM backups WHERE id = $1', [backupId])
      )[0];

      await cluster.stopService('cinder-backup');
      const restore = await api.post(`backups/${backupId}/restore`, {
        restore: { volume_id: volumeId },
      });
      expect(restore.status).toBe(202);
      await cluster.waitFor(
        async () => (await cluster.purge(`cinder-backup.${host}`)) === 1,
        10_000,
        () => 'the restore never reached the backup queue',
      );
      await cluster.publish(
        `cinder-backup.${host}`,
        envelope('restore_backup', {
          backup_id: backupId,
          volume_id: volumeId,
          volume_is_new: 'no',
        }),
      );
      await cluster.startService('cinder-backup', 'apps/cinder-backup/dist/main.js', {
        BACKUP_DIR: cluster.backupDir,
      });

      await api.waitForVolume(volumeId, (v) => v?.status === 'error_restoring');
      const backup = (await api.get(`backups/${backupId}`)).body.backup;
      expect(backup).toMatchObject({ status: 'available' });
      expect(backup.fail_reason).toContain('invalid payload for');
      const messages = await api.withVersion('3.3').get('messages');
      expect(messages.body.messages).toContainEqual(
        expect.objectContaining({
          resource_uuid: volumeId,
          user_message: 'restore backup: An unknown error occurred.',
        }),
      );
    });
  });
});
