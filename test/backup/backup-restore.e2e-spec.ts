/* eslint-disable @typescript-eslint/no-explicit-any -- API bodies are JSON the test picks apart */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';
import { digestOfFile } from '../support/sparse-read';

const MiB = 1024 * 1024;

const sha256OfFile = (path: string) => digestOfFile(path, 'sha256');

function writeAt(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** Every chunk file under a backup's container. */
function chunksIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('chunk-')) : [];
}

describe('backup and restore, on real bytes', () => {
  const cluster = new Cluster([{ name: 'disk', capacityGb: 100 }], {
    BACKUP_CHUNK_SIZE: String(MiB),
  });
  let api: ApiClient;
  const connector = { host: 'compute-9', mountpoint: '/dev/vdd' };

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A).withVersion('3.44');
  });
  afterAll(() => cluster.stop());

  async function volume(size: number, name: string): Promise<{ id: string; path: string }> {
    const res = await api.post('volumes', { volume: { size, name } });
    const id = res.body.volume.id as string;
    await api.waitForVolume(id, (v) => v?.status === 'available');
    return { id, path: join(cluster.dataDir('disk'), `volume-${id}`) };
  }

  async function backup(body: Record<string, unknown>): Promise<Record<string, any>> {
    const res = await api.post('backups', { backup: body });
    expect(res.status).toBe(202);
    const id = res.body.backup.id as string;
    let last: Record<string, any> = {};
    await cluster.waitFor(
      async () => {
        last = (await api.get(`backups/${id}`)).body.backup;
        return last.status === 'available' || last.status === 'error';
      },
      60_000,
      () => `backup ${id} never finished: ${JSON.stringify(last)}`,
    );
    return last;
  }

  const container = (id: string) => join(cluster.backupDir, id.slice(0, 2), id.slice(2, 4), id);

  it('full and incremental backups, restored into new and existing volumes, byte for byte', async () => {
    const source = await volume(2, 'source');
    // Write known bytes through an attachment's connection, then detach.
    const att = await api.post('attachments', {
      attachment: { volume_uuid: source.id, instance_uuid: randomUUID(), connector },
    });
    const devicePath = att.body.attachment.connection_info.device_path as string;
    writeAt(devicePath, 0, randomBytes(3 * MiB));
    writeAt(devicePath, 1024 * MiB + 17, randomBytes(MiB / 2));
    await api.post(`attachments/${att.body.attachment.id as string}/action`, { 'os-complete': {} });
    await api.delete(`attachments/${att.body.attachment.id as string}`);
    const original = await sha256OfFile(source.path);

    const full = await backup({ volume_id: source.id, name: 'full' });
    expect(full).toMatchObject({
      status: 'available',
      size: 2,
      is_incremental: false,
      volume_id: source.id,
    });
    // 3 MiB at the start and half a MiB across at most two chunks: all-zero chunks cost nothing.
    expect(chunksIn(container(full.id as string)).length).toBeGreaterThanOrEqual(4);
    expect(chunksIn(container(full.id as string)).length).toBeLessThanOrEqual(5);
    expect(full.object_count).toBe(chunksIn(container(full.id as string)).length);
    expect((await api.get(`volumes/${source.id}`)).body.volume.status).toBe('available');
    expect(cluster.logOf('cinder-backup')).toContain('"msg":"backup progress"');

    // Change bytes in one chunk: the incremental stores that chunk only.
    writeAt(source.path, MiB + 10, Buffer.from('changed bytes'));
    const changed = await sha256OfFile(source.path);
    const incremental = await backup({ volume_id: source.id, name: 'incr', incremental: true });
    expect(incremental).toMatchObject({
      status: 'available',
      is_incremental: true,
      object_count: 1,
    });
    expect(chunksIn(container(incremental.id as string))).toEqual(['chunk-00001']);
    expect((await api.get(`backups/${full.id as string}`)).body.backup.has_dependent_backups).toBe(
      true,
    );

    // Restore the full backup into a new volume.
    const restored = await api.post(`backups/${full.id as string}/restore`, {
      restore: { name: 'from-full' },
    });
    expect(restored.status).toBe(202);
    expect(restored.body.restore).toMatchObject({ backup_id: full.id, volume_name: 'from-full' });
    const newId = restored.body.restore.volume_id as string;
    const newVolume = await api.waitForVolume(newId, (v) => v?.status === 'available', 60_000);
    expect(newVolume?.size).toBe(2);
    expect(newVolume?.metadata).toMatchObject({ src_backup_id: full.id });
    expect(await sha256OfFile(join(cluster.dataDir('disk'), `volume-${newId}`))).toBe(original);

    // Restore the incremental into an existing volume full of other bytes.
    const target = await volume(2, 'target');
    writeAt(target.path, 0, randomBytes(4 * MiB));
    const into = await api.post(`backups/${incremental.id as string}/restore`, {
      restore: { volume_id: target.id },
    });
    expect(into.body.restore).toMatchObject({
      backup_id: incremental.id,
      volume_id: target.id,
      volume_name: 'target',
    });
    await api.waitForVolume(target.id, (v) => v?.status === 'available', 60_000);
    expect(await sha256OfFile(target.path)).toBe(changed);
    expect((await api.get(`backups/${incremental.id as string}`)).body.backup.status).toBe(
      'available',
    );

    // Illegal actions: each its Cinder error, nothing changed.
    expect((await api.delete(`backups/${full.id as string}`)).body).toEqual({
      badRequest: {
        code: 400,
        message: 'Invalid backup: Incremental backups exist for this backup.',
      },
    });
    const small = await volume(1, 'small');
    expect(
      (await api.post(`backups/${full.id as string}/restore`, { restore: { volume_id: small.id } }))
        .body,
    ).toEqual({
      badRequest: {
        code: 400,
        message: 'Invalid volume: volume size 1 is too small to restore backup of size 2.',
      },
    });
    // A volume being attached can't be backed up; an in-use one only with force, and it stays in-use.
    const busy = await api.post('attachments', {
      attachment: { volume_uuid: small.id, instance_uuid: randomUUID(), connector },
    });
    expect((await api.get(`volumes/${small.id}`)).body.volume.status).toBe('attaching');
    expect(
      (await api.post('backups', { backup: { volume_id: small.id } })).body.badRequest.message,
    ).toBe(
      'Invalid volume: Volume to be backed up must be available or in-use, but the current status is "attaching".',
    );
    await api.post(`attachments/${busy.body.attachment.id as string}/action`, {
      'os-complete': {},
    });
    expect(
      (await api.post('backups', { backup: { volume_id: small.id } })).body.badRequest.message,
    ).toBe('Invalid volume: Backing up an in-use volume must use the force flag.');
    const forced = await backup({ volume_id: small.id, force: true });
    expect(forced.status).toBe('available');
    expect((await api.get(`volumes/${small.id}`)).body.volume.status).toBe('in-use');
    await api.delete(`attachments/${busy.body.attachment.id as string}`);
    expect((await api.get(`volumes/${small.id}`)).body.volume.status).toBe('available');

    // The incremental restores into a new volume as well.
    const again = await api.post(`backups/${incremental.id as string}/restore`, { restore: {} });
    const againId = again.body.restore.volume_id as string;
    await api.waitForVolume(againId, (v) => v?.status === 'available', 60_000);
    expect(await sha256OfFile(join(cluster.dataDir('disk'), `volume-${againId}`))).toBe(changed);

    // Corrupt one stored chunk of the full backup: the restore fails loudly.
    const victim = join(container(full.id as string), chunksIn(container(full.id as string))[0]);
    const bytes = readFileSync(victim);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(victim, bytes);
    const spoiled = await volume(2, 'spoiled');
    await api.post(`backups/${full.id as string}/restore`, { restore: { volume_id: spoiled.id } });
    await api.waitForVolume(spoiled.id, (v) => v?.status === 'error_restoring', 60_000);
    const afterCorruption = (await api.get(`backups/${full.id as string}`)).body.backup;
    expect(afterCorruption.status).toBe('available');
    expect(afterCorruption.fail_reason).toMatch(/chunk/i);

    // Deletes: the incremental first, then the full; their data leaves the repository.
    expect((await api.delete(`backups/${incremental.id as string}`)).status).toBe(202);
    await cluster.waitFor(
      async () => (await api.get(`backups/${incremental.id as string}`)).status === 404,
      20_000,
      () => 'incremental backup never deleted',
    );
    expect(existsSync(container(incremental.id as string))).toBe(false);
    expect((await api.delete(`backups/${full.id as string}`)).status).toBe(202);
    await cluster.waitFor(
      async () => (await api.get(`backups/${full.id as string}`)).status === 404,
      20_000,
      () => 'full backup never deleted',
    );
    expect(existsSync(container(full.id as string))).toBe(false);
  });

  it("a restore brings back the volume's name, description and metadata, as Cinder's does", async () => {
    const created = await api.post('volumes', {
      volume: { size: 1, name: 'records', description: 'ledger', metadata: { tier: 'gold' } },
    });
    const source = created.body.volume.id as string;
    await api.waitForVolume(source, (v) => v?.status === 'available');
    const made = await backup({ volume_id: source });
    expect(made.status).toBe('available');

    // Into a volume made for the restore: it becomes what was backed up.
    const restored = await api.post(`backups/${made.id as string}/restore`, { restore: {} });
    expect(restored.body.restore.volume_name).toBe(`restore_backup_${made.id as string}`);
    const fresh = await api.waitForVolume(
      restored.body.restore.volume_id as string,
      (v) => v?.status === 'available',
      60_000,
    );
    expect(fresh).toMatchObject({
      name: 'records',
      description: 'ledger',
      metadata: { tier: 'gold', src_backup_id: made.id },
    });

    // Into a volume the user named: the name stays, the metadata is the backup's.
    const mine = await api.post('volumes', {
      volume: { size: 1, name: 'mine', metadata: { scratch: 'yes' } },
    });
    const target = mine.body.volume.id as string;
    await api.waitForVolume(target, (v) => v?.status === 'available');
    await api.post(`backups/${made.id as string}/restore`, { restore: { volume_id: target } });
    const over = await api.waitForVolume(
      target,
      (v) => v?.status === 'available' && v.metadata.src_backup_id !== undefined,
      60_000,
    );
    expect(over).toMatchObject({ name: 'mine', description: null });
    expect(over?.metadata).toEqual({ tier: 'gold', src_backup_id: made.id });
  });

  it('creates a volume from a backup (3.47): cinder-volume makes it, cinder-backup fills it', async () => {
    const v347 = api.withVersion('3.47');
    const created = await v347.post('volumes', {
      volume: { size: 2, name: 'origin', metadata: { app: 'ledger' } },
    });
    const origin = created.body.volume.id as string;
    await api.waitForVolume(origin, (v) => v?.status === 'available');
    const originPath = join(cluster.dataDir('disk'), `volume-${origin}`);
    writeAt(originPath, 5 * MiB + 3, randomBytes(2 * MiB));
    const bytes = await sha256OfFile(originPath);
    const made = await backup({ volume_id: origin });
    expect(made.status).toBe('available');

    // Refused before anything is written: each with Cinder's error.
    const missing = randomUUID();
    expect((await v347.post('volumes', { volume: { backup_id: missing } })).body).toEqual({
      itemNotFound: { code: 404, message: `Backup ${missing} could not be found.` },
    });
    expect(
      (await v347.post('volumes', { volume: { backup_id: made.id, size: 1 } })).body.badRequest
        .message,
    ).toBe(
      'Invalid input received: Volume size 1GB cannot be smaller than the backup size 2GB. It must be >= backup size.',
    );
    const failed = await backup({ volume_id: origin });
    await cluster.sql(`UPDATE backups SET status = 'error' WHERE id = $1`, [failed.id]);
    expect(
      (await v347.post('volumes', { volume: { backup_id: failed.id } })).body.badRequest.message,
    ).toBe("Invalid backup: Originating backup status must be one of 'available' values");

    // Size, and with no name given the name, come from the backup; the bytes too.
    const res = await v347.post('volumes', { volume: { backup_id: made.id } });
    expect(res.status).toBe(202);
    expect(res.body.volume).toMatchObject({ size: 2, status: 'creating', name: null });
    const id = res.body.volume.id as string;
    const volume = await api.waitForVolume(
      id,
      (v) => v?.status === 'available' || v?.status === 'error',
      60_000,
    );
    expect(volume).toMatchObject({
      status: 'available',
      size: 2,
      name: 'origin',
      metadata: { app: 'ledger', src_backup_id: made.id },
    });
    expect(await sha256OfFile(join(cluster.dataDir('disk'), `volume-${id}`))).toBe(bytes);
    expect((await api.get(`backups/${made.id as string}`)).body.backup).toMatchObject({
      status: 'available',
    });
    expect(await cluster.sql('SELECT * FROM workers')).toEqual([]);

    // The restore message delivered again afterwards: nothing is written, nothing changes.
    writeAt(join(cluster.dataDir('disk'), `volume-${id}`), 0, Buffer.from('in use since'));
    const inUse = await sha256OfFile(join(cluster.dataDir('disk'), `volume-${id}`));
    await cluster.publish('cinder-backup.e2e-host', {
      method: 'restore_backup',
      context: {
        request_id: 'req-7e57d0b1-e000-4000-8000-0000000dup2',
        user_id: 'e2e-user',
        project_id: PROJECT_A,
        roles: ['admin'],
        is_admin: true,
        sent_at: new Date().toISOString(),
      },
      payload: { backup_id: made.id, volume_id: id, volume_is_new: true },
    });
    await cluster.waitFor(
      () => cluster.logOf('cinder-backup').includes('req-7e57d0b1-e000-4000-8000-0000000dup2'),
      10_000,
      () => 'the repeated restore was never delivered',
    );
    expect(cluster.logOf('cinder-backup')).toMatch(
      /"request_id":"req-7e57d0b1-e000-4000-8000-0000000dup2".*no restore waiting for this volume/,
    );
    expect(await sha256OfFile(join(cluster.dataDir('disk'), `volume-${id}`))).toBe(inUse);
    expect((await api.get(`volumes/${id}`)).body.volume.status).toBe('available');
  });

  it('a backup left creating by a crashed cinder-backup is set to error on restart, its volume freed', async () => {
    const v = await volume(1, 'crashed-backup');
    await cluster.stopService('cinder-backup', 'SIGKILL');
    // What a crash in the middle of create_backup leaves behind.
    const id = randomUUID();
    await cluster.sql(
      "UPDATE volumes SET status = 'backing-up', previous_status = 'available' WHERE id = $1",
      [v.id],
    );
    await cluster.sql(
      `INSERT INTO backups (id, project_id, user_id, volume_id, status, size, host, created_at)
       VALUES ($1, $2, 'e2e-user', $3, 'creating', 1, 'e2e-host', now())`,
      [id, PROJECT_A, v.id],
    );
    await cluster.sql(
      `INSERT INTO workers (resource_type, resource_id, status, service_host, created_at)
       VALUES ('backup', $1, 'creating', 'e2e-host', now())`,
      [id],
    );
    await cluster.startService('cinder-backup', 'apps/cinder-backup/dist/main.js', {
      BACKUP_DIR: cluster.backupDir,
      BACKUP_CHUNK_SIZE: String(MiB),
    });
    const backup = (await api.get(`backups/${id}`)).body.backup;
    expect(backup).toMatchObject({
      status: 'error',
      fail_reason: 'incomplete backup reset on manager restart',
    });
    expect((await api.get(`volumes/${v.id}`)).body.volume.status).toBe('available');
    expect(await cluster.sql('SELECT * FROM workers')).toEqual([]);
  });

  it('a volume whose backup was taken before cinder-volume got to it ends error, with a user message', async () => {
    const source = await volume(1, 'contended');
    const made = await backup({ volume_id: source.id });
    const other = await volume(1, 'other-restore');
    // cinder-volume is away: the create waits in its queue while the backup gets taken.
    await cluster.stopService('cinder-volume@disk');
    const res = await api.withVersion('3.47').post('volumes', { volume: { backup_id: made.id } });
    expect(res.status).toBe(202);
    const id = res.body.volume.id as string;
    await cluster.waitFor(
      async () => (await api.get(`volumes/${id}`)).body.volume['os-vol-host-attr:host'] !== null,
      10_000,
      () => 'the scheduler never placed the volume',
    );
    await cluster.sql(
      "UPDATE backups SET status = 'restoring', restore_volume_id = $2 WHERE id = $1",
      [made.id, other.id],
    );
    await cluster.startBackend({ name: 'disk', capacityGb: 100 });
    expect((await api.waitForVolume(id, (v) => v?.status !== 'creating', 20_000))?.status).toBe(
      'error',
    );
    expect(existsSync(join(cluster.dataDir('disk'), `volume-${id}`))).toBe(false);
    const messages = await api.withVersion('3.3').get(`messages?resource_uuid=${id}`);
    expect(messages.body.messages).toEqual([
      expect.objectContaining({
        resource_uuid: id,
        user_message: 'restore backup: Backup status is invalid.',
      }),
    ]);
    // The restore that holds the backup is not disturbed.
    expect((await api.get(`backups/${made.id as string}`)).body.backup.status).toBe('restoring');
    await cluster.sql(
      "UPDATE backups SET status = 'available', restore_volume_id = NULL WHERE id = $1",
      [made.id],
    );
  });

  it.each([
    ['a restore into a volume', 'restoring-backup', 'error_restoring'],
    ['the restore of a volume being created from the backup', 'creating', 'error'],
  ])(
    '%s cut short by a crash leaves the backup available and the volume %s -> %s',
    async (_what, during, after) => {
      const source = await volume(1, 'restore-source');
      const b = await backup({ volume_id: source.id });
      const target = await volume(1, 'restore-target');
      await cluster.stopService('cinder-backup', 'SIGKILL');
      // What a crash in the middle of restore_backup leaves behind.
      await cluster.sql(
        "UPDATE backups SET status = 'restoring', restore_volume_id = $2 WHERE id = $1",
        [b.id, target.id],
      );
      await cluster.sql('UPDATE volumes SET status = $2 WHERE id = $1', [target.id, during]);
      await cluster.sql(
        `INSERT INTO workers (resource_type, resource_id, status, service_host, created_at)
         VALUES ('backup', $1, 'restoring', 'e2e-host', now())`,
        [b.id],
      );
      await cluster.startService('cinder-backup', 'apps/cinder-backup/dist/main.js', {
        BACKUP_DIR: cluster.backupDir,
        BACKUP_CHUNK_SIZE: String(MiB),
      });
      expect((await api.get(`backups/${b.id as string}`)).body.backup).toMatchObject({
        status: 'available',
        fail_reason: 'restore interrupted by a manager restart',
      });
      expect((await api.get(`volumes/${target.id}`)).body.volume.status).toBe(after);
      expect(await cluster.sql('SELECT * FROM workers')).toEqual([]);
    },
  );

  it("lists backups with Cinder's shapes", async () => {
    const v = await volume(1, 'listed');
    const b = await backup({ volume_id: v.id, name: 'shown', description: 'd' });
    const list = await api.get('backups');
    expect(list.body.backups).toContainEqual(
      expect.objectContaining({ id: b.id, name: 'shown', links: expect.any(Array) }),
    );
    const detail = (await api.get('backups/detail')).body.backups.find(
      (x: { id: string }) => x.id === b.id,
    );
    expect(Object.keys(detail).sort()).toEqual(
      [
        'availability_zone',
        'container',
        'created_at',
        'data_timestamp',
        'description',
        'fail_reason',
        'has_dependent_backups',
        'id',
        'is_incremental',
        'links',
        'metadata',
        'name',
        'object_count',
        'size',
        'snapshot_id',
        'status',
        'updated_at',
        'volume_id',
        'os-backup-project-attr:project_id',
      ].sort(),
    );
  });
});
