/* eslint-disable @typescript-eslint/no-explicit-any -- API bodies are JSON the test picks apart */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { isHole } from '@cinderflow/sparse-files';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';

const MiB = 1024 * 1024;

function writeAt(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** A volume file summed up: SHA-256 per MiB, all-zero MiBs (most of a sparse one) as `0`. */
function bytesOf(path: string): string[] {
  const fd = openSync(path, 'r');
  const block = Buffer.alloc(MiB);
  const zeros = Buffer.alloc(MiB);
  const sums: string[] = [];
  try {
    const { size } = fstatSync(fd);
    for (let offset = 0; ; offset += MiB) {
      // A hole is zeros, not read (reading it costs the kernel more than hashing data does).
      if (offset + MiB <= size && isHole(fd, offset, offset + MiB)) {
        sums.push('0');
        continue;
      }
      const read = readSync(fd, block, 0, MiB, offset);
      if (read === 0) return sums;
      const data = block.subarray(0, read);
      sums.push(
        data.equals(zeros.subarray(0, read))
          ? '0'
          : createHash('sha256').update(data).digest('hex'),
      );
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * cinder-backup when the volume under a running backup or restore is reset and deleted, and
 * when each of its messages is delivered twice at once and again after it finished. Every
 * backup and restore pauses 3 s after its first chunk (BACKUP_DRIVER_DELAY_MS): the window in
 * which the test interferes.
 */
describe('cinder-backup against resets, deletes and duplicate deliveries', () => {
  const cluster = new Cluster([{ name: 'disk', capacityGb: 100 }], {
    BACKUP_CHUNK_SIZE: String(MiB),
    BACKUP_DRIVER_DELAY_MS: '3000',
  });
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A).withVersion('3.44');
  });
  afterEach(async () => {
    // Whatever happened, nothing escaped a handler and nothing was given up on.
    expect(cluster.logOf('cinder-backup')).not.toContain('handler failed');
    expect(await deadLetters()).toBe(0);
    expect(await cluster.sql('SELECT * FROM workers')).toEqual([]);
  });
  afterAll(() => cluster.stop());

  const volumePath = (id: string) => join(cluster.dataDir('disk'), `volume-${id}`);
  const container = (id: string) => join(cluster.backupDir, id.slice(0, 2), id.slice(2, 4), id);

  async function volume(name: string): Promise<string> {
    const res = await api.post('volumes', { volume: { size: 1, name } });
    const id = res.body.volume.id as string;
    await api.waitForVolume(id, (v) => v?.status === 'available');
    writeAt(volumePath(id), 5 * MiB, randomBytes(3 * MiB));
    return id;
  }

  async function settled(id: string, done: (b: Record<string, any>) => boolean) {
    let last: Record<string, any> = {};
    await cluster.waitFor(
      async () => done((last = (await api.get(`backups/${id}`)).body.backup)),
      60_000,
      () => `backup ${id} never settled: ${JSON.stringify(last)}`,
    );
    return last;
  }

  async function startBackup(volumeId: string): Promise<string> {
    const res = await api.post('backups', { backup: { volume_id: volumeId } });
    expect(res.status).toBe(202);
    return res.body.backup.id as string;
  }

  async function availableBackup(volumeId: string): Promise<Record<string, any>> {
    const id = await startBackup(volumeId);
    return settled(id, (b) => b.status !== 'creating');
  }

  /** Until cinder-backup reported the first chunk of this backup's backup or restore. */
  function running(backupId: string, what: 'backup' | 'restore') {
    return cluster.waitFor(
      () =>
        cluster
          .logOf('cinder-backup')
          .split('\n')
          .some((l) => l.includes(backupId) && l.includes(`"msg":"${what} progress"`)),
      30_000,
      () => `the ${what} of ${backupId} never started`,
    );
  }

  async function resetAndDelete(volumeId: string, status: string): Promise<void> {
    const reset = await api.post(`volumes/${volumeId}/action`, {
      'os-reset_status': { status },
    });
    expect(reset.status).toBe(202);
    expect((await api.delete(`volumes/${volumeId}`)).status).toBe(202);
    await api.waitForVolume(volumeId, (v) => v === null);
  }

  /** Delivers `method` once more, as a redelivery would; resolves once cinder-backup took it. */
  async function deliverAgain(queue: string, method: string, payload: unknown): Promise<string> {
    const requestId = `req-${randomUUID()}`;
    await cluster.publish(queue, {
      method,
      context: {
        request_id: requestId,
        user_id: 'e2e-user',
        project_id: PROJECT_A,
        roles: ['admin'],
        is_admin: true,
        sent_at: new Date().toISOString(),
      },
      payload,
    });
    return requestId;
  }

  async function handled(requestId: string, says: string): Promise<void> {
    await cluster.waitFor(
      () =>
        cluster
          .logOf('cinder-backup')
          .split('\n')
          .some((l) => l.includes(`"request_id":"${requestId}"`) && l.includes(says)),
      20_000,
      () => `delivery ${requestId} never handled with "${says}"`,
    );
  }

  async function deadLetters(): Promise<number> {
    const connection = await amqplib.connect(cluster.amqpUrl);
    try {
      const channel = await connection.createChannel();
      const queue = await channel.checkQueue(`${cluster.prefix}cinderflow.dead-letter`);
      return queue.messageCount;
    } finally {
      await connection.close();
    }
  }

  /** Every file of a backup's container with its SHA-256, or null without a container. */
  function stored(backupId: string): Record<string, string> | null {
    if (!existsSync(container(backupId))) return null;
    return Object.fromEntries(
      readdirSync(container(backupId))
        .sort()
        .map((name) => [
          name,
          createHash('sha256')
            .update(readFileSync(join(container(backupId), name)))
            .digest('hex'),
        ]),
    );
  }

  it('a volume reset and deleted while its backup runs: the backup ends error with why, its data gone', async () => {
    const v = await volume('doomed');
    const id = await startBackup(v);
    await running(id, 'backup');
    await resetAndDelete(v, 'available');

    const backup = await settled(id, (b) => b.status !== 'creating');
    expect(backup).toMatchObject({
      status: 'error',
      fail_reason: `volume ${v} was deleted while the backup ran`,
    });
    expect(existsSync(container(id))).toBe(false);
    // The failed backup can be deleted like any other.
    expect((await api.delete(`backups/${id}`)).status).toBe(202);
    await cluster.waitFor(
      async () => (await api.get(`backups/${id}`)).status === 404,
      20_000,
      () => 'the failed backup was never deleted',
    );
  });

  it.each([
    ['an existing volume', false],
    ['a volume made for the restore', true],
  ])(
    'a restore into %s, the volume reset and deleted meanwhile: the backup is available again, with why',
    async (_what, made) => {
      const source = await volume('restore-source');
      const backup = await availableBackup(source);
      expect(backup.status).toBe('available');
      const id = backup.id as string;
      const target = made ? null : await volume('restore-target');
      const res = await api.post(`backups/${id}/restore`, {
        restore: target ? { volume_id: target } : {},
      });
      expect(res.status).toBe(202);
      const into = res.body.restore.volume_id as string;
      await running(id, 'restore');
      await resetAndDelete(into, 'error');

      expect(await settled(id, (b) => b.status !== 'restoring')).toMatchObject({
        status: 'available',
        fail_reason: `volume ${into} was deleted while the restore ran`,
      });
      // and it restores again
      const again = await api.post(`backups/${id}/restore`, { restore: {} });
      const fresh = again.body.restore.volume_id as string;
      await api.waitForVolume(fresh, (v) => v?.status === 'available', 60_000);
      expect(bytesOf(volumePath(fresh))).toEqual(bytesOf(volumePath(source)));
    },
  );

  it('create_backup delivered twice at once, and again after it finished: as once', async () => {
    const v = await volume('twice-backed-up');
    const source = bytesOf(volumePath(v));
    const id = await startBackup(v);
    await running(id, 'backup');
    const during = await deliverAgain('cinder-backup', 'create_backup', { backup_id: id });
    const once = await settled(id, (b) => b.status !== 'creating');
    // In one process the copy waits for the delivery in hand (the AMQP server runs copies of a
    // message one after the other), then finds the backup done; across processes the claim in
    // `workers` refuses it (apps/cinder-backup/src/flows/backup-flows.spec.ts).
    await handled(during, 'backup not waiting to be created here; nothing to do');
    expect(once).toMatchObject({ status: 'available', fail_reason: null });
    const bytes = stored(id);
    expect(Object.keys(bytes ?? {}).filter((f) => f.startsWith('chunk-'))).toHaveLength(
      once.object_count as number,
    );
    expect((await api.get(`volumes/${v}`)).body.volume.status).toBe('available');

    const after = await deliverAgain('cinder-backup', 'create_backup', { backup_id: id });
    await handled(after, 'backup not waiting to be created here; nothing to do');
    expect((await api.get(`backups/${id}`)).body.backup).toEqual(once);
    expect(stored(id)).toEqual(bytes);
    expect((await api.get(`volumes/${v}`)).body.volume.status).toBe('available');

    // What was stored is the volume.
    const restored = await api.post(`backups/${id}/restore`, { restore: {} });
    const copy = restored.body.restore.volume_id as string;
    await api.waitForVolume(copy, (x) => x?.status === 'available', 60_000);
    expect(bytesOf(volumePath(copy))).toEqual(source);
  });

  it('restore_backup delivered twice at once, and again after it finished: as once', async () => {
    const source = await volume('restore-twice-source');
    const id = (await availableBackup(source)).id as string;
    const target = await volume('restore-twice-target');
    const message = { backup_id: id, volume_id: target, volume_is_new: false };
    await api.post(`backups/${id}/restore`, { restore: { volume_id: target } });
    await running(id, 'restore');
    const during = await deliverAgain('cinder-backup.e2e-host', 'restore_backup', message);
    await api.waitForVolume(target, (v) => v?.status !== 'restoring-backup', 60_000);
    // As for create: the copy runs once the delivery in hand is done, and finds nothing to do.
    await handled(during, 'no restore waiting for this volume; nothing to do');
    expect(bytesOf(volumePath(target))).toEqual(bytesOf(volumePath(source)));
    const once = await settled(id, (b) => b.status !== 'restoring');
    expect(once).toMatchObject({ status: 'available', fail_reason: null });
    const volumeOnce = (await api.get(`volumes/${target}`)).body.volume;
    expect(volumeOnce.status).toBe('available');

    // In use since: a late duplicate must not restore over it.
    writeAt(volumePath(target), 0, randomBytes(MiB));
    const inUse = bytesOf(volumePath(target));
    const after = await deliverAgain('cinder-backup.e2e-host', 'restore_backup', message);
    await handled(after, 'no restore waiting for this volume; nothing to do');
    expect(bytesOf(volumePath(target))).toEqual(inUse);
    expect((await api.get(`backups/${id}`)).body.backup).toEqual(once);
    expect((await api.get(`volumes/${target}`)).body.volume).toEqual(volumeOnce);
  });

  it('delete_backup delivered twice at once, and again after it finished: as once', async () => {
    const v = await volume('delete-twice');
    const full = (await availableBackup(v)).id as string;
    writeAt(volumePath(v), 20 * MiB, randomBytes(2 * MiB));
    const incRes = await api.post('backups', { backup: { volume_id: v, incremental: true } });
    const incremental = incRes.body.backup.id as string;
    expect((await settled(incremental, (b) => b.status !== 'creating')).status).toBe('available');
    const dependents = () =>
      cluster.sql<{ n: number }>('SELECT num_dependent_backups AS n FROM backups WHERE id = $1', [
        full,
      ]);
    expect(await dependents()).toEqual([{ n: 1 }]);
    const fullBytes = stored(full);

    // The API's cast and two more copies, all at once.
    expect((await api.delete(`backups/${incremental}`)).status).toBe(202);
    const copies = await Promise.all(
      [1, 2].map(() =>
        deliverAgain('cinder-backup.e2e-host', 'delete_backup', { backup_id: incremental }),
      ),
    );
    await cluster.waitFor(
      async () => (await api.get(`backups/${incremental}`)).status === 404,
      20_000,
      () => 'the incremental was never deleted',
    );
    for (const copy of copies) {
      await cluster.waitFor(
        () => cluster.logOf('cinder-backup').includes(`"request_id":"${copy}"`),
        20_000,
        () => `delivery ${copy} never handled`,
      );
    }
    expect(stored(incremental)).toBeNull();
    expect(await dependents()).toEqual([{ n: 0 }]);
    expect(stored(full)).toEqual(fullBytes);
    const fullOnce = (await api.get(`backups/${full}`)).body.backup;
    expect(fullOnce).toMatchObject({ status: 'available', has_dependent_backups: false });

    const after = await deliverAgain('cinder-backup.e2e-host', 'delete_backup', {
      backup_id: incremental,
    });
    await handled(after, 'backup not deleting; nothing to do');
    expect(await dependents()).toEqual([{ n: 0 }]);
    expect(stored(full)).toEqual(fullBytes);
    expect((await api.get(`backups/${full}`)).body.backup).toEqual(fullOnce);
  });
});
