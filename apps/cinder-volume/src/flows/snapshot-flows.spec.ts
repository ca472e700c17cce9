import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createLogger } from '@cinderflow/logging';
import {
  createDataSource,
  DEFAULT_VOLUME_TYPE_ID,
  dropDatabase,
  ensureDatabase,
  MessageEntity,
  runMigrations,
  SnapshotEntity,
  VolumeEntity,
  WorkerEntity,
} from '@cinderflow/persistence';
import { ManagerWork } from '@cinderflow/service-runtime';
import type { SnapshotStatus, VolumeStatus } from '@cinderflow/status-machines';
import { FileDriver } from '../drivers/file/file.driver';
import { CreateSnapshotHandler } from './create-snapshot/create-snapshot.handler';
import { DeleteSnapshotHandler } from './delete-snapshot/delete-snapshot.handler';
import { DeleteVolumeHandler } from './delete-volume/delete-volume.handler';

const HOST = 'volume-host@disk';

describe('cinder-volume snapshot flows (real database, file driver)', () => {
  let url: string;
  let ds: DataSource;
  let dir: string;
  let driver: FileDriver;
  let work: ManagerWork;
  let create: CreateSnapshotHandler;
  let remove: DeleteSnapshotHandler;
  let removeVolume: DeleteVolumeHandler;

  beforeAll(async () => {
    const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    base.pathname = `/cinderflow_test_${randomBytes(4).toString('hex')}`;
    url = base.toString();
    await ensureDatabase(url);
    ds = createDataSource(url, 5);
    await ds.initialize();
    await runMigrations(ds);
    dir = await fs.mkdtemp(join(tmpdir(), 'cinder-volume-snapshots-'));
    driver = new FileDriver({ dataDir: dir, capacityGb: 100, maxOverSubscriptionRatio: 1 });
    await driver.doSetup();
    work = new ManagerWork(ds, HOST, createLogger('test', { level: 'silent' }));
    create = new CreateSnapshotHandler(driver, work);
    remove = new DeleteSnapshotHandler(driver, work, ds, { NO_SNAPSHOT_GB_QUOTA: false });
    removeVolume = new DeleteVolumeHandler(driver, ds, work, remove);
    for (const handler of [create, remove, removeVolume]) handler.onModuleInit();
  });
  afterAll(async () => {
    await ds.destroy();
    await dropDatabase(url);
    await fs.rm(dir, { recursive: true, force: true });
  });

  const file = (name: string) => join(dir, name);

  async function volume(status: VolumeStatus = 'available'): Promise<string> {
    const id = randomUUID();
    await ds.manager.insert(VolumeEntity, {
      id,
      project_id: 'p',
      user_id: 'u',
      size: 1,
      status,
      availability_zone: 'nova',
      volume_type_id: DEFAULT_VOLUME_TYPE_ID,
      host: `${HOST}#disk`,
      created_at: new Date(),
    });
    await driver.createVolume({ id, size: 1 });
    await fs.writeFile(file(`volume-${id}`), 'original', { flag: 'r+' });
    return id;
  }

  async function snapshot(volumeId: string, status: SnapshotStatus = 'creating') {
    const id = randomUUID();
    await ds.manager.insert(SnapshotEntity, {
      id,
      project_id: 'p',
      user_id: 'u',
      volume_id: volumeId,
      status,
      progress: '0%',
      volume_size: 1,
      volume_type_id: DEFAULT_VOLUME_TYPE_ID,
      metadata: {},
      created_at: new Date(),
    });
    return id;
  }

  const row = (id: string) => ds.manager.findOneByOrFail(SnapshotEntity, { id });
  /** The first bytes only: the files are 1 GiB (sparse). */
  async function head(name: string): Promise<string> {
    const handle = await fs.open(file(name), 'r');
    try {
      const { buffer } = await handle.read(Buffer.alloc(8), 0, 8, 0);
      return buffer.toString();
    } finally {
      await handle.close();
    }
  }

  it('create: the copy, then available at 100%; a second delivery changes nothing', async () => {
    const volumeId = await volume();
    const id = await snapshot(volumeId);
    expect(await create.handle(id)).toBe('done');
    expect(await row(id)).toMatchObject({ status: 'available', progress: '100%' });
    expect(await head(`snapshot-${id}`)).toBe('original');

    await fs.writeFile(file(`volume-${volumeId}`), 'changed!', { flag: 'r+' });
    const before = await row(id);
    expect(await create.handle(id)).toBe('skipped');
    expect(await row(id)).toEqual(before);
    expect(await head(`snapshot-${id}`)).toBe('original');
    expect(await ds.manager.count(WorkerEntity)).toBe(0);
  });

  it('create: a driver failure is error with the SNAPSHOT_CREATE user message', async () => {
    const volumeId = await volume();
    await fs.rm(file(`volume-${volumeId}`));
    const id = await snapshot(volumeId);
    expect(await create.handle(id)).toBe('failed');
    expect((await row(id)).status).toBe('error');
    const messages = await ds.manager.findBy(MessageEntity, { resource_uuid: id });
    expect(messages).toEqual([
      expect.objectContaining({
        resource_type: 'VOLUME_SNAPSHOT',
        event_id: 'VOLUME_VOLUME_SNAPSHOT_009_013',
        project_id: 'p',
      }),
    ]);
  });

  it('restart: a create noted in workers becomes error; a delete noted is resumed', async () => {
    const volumeId = await volume();
    const creating = await snapshot(volumeId);
    const deleting = await snapshot(volumeId, 'deleting');
    await driver.createSnapshot({ id: deleting, volumeId });
    for (const [id, status] of [
      [creating, 'creating'],
      [deleting, 'deleting'],
    ]) {
      await ds.manager.insert(WorkerEntity, {
        resource_type: 'snapshot',
        resource_id: id,
        status,
        service_host: HOST,
        created_at: new Date(),
      });
    }
    for (const note of await ds.manager.find(WorkerEntity)) {
      expect(await work.settleLeftover(note)).toBe(true);
    }
    expect((await row(creating)).status).toBe('error');
    expect(await row(deleting)).toMatchObject({ status: 'deleted', deleted: true });
    await expect(fs.stat(file(`snapshot-${deleting}`))).rejects.toThrow();
    expect(await ds.manager.count(WorkerEntity)).toBe(0);
  });

  it('delete: the bytes go, the row is soft-deleted; not deleting: nothing happens', async () => {
    const volumeId = await volume();
    const id = await snapshot(volumeId);
    await create.handle(id);
    expect(await remove.handle(id)).toBe('skipped'); // still available
    await ds.manager.update(SnapshotEntity, { id }, { status: 'deleting' });
    expect(await remove.handle(id)).toBe('done');
    const deleted = await row(id);
    expect(deleted).toMatchObject({ status: 'deleted', deleted: true });
    expect(deleted.deleted_at).toBeInstanceOf(Date);
    await expect(fs.stat(file(`snapshot-${id}`))).rejects.toThrow();
  });

  it('volume delete: deletes its deleting snapshots first; one in another status stops it', async () => {
    const volumeId = await volume('deleting');
    const a = await snapshot(volumeId, 'deleting');
    const b = await snapshot(volumeId, 'available');
    await driver.createSnapshot({ id: a, volumeId });
    expect(await removeVolume.handle(volumeId)).toBe('failed');
    expect((await ds.manager.findOneByOrFail(VolumeEntity, { id: volumeId })).status).toBe(
      'error_deleting',
    );
    expect((await row(a)).deleted).toBe(true);
    expect((await row(b)).status).toBe('available');

    await ds.manager.update(SnapshotEntity, { id: b }, { status: 'deleting' });
    await ds.manager.update(VolumeEntity, { id: volumeId }, { status: 'deleting' });
    expect(await removeVolume.handle(volumeId)).toBe('done');
    expect((await row(b)).deleted).toBe(true);
    expect((await ds.manager.findOneByOrFail(VolumeEntity, { id: volumeId })).deleted).toBe(true);
    await expect(fs.stat(file(`volume-${volumeId}`))).rejects.toThrow();
  });
});
