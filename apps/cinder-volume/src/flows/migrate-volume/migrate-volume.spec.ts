import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { VolumeRpc } from '@cinderflow/contracts';
import { createLogger } from '@cinderflow/logging';
import type { RpcClient } from '@cinderflow/messaging';
import {
  createDataSource,
  DEFAULT_VOLUME_TYPE_ID,
  dropDatabase,
  ensureDatabase,
  runMigrations,
  unfinishedWork,
  VolumeEntity,
} from '@cinderflow/persistence';
import { ManagerWork } from '@cinderflow/service-runtime';
import { FileDriver } from '../../drivers/file/file.driver';
import { InitHostCleanup } from '../../init-host/init-host.cleanup';
import { MigrateVolumeHandler, SOURCE_REMOVAL } from './migrate-volume.handler';

const SRC = 'src-host@src';
const DST = 'dst-host@dst';
const quiet = createLogger('test', { level: 'silent' });

/** One cinder-volume (its driver, its ManagerWork, its migrate handler), as a process has them. */
interface Backend {
  host: string;
  dir: string;
  driver: FileDriver;
  work: ManagerWork;
  handler: MigrateVolumeHandler;
}

// A move reads the whole (sparse) 1 GiB file: seconds on a busy machine.
jest.setTimeout(30_000);

describe('cinder-volume migrate_volume (real database, two file drivers)', () => {
  let url: string;
  let ds: DataSource;
  let src: Backend;
  let dst: Backend;

  /** Runs when the copy is done, before the destination is told so (a change meanwhile). */
  let afterCopy: (() => Promise<unknown>) | null = null;
  /** The destination answers migration_target calls as its queue would. */
  const rpc = {
    call: async (_destination: unknown, method: unknown, payload: unknown) => {
      if (method !== VolumeRpc.migrationTarget) throw new Error('unexpected call');
      const request = payload as Parameters<MigrateVolumeHandler['target']>[0];
      if (request.op === 'finish' && afterCopy) await afterCopy();
      return dst.handler.target(request);
    },
  } as unknown as RpcClient;
  afterEach(() => {
    afterCopy = null;
  });

  /** A (re)started cinder-volume: a fresh ManagerWork and handler over the backend's files. */
  function start(host: string, dir: string): Backend {
    const driver = new FileDriver({ dataDir: dir, capacityGb: 100, maxOverSubscriptionRatio: 1 });
    const work = new ManagerWork(ds, host, quiet);
    const service = {
      serviceHost: host,
      backendName: host.split('@')[1],
      availabilityZone: 'nova',
    };
    const handler = new MigrateVolumeHandler(driver, rpc, quiet, work, ds, service);
    handler.onModuleInit();
    return { host, dir, driver, work, handler };
  }

  const cleanup = (b: Backend) =>
    new InitHostCleanup(
      ds,
      b.work,
      { serviceHost: b.host, backendName: '', availabilityZone: 'nova' },
      quiet,
      b.driver,
    );

  beforeAll(async () => {
    const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    base.pathname = `/cinderflow_test_${randomBytes(4).toString('hex')}`;
    url = base.toString();
    await ensureDatabase(url);
    ds = createDataSource(url, 5);
    await ds.initialize();
    await runMigrations(ds);
    src = start(SRC, await fs.mkdtemp(join(tmpdir(), 'cinder-migrate-src-')));
    dst = start(DST, await fs.mkdtemp(join(tmpdir(), 'cinder-migrate-dst-')));
    await src.driver.doSetup();
    await dst.driver.doSetup();
  });
  afterAll(async () => {
    await ds.destroy();
    await dropDatabase(url);
    for (const b of [src, dst]) await fs.rm(b.dir, { recursive: true, force: true });
  });

  const fileOn = (b: Backend, id: string) => join(b.dir, `volume-${id}`);

  /** A volume on the source, its bytes written, that the scheduler sent to the destination. */
  async function migratingVolume(
    status: 'maintenance' | 'available' = 'maintenance',
  ): Promise<{ id: string; bytes: Buffer }> {
    const id = randomUUID();
    await ds.manager.insert(VolumeEntity, {
      id,
      project_id: 'p',
      user_id: 'u',
      size: 1,
      status,
      previous_status: 'available',
      migration_status: 'migrating',
      admin_metadata: { migration_host: `${DST}#dst` },
      availability_zone: 'nova',
      volume_type_id: DEFAULT_VOLUME_TYPE_ID,
      host: `${SRC}#src`,
      created_at: new Date(),
    });
    await src.driver.createVolume({ id, size: 1 });
    const bytes = randomBytes(512);
    await fs.writeFile(fileOn(src, id), bytes, { flag: 'r+' });
    return { id, bytes };
  }

  const message = (id: string) => ({ volume_id: id, host: `${DST}#dst`, new_type_id: null });
  const row = (id: string) => ds.manager.findOneByOrFail(VolumeEntity, { id });
  async function head(path: string, length: number): Promise<Buffer> {
    const handle = await fs.open(path, 'r');
    try {
      return (await handle.read(Buffer.alloc(length), 0, length, 0)).buffer;
    } finally {
      await handle.close();
    }
  }

  it('moves the bytes and the volume, then removes the source bytes and its note', async () => {
    const { id, bytes } = await migratingVolume();
    await src.handler.handle(message(id));
    expect(await row(id)).toMatchObject({
      status: 'available',
      host: `${DST}#dst`,
      migration_status: 'success',
      admin_metadata: {},
    });
    expect((await head(fileOn(dst, id), bytes.length)).equals(bytes)).toBe(true);
    expect(existsSync(fileOn(src, id))).toBe(false);
    expect(await unfinishedWork(ds.manager, SRC)).toEqual([]);
  });

  it('a crash between the commit and the removal leaves a note; the restart removes the bytes', async () => {
    const { id } = await migratingVolume();
    // The process dies right after the commit, before the source's bytes are gone.
    jest.spyOn(src.work, 'runFollowUp').mockRejectedValueOnce(new Error('killed'));
    await expect(src.handler.handle(message(id))).rejects.toThrow('killed');
    expect(await row(id)).toMatchObject({ host: `${DST}#dst`, migration_status: 'success' });
    expect(existsSync(fileOn(src, id))).toBe(true);
    expect(
      (await unfinishedWork(ds.manager, SRC)).map((n) => [n.resource_type, n.resource_id]),
    ).toEqual([[SOURCE_REMOVAL, id]]);

    src = start(SRC, src.dir);
    await cleanup(src).run();
    expect(existsSync(fileOn(src, id))).toBe(false);
    expect(existsSync(fileOn(dst, id))).toBe(true);
    expect(await unfinishedWork(ds.manager, SRC)).toEqual([]);
  });

  it('a removal that fails keeps its note for the restart cleanup', async () => {
    const { id } = await migratingVolume();
    jest.spyOn(src.driver, 'deleteVolume').mockRejectedValueOnce(new Error('EIO'));
    await src.handler.handle(message(id));
    expect(existsSync(fileOn(src, id))).toBe(true);
    expect((await unfinishedWork(ds.manager, SRC)).map((n) => n.resource_id)).toEqual([id]);
    await cleanup(src).run();
    expect(existsSync(fileOn(src, id))).toBe(false);
    expect(await unfinishedWork(ds.manager, SRC)).toEqual([]);
  });

  it('a note for a volume that lives on the source again leaves its bytes alone', async () => {
    const { id, bytes } = await migratingVolume();
    jest.spyOn(src.work, 'runFollowUp').mockRejectedValueOnce(new Error('killed'));
    await expect(src.handler.handle(message(id))).rejects.toThrow('killed');
    // Moved back meanwhile: the file on the source is the volume's live bytes.
    await ds.manager.update(VolumeEntity, { id }, { host: `${SRC}#src` });
    expect((await unfinishedWork(ds.manager, SRC)).map((n) => n.resource_id)).toEqual([id]);
    src = start(SRC, src.dir);
    await cleanup(src).run();
    expect((await head(fileOn(src, id), bytes.length)).equals(bytes)).toBe(true);
    expect(await unfinishedWork(ds.manager, SRC)).toEqual([]);
  });

  describe('without lock_volume (the volume stays available)', () => {
    it('moves the volume, which stays available throughout', async () => {
      const { id, bytes } = await migratingVolume('available');
      afterCopy = async () => expect((await row(id)).status).toBe('available');
      await src.handler.handle(message(id));
      expect(await row(id)).toMatchObject({
        status: 'available',
        host: `${DST}#dst`,
        migration_status: 'success',
        admin_metadata: {},
      });
      expect((await head(fileOn(dst, id), bytes.length)).equals(bytes)).toBe(true);
      expect(existsSync(fileOn(src, id))).toBe(false);
      expect(await unfinishedWork(ds.manager, SRC)).toEqual([]);
    });

    it('a change during the copy (attached and detached again) aborts the move', async () => {
      const { id, bytes } = await migratingVolume('available');
      afterCopy = async () => {
        await ds.query(`UPDATE volumes SET status = 'reserved' WHERE id = $1`, [id]);
        await ds.query(`UPDATE volumes SET status = 'available' WHERE id = $1`, [id]);
      };
      await src.handler.handle(message(id));
      expect(await row(id)).toMatchObject({
        status: 'available',
        host: `${SRC}#src`,
        migration_status: 'error',
        admin_metadata: {},
      });
      expect((await head(fileOn(src, id), bytes.length)).equals(bytes)).toBe(true);
      expect(existsSync(fileOn(dst, id))).toBe(false);
      expect(await unfinishedWork(ds.manager, SRC)).toEqual([]);
    });

    it('a volume attached before the move began is not moved', async () => {
      const { id } = await migratingVolume('available');
      await ds.query(`UPDATE volumes SET status = 'reserved' WHERE id = $1`, [id]);
      await src.handler.handle(message(id));
      expect(await row(id)).toMatchObject({
        status: 'reserved',
        host: `${SRC}#src`,
        migration_status: 'error',
      });
      expect(existsSync(fileOn(src, id))).toBe(true);
      expect(existsSync(fileOn(dst, id))).toBe(false);
    });

    it('a restart mid-copy ends the move with migration_status error, the volume where it was', async () => {
      const { id } = await migratingVolume('available');
      await ds.query(
        `INSERT INTO workers (resource_type, resource_id, status, service_host, created_at)
         VALUES ('volume', $1, 'available', $2, now())`,
        [id, SRC],
      );
      src = start(SRC, src.dir);
      await cleanup(src).run();
      expect(await row(id)).toMatchObject({
        status: 'available',
        host: `${SRC}#src`,
        migration_status: 'error',
      });
      expect(existsSync(fileOn(src, id))).toBe(true);
      expect(await unfinishedWork(ds.manager, SRC)).toEqual([]);
    });

    it('a duplicate of a move already done changes nothing', async () => {
      const { id } = await migratingVolume('available');
      await src.handler.handle(message(id));
      const before = await row(id);
      await src.handler.handle(message(id));
      expect(await row(id)).toEqual(before);
      expect(existsSync(fileOn(dst, id))).toBe(true);
    });
  });
});
