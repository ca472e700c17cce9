/* eslint-disable @typescript-eslint/no-explicit-any -- API bodies are JSON the test picks apart */
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';
import { digestOfFile } from '../support/sparse-read';

const MiB = 1024 * 1024;
const POSIX = 'cinder.backup.drivers.posix.PosixBackupDriver';

function writeAt(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

const sha256 = (path: string) => digestOfFile(path, 'sha256');
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const decode = (url: string) => JSON.parse(Buffer.from(url, 'base64').toString('utf8'));

/**
 * The rest of Cinder's backup API: the view per microversion, metadata, update, the admin
 * actions (reset-status, force-delete), export and import of backup records. Backups pause 2 s
 * after their first chunk (BACKUP_DRIVER_DELAY_MS): the window a force-delete hits a running
 * create in.
 */
describe('backup update, admin actions, export and import', () => {
  const cluster = new Cluster([{ name: 'disk', capacityGb: 100 }], {
    BACKUP_CHUNK_SIZE: String(MiB),
    BACKUP_DRIVER_DELAY_MS: '2000',
  });
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A).withVersion('3.64');
  });
  afterEach(async () => {
    expect(cluster.logOf('cinder-backup')).not.toContain('handler failed');
    expect(await cluster.sql('SELECT * FROM workers')).toEqual([]);
  });
  afterAll(() => cluster.stop());

  const volumePath = (id: string) => join(cluster.dataDir('disk'), `volume-${id}`);
  const container = (id: string) => join(cluster.backupDir, id.slice(0, 2), id.slice(2, 4), id);
  const put = (path: string, body: unknown, client = api) => client.request('PUT', path, body);
  const action = (id: string, body: unknown) => api.post(`backups/${id}/action`, body);

  async function volume(name: string): Promise<string> {
    const res = await api.post('volumes', { volume: { size: 1, name } });
    const id = res.body.volume.id as string;
    await api.waitForVolume(id, (v) => v?.status === 'available');
    writeAt(volumePath(id), 3 * MiB, randomBytes(2 * MiB));
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

  async function gone(id: string): Promise<void> {
    await cluster.waitFor(
      async () => (await api.get(`backups/${id}`)).status === 404,
      60_000,
      () => `backup ${id} was never deleted`,
    );
  }

  async function backup(body: Record<string, unknown>, client = api) {
    const res = await client.post('backups', { backup: body });
    expect(res.status).toBe(202);
    return settled(res.body.backup.id as string, (b) => b.status !== 'creating');
  }

  function expectFault(res: { status: number; body: any }, code: number, message: string) {
    expect({ status: res.status, body: res.body }).toEqual({
      status: code,
      body: {
        [{ 400: 'badRequest', 404: 'itemNotFound', 503: 'serviceUnavailable' }[code] as string]: {
          code,
          message,
        },
      },
    });
  }

  it("shows a backup field for field as Cinder's view, per microversion", async () => {
    const v = await volume('viewed');
    const b = await backup({ volume_id: v, name: 'viewed' });
    const base = [
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
      'name',
      'object_count',
      'size',
      'snapshot_id',
      'status',
      'updated_at',
      'volume_id',
    ];
    const keysAt = async (version: string) => {
      const shown = (await api.withVersion(version).get(`backups/${b.id as string}`)).body.backup;
      const listed = (await api.withVersion(version).get('backups/detail')).body.backups.find(
        (x: { id: string }) => x.id === b.id,
      );
      expect(Object.keys(listed).sort()).toEqual(Object.keys(shown).sort());
      return Object.keys(shown).sort();
    };
    const project = 'os-backup-project-attr:project_id';
    expect(await keysAt('3.0')).toEqual([...base].sort());
    expect(await keysAt('3.18')).toEqual([...base, project].sort());
    expect(await keysAt('3.43')).toEqual([...base, project, 'metadata'].sort());
    expect(await keysAt('3.56')).toEqual([...base, project, 'metadata', 'user_id'].sort());
    // encryption_key_id (3.64) only for an encrypted volume's backup.
    expect(await keysAt('3.64')).toEqual([...base, project, 'metadata', 'user_id'].sort());
    expect(b).toMatchObject({
      [project]: PROJECT_A,
      user_id: 'e2e-user',
      snapshot_id: null,
      metadata: {},
      volume_id: v,
      is_incremental: false,
      has_dependent_backups: false,
      object_count: 2,
      container: `${b.id.slice(0, 2) as string}/${b.id.slice(2, 4) as string}/${b.id as string}`,
    });
  });

  it('takes metadata from 3.43 on create and update, and name and description from 3.9', async () => {
    const v = await volume('meta');
    const before = await api.withVersion('3.42').post('backups', {
      backup: { volume_id: v, metadata: { a: 'b' } },
    });
    expectFault(before, 400, "Additional properties are not allowed ('metadata' was unexpected)");
    const badKey = await api.withVersion('3.43').post('backups', {
      backup: { volume_id: v, metadata: { 'no!': 'b' } },
    });
    expectFault(badKey, 400, "Additional properties are not allowed ('no!' was unexpected)");
    const azBefore = await api.withVersion('3.50').post('backups', {
      backup: { volume_id: v, availability_zone: 'nova' },
    });
    expectFault(
      azBefore,
      400,
      "Additional properties are not allowed ('availability_zone' was unexpected)",
    );

    const b = await backup({ volume_id: v, name: ' tagged ', metadata: { tier: 'gold' } });
    expect(b).toMatchObject({ name: 'tagged', metadata: { tier: 'gold' } });
    expect(
      (await api.withVersion('3.42').get(`backups/${b.id as string}`)).body.backup,
    ).not.toHaveProperty('metadata');

    const id = b.id as string;
    expectFault(
      await put(`backups/${id}`, { backup: { name: 'x' } }, api.withVersion('3.8')),
      404,
      'The resource could not be found.',
    );
    const renamed = await put(
      `backups/${id}`,
      { backup: { name: ' renamed ', description: 'about' } },
      api.withVersion('3.9'),
    );
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual({
      backup: { id, name: 'renamed', links: expect.any(Array) },
    });
    expectFault(
      await put(`backups/${id}`, { backup: { metadata: { a: 'b' } } }, api.withVersion('3.42')),
      400,
      "Additional properties are not allowed ('metadata' was unexpected)",
    );
    expectFault(
      await put(`backups/${id}`, { backup: { metadata: null } }, api.withVersion('3.43')),
      400,
      "Invalid input for field/attribute metadata. Value: null. null is not of type 'object'",
    );
    expectFault(
      await put(`backups/${id}`, { backup: { volume_id: v } }),
      400,
      "Additional properties are not allowed ('volume_id' was unexpected)",
    );
    expectFault(await put(`backups/${id}`, {}), 400, "'backup' is a required property");
    const missing = '00000000-0000-4000-8000-000000000001';
    expectFault(
      await put(`backups/${missing}`, { backup: { name: 'x' } }),
      404,
      `Backup ${missing} could not be found.`,
    );
    const retagged = await put(`backups/${id}`, {
      backup: { metadata: { tier: 'silver', k: 'v' } },
    });
    expect(retagged.status).toBe(200);
    expect((await api.get(`backups/${id}`)).body.backup).toMatchObject({
      name: 'renamed',
      description: 'about',
      metadata: { tier: 'silver', k: 'v' },
      status: 'available',
    });
    // Only what the body names changes.
    await put(`backups/${id}`, { backup: { description: null } });
    expect((await api.get(`backups/${id}`)).body.backup).toMatchObject({
      name: 'renamed',
      description: null,
      metadata: { tier: 'silver', k: 'v' },
    });
  });

  it("os-reset_status sets available or error, and refuses anything else with Cinder's words", async () => {
    const v = await volume('reset');
    const id = (await backup({ volume_id: v })).id as string;
    expect((await action(id, { 'os-reset_status': { status: 'error' } })).status).toBe(202);
    expect((await api.get(`backups/${id}`)).body.backup.status).toBe('error');
    expect((await action(id, { 'os-reset_status': { status: 'AVAILABLE' } })).status).toBe(202);
    expect((await api.get(`backups/${id}`)).body.backup.status).toBe('available');

    expectFault(
      await action(id, { 'os-reset_status': { status: 'creating' } }),
      400,
      "Backup status: creating is invalid, valid statuses are: ['available', 'error'].",
    );
    expectFault(
      await action(id, { 'os-reset_status': {} }),
      400,
      "'status' is a required property",
    );
    expectFault(
      await action(id, { 'os-reset_status': { status: 'error', x: 1 } }),
      400,
      "Additional properties are not allowed ('x' was unexpected)",
    );
    expectFault(await action(id, { 'os-bogus': {} }), 400, 'There is no such action: os-bogus');
    expectFault(await action(id, {}), 400, 'Malformed request body');
    const missing = '00000000-0000-4000-8000-000000000002';
    expectFault(
      await action(missing, { 'os-reset_status': { status: 'error' } }),
      404,
      `Backup ${missing} could not be found.`,
    );
    expect((await api.get(`backups/${id}`)).body.backup.status).toBe('available');
  });

  it('os-force_delete deletes whatever the status, and stops a create under way cleanly', async () => {
    const v = await volume('forced');
    const done = (await backup({ volume_id: v })).id as string;
    const incremental = await backup({ volume_id: v, incremental: true });
    expect(incremental.status).toBe('available');
    expectFault(
      await action(done, { 'os-force_delete': {} }),
      400,
      'Invalid backup: Incremental backups exist for this backup.',
    );
    expect((await action(incremental.id as string, { 'os-force_delete': {} })).status).toBe(202);
    await gone(incremental.id as string);
    expect(existsSync(container(incremental.id as string))).toBe(false);

    // A create under way: the force-delete takes it over; the volume is available again.
    const started = await api.post('backups', { backup: { volume_id: v } });
    const running = started.body.backup.id as string;
    await cluster.waitFor(
      () =>
        cluster
          .logOf('cinder-backup')
          .split('\n')
          .some((l) => l.includes(running) && l.includes('"msg":"backup progress"')),
      30_000,
      () => `the backup ${running} never started`,
    );
    expect((await api.get(`backups/${running}`)).body.backup.status).toBe('creating');
    expectFault(
      await api.delete(`backups/${running}`),
      400,
      'Invalid backup: Backup status must be available or error',
    );
    expect((await action(running, { 'os-force_delete': null })).status).toBe(202);
    await gone(running);
    await api.waitForVolume(v, (x) => x?.status === 'available', 30_000);
    await cluster.waitFor(
      () => !existsSync(container(running)),
      30_000,
      () => `the data of ${running} is still there`,
    );
    await cluster.waitFor(
      async () => (await cluster.sql('SELECT * FROM workers')).length === 0,
      30_000,
      () => 'work notes are left',
    );
    expect((await api.get(`volumes/${v}`)).body.volume.status).toBe('available');
    // Stopped at its next object, not failed: nothing was written after the delete took over.
    const lines = cluster
      .logOf('cinder-backup')
      .split('\n')
      .filter((l) => l.includes(running));
    expect(lines.some((l) => l.includes('create abandoned'))).toBe(true);
    expect(lines.some((l) => l.includes('"msg":"backup failed"'))).toBe(false);
    expectFault(
      await action(running, { 'os-force_delete': {} }),
      404,
      `Backup ${running} could not be found.`,
    );
    // The backup before it is whole still.
    expect(existsSync(join(container(done), 'metadata.json'))).toBe(true);

    // A delete that seems stuck (its message lost): force sends it again.
    await cluster.sql("UPDATE backups SET status = 'deleting' WHERE id = $1", [done]);
    expectFault(
      await api.delete(`backups/${done}`),
      400,
      'Invalid backup: Backup status must be available or error',
    );
    expect((await action(done, { 'os-force_delete': {} })).status).toBe(202);
    await gone(done);
    expect(existsSync(container(done))).toBe(false);
  });

  it('os-force_delete of a backup no cinder-backup took yet gives back its volume or snapshot, as it was', async () => {
    const idle = await volume('idle');
    const attached = await volume('attached');
    const att = await api.post('attachments', {
      attachment: {
        volume_uuid: attached,
        instance_uuid: randomUUID(),
        connector: { host: 'compute-9', mountpoint: '/dev/vdd' },
      },
    });
    const attachmentId = att.body.attachment.id as string;
    await api.post(`attachments/${attachmentId}/action`, { 'os-complete': {} });
    const snap = await api.post('snapshots', { snapshot: { volume_id: idle, name: 'held' } });
    const snapshotId = snap.body.snapshot.id as string;
    await cluster.waitFor(
      async () => (await api.get(`snapshots/${snapshotId}`)).body.snapshot.status === 'available',
      30_000,
      () => `snapshot ${snapshotId} never became available`,
    );
    const status = async (what: 'volumes' | 'snapshots', id: string) =>
      ((await api.get(`${what}/${id}`)).body[what.slice(0, -1)] as { status: string }).status;

    // cinder-backup away, its heartbeat still fresh: the creates wait in its queue, no host
    // holds them (as one given back after a transient failure, to be run again).
    await cluster.stopService('cinder-backup', 'SIGKILL');
    const waiting: string[] = [];
    for (const body of [
      { volume_id: idle },
      { volume_id: attached, force: true },
      { volume_id: idle, snapshot_id: snapshotId },
    ]) {
      const res = await api.post('backups', { backup: body });
      expect(res.status).toBe(202);
      waiting.push(res.body.backup.id as string);
    }
    expect(await status('volumes', idle)).toBe('backing-up');
    expect(await status('volumes', attached)).toBe('backing-up');
    expect(await status('snapshots', snapshotId)).toBe('backing-up');
    expect(
      await cluster.sql('SELECT status, host FROM backups WHERE id = ANY($1)', [waiting]),
    ).toEqual(waiting.map(() => ({ status: 'creating', host: null })));

    for (const id of waiting) {
      expect((await action(id, { 'os-force_delete': {} })).status).toBe(202);
      expect((await api.get(`backups/${id}`)).status).toBe(404);
    }
    // At once, with no backup service to do it.
    expect(await status('volumes', idle)).toBe('available');
    expect(await status('volumes', attached)).toBe('in-use');
    expect(await status('snapshots', snapshotId)).toBe('available');

    // The creates, delivered once cinder-backup is back, find nothing to do.
    await cluster.startService('cinder-backup', 'apps/cinder-backup/dist/main.js', {
      BACKUP_DIR: cluster.backupDir,
      BACKUP_CHUNK_SIZE: String(MiB),
      BACKUP_DRIVER_DELAY_MS: '2000',
    });
    await cluster.waitFor(
      () =>
        waiting.every((id) =>
          cluster
            .logOf('cinder-backup')
            .split('\n')
            .some((l) => l.includes(id) && l.includes('backup not waiting to be created here')),
        ),
      30_000,
      () => 'the waiting creates were never delivered',
    );
    expect(await status('volumes', idle)).toBe('available');
    expect(await status('volumes', attached)).toBe('in-use');
    expect(await status('snapshots', snapshotId)).toBe('available');
    for (const id of waiting) expect(existsSync(container(id))).toBe(false);
    await api.delete(`attachments/${attachmentId}`);
    expect(await status('volumes', attached)).toBe('available');
  });

  it('export, delete the row, import: the backup is back and restores the same bytes', async () => {
    const v = await volume('exported');
    const b = await backup({ volume_id: v, name: 'exp', description: 'd', metadata: { m: '1' } });
    const id = b.id as string;
    const original = await sha256(volumePath(v));

    const exported = await api.get(`backups/${id}/export_record`);
    expect(exported.status).toBe(200);
    expect(Object.keys(exported.body)).toEqual(['backup-record']);
    expect(exported.body['backup-record']).toEqual({
      backup_service: POSIX,
      backup_url: expect.any(String),
    });
    const url = exported.body['backup-record'].backup_url as string;
    expect(decode(url)).toMatchObject({
      id,
      volume_id: v,
      size: 1,
      display_name: 'exp',
      display_description: 'd',
      object_count: 2,
      service: POSIX,
      service_metadata: null,
      metadata: { m: '1' },
      status: 'available',
      driver_info: {},
    });

    const record = { 'backup-record': { backup_service: POSIX, backup_url: url } };
    expectFault(
      await api.post('backups/import_record', record),
      400,
      'Invalid backup: Backup already exists in database.',
    );

    await cluster.sql('DELETE FROM backups WHERE id = $1', [id]);
    expect((await api.get(`backups/${id}`)).status).toBe(404);
    const imported = await api.post('backups/import_record', record);
    expect(imported.status).toBe(201);
    expect(imported.body).toEqual({ backup: { id, name: null, links: expect.any(Array) } });
    const back = await settled(id, (x) => x.status !== 'creating');
    expect(back).toMatchObject({
      status: 'available',
      name: 'exp',
      description: 'd',
      volume_id: v,
      size: 1,
      object_count: 2,
      metadata: { m: '1' },
      fail_reason: null,
    });

    const restored = await api.post(`backups/${id}/restore`, { restore: { name: 'again' } });
    expect(restored.status).toBe(202);
    const newId = restored.body.restore.volume_id as string;
    await api.waitForVolume(newId, (x) => x?.status === 'available', 60_000);
    expect(await sha256(volumePath(newId))).toBe(original);
  });

  it('refuses exports and imports as Cinder does, and an import without data ends error', async () => {
    const v = await volume('refused');
    const b = await backup({ volume_id: v });
    const id = b.id as string;
    const url = (await api.get(`backups/${id}/export_record`)).body['backup-record']
      .backup_url as string;

    await action(id, { 'os-reset_status': { status: 'error' } });
    expectFault(
      await api.get(`backups/${id}/export_record`),
      400,
      'Invalid backup: Backup status must be available and not error.',
    );
    const missing = '00000000-0000-4000-8000-000000000003';
    expectFault(
      await api.get(`backups/${missing}/export_record`),
      404,
      `Backup ${missing} could not be found.`,
    );

    const imp = (backup_url: string, backup_service = POSIX) =>
      api.post('backups/import_record', { 'backup-record': { backup_service, backup_url } });
    expectFault(
      await imp('not base64!'),
      400,
      "Invalid input received: Can't parse backup record.",
    );
    expectFault(await imp(b64([1])), 400, "Invalid input received: Can't parse backup record.");
    expectFault(
      await imp(b64({ size: 1 })),
      400,
      'Invalid input received: Provided backup record is missing an id',
    );
    expectFault(
      await imp(b64({ id: missing })),
      400,
      'Invalid input received: Provided backup record is missing size attribute',
    );
    expectFault(
      await api.post('backups/import_record', { 'backup-record': { backup_url: url } }),
      400,
      "'backup_service' is a required property",
    );
    expectFault(
      await imp(''),
      400,
      "Invalid input for field/attribute backup_url. Value: . '' is too short",
    );

    // Another backup service's record: accepted, then error (Cinder's manager refuses it).
    await action(id, { 'os-reset_status': { status: 'available' } });
    await cluster.sql('DELETE FROM backups WHERE id = $1', [id]);
    const swift = 'cinder.backup.drivers.swift.SwiftBackupDriver';
    expect((await imp(url, swift)).status).toBe(201);
    expect(await settled(id, (x) => x.status !== 'creating')).toMatchObject({
      status: 'error',
      fail_reason: `Import record failed, cannot find backup service to perform the import. Request service ${swift}.`,
    });

    // Deleted through the API: its data is gone, so the import (reusing the row) ends error.
    expect((await api.delete(`backups/${id}`)).status).toBe(202);
    await gone(id);
    expect(existsSync(container(id))).toBe(false);
    const again = await imp(url);
    expect(again.status).toBe(201);
    const failed = await settled(id, (x) => x.status !== 'creating');
    expect(failed.status).toBe('error');
    expect(failed.fail_reason).toContain(`backup ${id} is corrupt: unreadable metadata`);
    // A backup whose data is missing cannot be restored.
    expectFault(
      await api.post(`backups/${id}/restore`, { restore: null }),
      400,
      'Invalid backup: Backup status must be available',
    );
  });

  it("backs up a snapshot's bytes: the snapshot is backing-up meanwhile, the volume untouched", async () => {
    const v = await volume('snapped');
    const snap = await api.post('snapshots', { snapshot: { volume_id: v, name: 'point' } });
    expect(snap.status).toBe(202);
    const snapshotId = snap.body.snapshot.id as string;
    await cluster.waitFor(
      async () => (await api.get(`snapshots/${snapshotId}`)).body.snapshot.status === 'available',
      30_000,
      () => `snapshot ${snapshotId} never became available`,
    );
    const snapshotBytes = await sha256(join(cluster.dataDir('disk'), `snapshot-${snapshotId}`));
    // The volume moves on after the snapshot: the backup must hold the snapshot's bytes.
    writeAt(volumePath(v), 0, randomBytes(MiB));
    expect(await sha256(volumePath(v))).not.toBe(snapshotBytes);

    const started = await api.post('backups', {
      backup: { volume_id: v, snapshot_id: snapshotId, name: 'of-snapshot' },
    });
    expect(started.status).toBe(202);
    const id = started.body.backup.id as string;
    expect((await api.get(`snapshots/${snapshotId}`)).body.snapshot.status).toBe('backing-up');
    expect((await api.get(`volumes/${v}`)).body.volume.status).toBe('available');
    // While it runs, the snapshot cannot be backed up again.
    expectFault(
      await api.post('backups', { backup: { volume_id: v, snapshot_id: snapshotId } }),
      400,
      'Invalid snapshot: Snapshot to be backed up must be available, but the current status is "backing-up".',
    );
    const done = await settled(id, (b) => b.status !== 'creating');
    const snapshotRow = (await api.get(`snapshots/${snapshotId}`)).body.snapshot;
    expect(done).toMatchObject({
      status: 'available',
      snapshot_id: snapshotId,
      volume_id: v,
      data_timestamp: snapshotRow.created_at,
    });
    expect(snapshotRow.status).toBe('available');
    expect((await api.get(`volumes/${v}`)).body.volume.status).toBe('available');

    const restored = await api.post(`backups/${id}/restore`, { restore: { name: 'from-snap' } });
    const newId = restored.body.restore.volume_id as string;
    await api.waitForVolume(newId, (x) => x?.status === 'available', 60_000);
    expect(await sha256(volumePath(newId))).toBe(snapshotBytes);

    // Refusals: a snapshot of another volume, an unknown snapshot.
    const other = await volume('other');
    expectFault(
      await api.post('backups', { backup: { volume_id: other, snapshot_id: snapshotId } }),
      400,
      `Invalid volume: Volume ${other} does not match with snapshot.volume_id ${v}.`,
    );
    const missing = '00000000-0000-4000-8000-000000000004';
    expectFault(
      await api.post('backups', { backup: { volume_id: v, snapshot_id: missing } }),
      404,
      `Snapshot ${missing} could not be found.`,
    );
  });
});
