import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource, EntityManager } from 'typeorm';
import type { BackupConfig } from '@cinderflow/config';
import { BACKUP_SERVICE, encodeBackupRecord } from '@cinderflow/contracts';
import { createLogger } from '@cinderflow/logging';
import { isTransientError, RpcTimeoutError } from '@cinderflow/messaging';
import {
  applyTransition,
  BackupEntity,
  BackupsRepository,
  createDataSource,
  DEFAULT_VOLUME_TYPE_ID,
  dropDatabase,
  ensureDatabase,
  NOW_UTC,
  runMigrations,
  VolumeEntity,
  WorkClaims,
  WorkerEntity,
} from '@cinderflow/persistence';
import { backupMachine, type BackupEvent, volumeMachine } from '@cinderflow/status-machines';
import { ChunkedBackupDriver } from '../chunked/chunked-backup.driver';
import { InitHostCleanup } from '../init-host/init-host.cleanup';
import type { VolumeConnection } from '../volume-connection';
import { CreateBackupHandler } from './create-backup/create-backup.handler';
import { DeleteBackupHandler } from './delete-backup/delete-backup.handler';
import { ImportBackupHandler } from './import-backup/import-backup.handler';
import { RestoreBackupHandler } from './restore-backup/restore-backup.handler';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const HOST = 'backup-host-a';
const OTHER_HOST = 'backup-host-b';
/** Cinder's IMPORT_VOLUME_ID: the API makes an imported backup's row with it. */
const IMPORT_VOLUME_ID = '00000000-0000-0000-0000-000000000000';

// Each backup or restore reads or writes a whole 1 GiB (sparse) volume.
jest.setTimeout(60_000);

/**
 * Stands in for cinder-volume's side of VolumeConnection (an RPC call away): the connection's
 * device path is the volume's file here. `before`/`after` run once while the connection is open,
 * before and after the driver used it: the moments a test interferes with a running handler.
 */
/**
 * The chunked driver on the same repository, with a moment to interfere before `verify` (an
 * import's check of the data), once: `beforeVerify`. `verifies` counts the checks.
 */
class HookedDriver extends ChunkedBackupDriver {
  beforeVerify: (() => Promise<void>) | null = null;
  verifies = 0;

  override async verify(backupId: string) {
    this.verifies++;
    const hook = this.beforeVerify;
    this.beforeVerify = null;
    await hook?.();
    return super.verify(backupId);
  }
}

class LocalConnection {
  before: (() => Promise<void>) | null = null;
  after: (() => Promise<void>) | null = null;
  uses = 0;

  constructor(private readonly dir: string) {}

  path(volumeId: string): string {
    return join(this.dir, `volume-${volumeId}`);
  }

  async with<T>(volume: VolumeEntity, use: (devicePath: string) => Promise<T>): Promise<T> {
    this.uses++;
    await fs.stat(this.path(volume.id)); // as the file driver: no connection to a missing volume
    const [before, after] = [this.before, this.after];
    this.before = this.after = null;
    await before?.();
    const result = await use(this.path(volume.id));
    await after?.();
    return result;
  }
}

describe('cinder-backup flows against a volume reset, deleted or delivered twice', () => {
  let url: string;
  let ds: DataSource;
  let dir: string;
  let driver: ChunkedBackupDriver;
  let connection: LocalConnection;
  let create: CreateBackupHandler;
  let restore: RestoreBackupHandler;
  let remove: DeleteBackupHandler;
  let cleanup: InitHostCleanup;
  let claims: WorkClaims;

  beforeAll(async () => {
    const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    base.pathname = `/cinderflow_test_${randomBytes(4).toString('hex')}`;
    url = base.toString();
    await ensureDatabase(url);
    ds = createDataSource(url, 10);
    await ds.initialize();
    await runMigrations(ds);
    dir = await fs.mkdtemp(join(tmpdir(), 'cinder-backup-flows-'));
    driver = new ChunkedBackupDriver({
      repository: join(dir, 'backups'),
      chunkSize: 4 * MiB,
      compression: 'zlib',
    });
    connection = new LocalConnection(dir);
    const logger = createLogger('test', { level: 'silent' });
    const conn = connection as unknown as VolumeConnection;
    // the handlers of one process share its runs in progress
    claims = new WorkClaims(HOST);
    create = new CreateBackupHandler(ds, driver, HOST, conn, claims, logger);
    restore = new RestoreBackupHandler(ds, driver, conn, claims, logger);
    remove = new DeleteBackupHandler(ds, driver, claims, logger);
    cleanup = new InitHostCleanup(ds, driver, HOST, remove, logger);
  });
  afterAll(async () => {
    await ds.destroy();
    await dropDatabase(url);
    await fs.rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    connection.before = connection.after = null;
    connection.uses = 0;
  });

  /** A 1 GiB volume row in `status`, its file holding some random bytes. */
  async function volume(status: string, extra: Partial<VolumeEntity> = {}): Promise<string> {
    const id = randomUUID();
    await ds.manager.insert(VolumeEntity, {
      id,
      project_id: 'p',
      user_id: 'u',
      size: 1,
      status: status as VolumeEntity['status'],
      availability_zone: 'nova',
      volume_type_id: DEFAULT_VOLUME_TYPE_ID,
      host: 'volume-host@disk#disk',
      created_at: new Date(),
      ...extra,
    });
    const file = await fs.open(connection.path(id), 'w');
    await file.truncate(GiB);
    await file.write(randomBytes(6 * MiB), 0, 6 * MiB, 3 * MiB);
    await file.close();
    return id;
  }

  /** A backup row as the API leaves it: `creating`, the volume `backing-up`. */
  async function creatingBackup(
    volumeId: string,
    parentId: string | null = null,
    event: 'backup_start' | 'backup_start_forced' = 'backup_start',
  ) {
    await applyTransition(ds.manager, {
      machine: volumeMachine,
      entity: VolumeEntity,
      id: volumeId,
      event,
    });
    const id = randomUUID();
    await ds.manager.insert(BackupEntity, {
      id,
      project_id: 'p',
      user_id: 'u',
      volume_id: volumeId,
      status: 'creating',
      size: 1,
      parent_id: parentId,
      created_at: new Date(),
    });
    return id;
  }

  async function availableBackup(volumeId: string, parentId: string | null = null) {
    const id = await creatingBackup(volumeId, parentId);
    await create.handle(id);
    expect(await backup(id)).toMatchObject({ status: 'available' });
    return id;
  }

  const backup = (id: string) => ds.manager.findOneByOrFail(BackupEntity, { id });
  const volumeRow = (id: string) => ds.manager.findOneByOrFail(VolumeEntity, { id });
  const notes = () => ds.manager.find(WorkerEntity);

  function backupEvent(id: string, event: BackupEvent, set: Partial<BackupEntity> = {}) {
    return applyTransition(ds.manager, {
      machine: backupMachine,
      entity: BackupEntity,
      id,
      event,
      set,
    });
  }

  /** A backup of another volume, as the API leaves it to be restored onto `into`. */
  async function restoring(into: string): Promise<string> {
    const source = await volume('available');
    const id = await availableBackup(source);
    await backupEvent(id, 'restore_start', { restore_volume_id: into });
    await applyTransition(ds.manager, {
      machine: volumeMachine,
      entity: VolumeEntity,
      id: into,
      event: 'restore_start',
    });
    connection.uses = 0;
    return id;
  }

  /** os-reset_status, then the API's delete and cinder-volume's, file and row. */
  async function resetAndDelete(volumeId: string): Promise<void> {
    const step = (event: 'reset_to_available' | 'delete' | 'delete_succeeded', set = {}) =>
      applyTransition(ds.manager, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volumeId,
        event,
        set,
      });
    await step('reset_to_available');
    await step('delete');
    await fs.rm(connection.path(volumeId));
    await step('delete_succeeded', { deleted: true, deleted_at: () => NOW_UTC });
  }

  /** Every file of a backup's container with its SHA-256, or null without a container. */
  async function stored(backupId: string): Promise<Record<string, string> | null> {
    const container = join(dir, 'backups', driver.containerOf(backupId));
    const names = await fs.readdir(container).catch(() => null);
    if (!names) return null;
    const files: Record<string, string> = {};
    for (const name of names.sort()) {
      const bytes = await fs.readFile(join(container, name));
      files[name] = createHash('sha256').update(bytes).digest('hex');
    }
    return files;
  }

  /** The file's bytes, summed up: SHA-256 per 4 MiB, all-zero blocks (most of them) as `0`. */
  async function bytesOf(path: string): Promise<string[]> {
    const file = await fs.open(path, 'r');
    const block = Buffer.alloc(4 * MiB);
    const zeros = Buffer.alloc(4 * MiB);
    const sums: string[] = [];
    try {
      for (;;) {
        const { bytesRead } = await file.read(block, 0, block.length);
        if (bytesRead === 0) return sums;
        const data = block.subarray(0, bytesRead);
        sums.push(
          data.equals(zeros.subarray(0, bytesRead))
            ? '0'
            : createHash('sha256').update(data).digest('hex'),
        );
      }
    } finally {
      await file.close();
    }
  }

  /**
   * The handlers' DataSource, but once `passing` more transactions began, the next `failing`
   * ones (all, by default) have their connection terminated by the server (57P01, as when
   * PostgreSQL shuts down): e.g. the last step of a run fails, and so does giving its note back.
   * `passing = Infinity` ends the outage.
   */
  function outage() {
    const state = { passing: Infinity, failing: Infinity };
    const flaky = new Proxy(ds, {
      get(target, prop, receiver) {
        if (prop !== 'transaction') return Reflect.get(target, prop, receiver) as unknown;
        return <T>(work: (tx: EntityManager) => Promise<T>) =>
          target.transaction(async (tx) => {
            if (state.passing > 0) {
              state.passing--;
            } else if (state.failing > 0) {
              state.failing--;
              await tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
            }
            return work(tx);
          });
      },
    });
    return { flaky, state };
  }

  /**
   * The handlers' DataSource, but once `armed`, the next call of `method` through its manager
   * (`findOne`: a running create's look at its backup before each object; `update`: a progress
   * update), past the first `skip` ones, meets a database blink: its connection is terminated by
   * the server (57P01) under it. `hits` counts the blinks.
   */
  function blink(method: 'findOne' | 'update' = 'findOne') {
    const state = { armed: false, skip: 0, hits: 0 };
    const manager = new Proxy(ds.manager, {
      get(target, prop, receiver) {
        const original = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== method) return original;
        return async (...args: unknown[]) => {
          if (state.armed && state.skip > 0) {
            state.skip--;
          } else if (state.armed) {
            state.armed = false;
            state.hits++;
            await target.query('SELECT pg_terminate_backend(pg_backend_pid())');
          }
          return (original as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
    const flaky = new Proxy(ds, {
      get(target, prop, receiver) {
        if (prop === 'manager') return manager;
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    return { flaky, state };
  }

  const notesOf = (id: string) => ds.manager.findBy(WorkerEntity, { resource_id: id });
  const leftNote = (id: string, status: string) =>
    expect.objectContaining({ resource_id: id, status, service_host: HOST });

  describe('create_backup', () => {
    it('a duplicate delivered while the backup runs, and again after it finished, changes nothing', async () => {
      const v = await volume('available');
      const id = await creatingBackup(v);
      let during: WorkerEntity[] = [];
      connection.before = async () => {
        await create.handle(id);
        during = await notes();
      };
      await create.handle(id);
      expect(connection.uses).toBe(1);
      expect(during).toEqual([
        expect.objectContaining({ resource_id: id, status: 'creating', service_host: HOST }),
      ]);
      const once = await backup(id);
      expect(once).toMatchObject({ status: 'available', fail_reason: null, host: HOST });
      expect(once.object_count).toBeGreaterThan(0);
      const bytes = await stored(id);
      expect(bytes).toHaveProperty(['metadata.json']);
      expect((await volumeRow(v)).status).toBe('available');
      expect(await notes()).toEqual([]);

      await create.handle(id);
      expect(connection.uses).toBe(1);
      expect(await backup(id)).toEqual(once);
      expect(await stored(id)).toEqual(bytes);
    });

    it('a duplicate delivered to another cinder-backup while the backup runs changes nothing', async () => {
      const otherHost = 'backup-host-b';
      const elsewhere = new CreateBackupHandler(
        ds,
        driver,
        otherHost,
        connection as unknown as VolumeConnection,
        new WorkClaims(otherHost),
        createLogger('test', { level: 'silent' }),
      );
      const v = await volume('available');
      const id = await creatingBackup(v);
      let during: WorkerEntity[] = [];
      connection.before = async () => {
        await elsewhere.handle(id);
        during = await notes();
      };
      await create.handle(id);
      expect(connection.uses).toBe(1);
      expect(during).toEqual([
        expect.objectContaining({ resource_id: id, status: 'creating', service_host: HOST }),
      ]);
      expect(await backup(id)).toMatchObject({ status: 'available', host: HOST });
      expect(await notes()).toEqual([]);
    });

    it('the volume reset and deleted while the backup ran: error with the reason, no data left, nothing thrown', async () => {
      const v = await volume('available');
      const id = await creatingBackup(v);
      connection.after = () => resetAndDelete(v);
      await expect(create.handle(id)).resolves.toBeUndefined();
      expect(await backup(id)).toMatchObject({
        status: 'error',
        fail_reason: `volume ${v} was deleted while the backup ran`,
      });
      expect(await stored(id)).toBeNull();
      expect(await notes()).toEqual([]);
    });

    it('the volume reset while the backup ran: error, and the volume stays as the admin set it', async () => {
      const v = await volume('available');
      const id = await creatingBackup(v);
      connection.after = async () => {
        await applyTransition(ds.manager, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: v,
          event: 'reset_to_error',
        });
      };
      await create.handle(id);
      expect(await backup(id)).toMatchObject({
        status: 'error',
        fail_reason: `volume ${v} left backing-up (it is error) while the backup ran`,
      });
      expect(await stored(id)).toBeNull();
      expect((await volumeRow(v)).status).toBe('error');
      expect(await notes()).toEqual([]);
    });

    it('the volume reset and backed up again by another backup: neither frees it for the other', async () => {
      const v = await volume('available');
      const first = await creatingBackup(v);
      let second = '';
      connection.after = async () => {
        await applyTransition(ds.manager, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: v,
          event: 'reset_to_available',
        });
        second = await creatingBackup(v);
      };
      await create.handle(first);
      expect(await backup(first)).toMatchObject({
        status: 'error',
        fail_reason: `volume ${v} was reset while the backup ran and another backup now reads it`,
      });
      expect((await volumeRow(v)).status).toBe('backing-up');
      await create.handle(second);
      expect(await backup(second)).toMatchObject({ status: 'available' });
      expect((await volumeRow(v)).status).toBe('available');
    });

    it("the volume deleted before the driver read it: error with the driver's reason", async () => {
      const v = await volume('available');
      const id = await creatingBackup(v);
      connection.before = () => resetAndDelete(v);
      await expect(create.handle(id)).resolves.toBeUndefined();
      const failed = await backup(id);
      expect(failed.status).toBe('error');
      expect(failed.fail_reason).toMatch(/ENOENT/);
      expect(await stored(id)).toBeNull();
      expect(await notes()).toEqual([]);
    });

    it("the volume reset before the delivery: Cinder's abort, nothing read", async () => {
      const v = await volume('available');
      const id = await creatingBackup(v);
      await applyTransition(ds.manager, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: v,
        event: 'reset_to_available',
      });
      await create.handle(id);
      expect(connection.uses).toBe(0);
      expect(await backup(id)).toMatchObject({
        status: 'error',
        fail_reason: 'Create backup aborted, expected volume status backing-up but got available.',
      });
      expect(await notes()).toEqual([]);
    });

    it('a force-delete while the backup runs takes it over: the data goes, the volume is freed', async () => {
      const v = await volume('available');
      const id = await creatingBackup(v);
      connection.before = async () => {
        await backupEvent(id, 'force_delete');
        await remove.handle(id);
      };
      await expect(create.handle(id)).resolves.toBeUndefined();
      expect(await backup(id)).toMatchObject({ status: 'deleted', deleted: true });
      // written after the delete ran, removed by the create that saw it cancelled
      expect(await stored(id)).toBeNull();
      expect((await volumeRow(v)).status).toBe('available');
      expect(await notes()).toEqual([]);
    });
  });

  describe('restore_backup', () => {
    it('the target reset and deleted while restoring: the backup is available again, with the reason', async () => {
      const target = await volume('available');
      const id = await restoring(target);
      connection.after = () => resetAndDelete(target);
      await expect(restore.handle(id, target, false)).resolves.toBeUndefined();
      expect(await backup(id)).toMatchObject({
        status: 'available',
        restore_volume_id: null,
        fail_reason: `volume ${target} was deleted while the restore ran`,
      });
      expect(await notes()).toEqual([]);
    });

    it('the target reset before the delivery: the backup is available again, the volume as left', async () => {
      const target = await volume('available');
      const id = await restoring(target);
      await applyTransition(ds.manager, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: target,
        event: 'reset_to_error',
      });
      await expect(restore.handle(id, target, false)).resolves.toBeUndefined();
      expect(connection.uses).toBe(0);
      expect(await backup(id)).toMatchObject({
        status: 'available',
        restore_volume_id: null,
        fail_reason:
          'Restore backup aborted, expected volume status restoring-backup,creating but got error.',
      });
      expect((await volumeRow(target)).status).toBe('error');
      expect(await notes()).toEqual([]);
    });

    it('a duplicate delivered while restoring, and again after it finished, writes nothing more', async () => {
      const target = await volume('available');
      const id = await restoring(target);
      const source = (await backup(id)).volume_id;
      connection.before = () => restore.handle(id, target, false);
      await restore.handle(id, target, false);
      expect(connection.uses).toBe(1);
      expect(await bytesOf(connection.path(target))).toEqual(
        await bytesOf(connection.path(source)),
      );
      expect((await volumeRow(target)).status).toBe('available');
      const once = await backup(id);
      expect(once).toMatchObject({ status: 'available', fail_reason: null });

      const inUse = randomBytes(MiB);
      const file = await fs.open(connection.path(target), 'r+');
      await file.write(inUse, 0, MiB, 0);
      await file.close();
      const written = await bytesOf(connection.path(target));
      await restore.handle(id, target, false);
      expect(connection.uses).toBe(1);
      expect(await bytesOf(connection.path(target))).toEqual(written);
      expect(await backup(id)).toEqual(once);
      expect(await notes()).toEqual([]);
    });
  });

  describe('PostgreSQL away at the last step, then back', () => {
    it('a create run again after its end and its release failed finishes the backup', async () => {
      const { flaky, state } = outage();
      const logger = createLogger('test', { level: 'silent' });
      const conn = connection as unknown as VolumeConnection;
      const handler = new CreateBackupHandler(flaky, driver, HOST, conn, claims, logger);
      const v = await volume('available');
      const id = await creatingBackup(v);
      connection.after = async () => {
        state.passing = 0;
      };
      const failure = await handler.handle(id).then(
        () => null,
        (error: unknown) => error,
      );
      expect(isTransientError(failure)).toBe(true);
      expect(await notesOf(id)).toEqual([leftNote(id, 'creating')]);
      expect(await backup(id)).toMatchObject({ status: 'creating' });

      state.passing = Infinity;
      await handler.handle(id); // as the AMQP server runs it again
      const created = await backup(id);
      expect(created).toMatchObject({ status: 'available', fail_reason: null, host: HOST });
      expect(created.object_count).toBeGreaterThan(0);
      expect(await stored(id)).toHaveProperty(['metadata.json']);
      expect((await volumeRow(v)).status).toBe('available');
      expect(await notesOf(id)).toEqual([]);
    });

    it('a restore run again after its end and its release failed finishes the restore', async () => {
      const { flaky, state } = outage();
      const logger = createLogger('test', { level: 'silent' });
      const conn = connection as unknown as VolumeConnection;
      const handler = new RestoreBackupHandler(flaky, driver, conn, claims, logger);
      const target = await volume('available');
      const id = await restoring(target);
      const source = (await backup(id)).volume_id;
      connection.after = async () => {
        state.passing = 0;
      };
      const failure = await handler.handle(id, target, false).then(
        () => null,
        (error: unknown) => error,
      );
      expect(isTransientError(failure)).toBe(true);
      expect(await notesOf(id)).toEqual([leftNote(id, 'restoring')]);

      state.passing = Infinity;
      await handler.handle(id, target, false);
      expect(await backup(id)).toMatchObject({
        status: 'available',
        restore_volume_id: null,
        fail_reason: null,
      });
      expect(await bytesOf(connection.path(target))).toEqual(
        await bytesOf(connection.path(source)),
      );
      expect((await volumeRow(target)).status).toBe('available');
      expect(await notesOf(id)).toEqual([]);
    });

    it('a delete run again after its end and its release failed deletes the backup', async () => {
      const { flaky, state } = outage();
      const logger = createLogger('test', { level: 'silent' });
      const handler = new DeleteBackupHandler(flaky, driver, claims, logger);
      const v = await volume('available');
      const id = await availableBackup(v);
      await backupEvent(id, 'delete');
      state.passing = 1; // the claim; the delete's last step and its release fail
      const failure = await handler.handle(id).then(
        () => null,
        (error: unknown) => error,
      );
      expect(isTransientError(failure)).toBe(true);
      expect(await notesOf(id)).toEqual([leftNote(id, 'deleting')]);

      state.passing = Infinity;
      await handler.handle(id);
      expect(await backup(id)).toMatchObject({ status: 'deleted', deleted: true });
      expect(await stored(id)).toBeNull();
      expect(await notesOf(id)).toEqual([]);
    });
  });

  describe('a transient failure while a backup is made, then a run again', () => {
    const logger = createLogger('test', { level: 'silent' });
    const conn = () => connection as unknown as VolumeConnection;
    const creator = (dataSource: DataSource, host = HOST, hostClaims = claims) =>
      new CreateBackupHandler(dataSource, driver, host, conn(), hostClaims, logger);
    const failureOf = (run: Promise<void>) =>
      run.then(
        () => null,
        (error: unknown) => error,
      );

    it('a database blink while the chunks are written: not error, given back, then made', async () => {
      const { flaky, state } = blink();
      const handler = creator(flaky);
      const v = await volume('available');
      const id = await creatingBackup(v);
      connection.before = async () => {
        state.armed = true; // the look at the backup before its first object
      };
      const failure = await failureOf(handler.handle(id));
      expect(state.hits).toBe(1);
      expect(isTransientError(failure)).toBe(true);
      // Not error, nothing stored, the volume still held for it; given back (no host, no note)
      // or, when the blink also took down the connection the pool hands out next, left to the
      // run again here, which takes it over.
      const left = await backup(id);
      expect(left).toMatchObject({ status: 'creating', fail_reason: null });
      expect(await stored(id)).toBeNull();
      const notes = await notesOf(id);
      if (left.host === null) expect(notes).toEqual([]);
      else {
        expect(left.host).toBe(HOST);
        for (const note of notes) expect(note).toEqual(leftNote(id, 'creating'));
      }
      expect((await volumeRow(v)).status).toBe('backing-up');

      await handler.handle(id); // as the AMQP server runs it again
      const created = await backup(id);
      expect(created).toMatchObject({ status: 'available', fail_reason: null, host: HOST });
      expect(created.object_count).toBeGreaterThan(0);
      expect(await stored(id)).toHaveProperty(['metadata.json']);
      expect((await volumeRow(v)).status).toBe('available');
      expect(await notesOf(id)).toEqual([]);
      expect(connection.uses).toBe(2);
    });

    it('an incremental whose end blinked is made by another cinder-backup, counted once', async () => {
      const { flaky, state } = outage();
      const v = await volume('available');
      const full = await availableBackup(v);
      const id = await creatingBackup(v, full);
      // the claim passes; the end fails once, giving it back goes through
      state.passing = 1;
      state.failing = 1;
      const failure = await failureOf(creator(flaky).handle(id));
      expect(isTransientError(failure)).toBe(true);
      expect(await backup(id)).toMatchObject({ status: 'creating', host: null });
      // what the run stored (all of it, metadata too) went with it
      expect(await stored(id)).toBeNull();
      expect(await notesOf(id)).toEqual([]);
      expect((await backup(full)).num_dependent_backups).toBe(0);

      // The redelivery reaches another cinder-backup (this one's channel died meanwhile).
      await creator(ds, OTHER_HOST, new WorkClaims(OTHER_HOST)).handle(id);
      expect(await backup(id)).toMatchObject({
        status: 'available',
        fail_reason: null,
        host: OTHER_HOST,
        parent_id: full,
      });
      expect(await stored(id)).toHaveProperty(['metadata.json']);
      expect((await backup(full)).num_dependent_backups).toBe(1);
      expect((await volumeRow(v)).status).toBe('available');
      expect(await notesOf(id)).toEqual([]);

      // and restores the volume's bytes
      const target = await volume('available');
      await backupEvent(id, 'restore_start', { restore_volume_id: target });
      await applyTransition(ds.manager, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: target,
        event: 'restore_start',
      });
      await restore.handle(id, target, false);
      expect(await bytesOf(connection.path(target))).toEqual(await bytesOf(connection.path(v)));
    });

    it('a real failure still ends error, once', async () => {
      const v = await volume('available');
      const id = await creatingBackup(v);
      connection.before = () => fs.truncate(connection.path(v), 5 * MiB); // shorter than its size
      await expect(creator(ds).handle(id)).resolves.toBeUndefined();
      const failed = await backup(id);
      expect(failed.status).toBe('error');
      expect(failed.fail_reason).toMatch(/ended at byte/);
      expect(await stored(id)).toBeNull();
      expect((await volumeRow(v)).status).toBe('available');
      expect(await notesOf(id)).toEqual([]);
    });
    it.each(['available', 'in-use'])(
      'a force-delete whose clean-up met the database away: the run again, at another cinder-backup, returns the %s volume',
      async (was) => {
        const { flaky, state } = outage();
        const v = await volume(was);
        const id = await creatingBackup(v, null, 'backup_start_forced');
        connection.before = async () => {
          await backupEvent(id, 'force_delete');
          await remove.handle(id);
          // the claim passed; the create's clean-up (abandon) fails, giving it back does not
          state.passing = 0;
          state.failing = 1;
        };
        const failure = await failureOf(creator(flaky).handle(id));
        expect(isTransientError(failure)).toBe(true);
        expect(await backup(id)).toMatchObject({ status: 'deleted', deleted: true });
        expect((await volumeRow(v)).status).toBe('backing-up');
        expect(await notesOf(id)).toEqual([]);

        // The redelivery reaches another cinder-backup.
        await creator(ds, OTHER_HOST, new WorkClaims(OTHER_HOST)).handle(id);
        expect((await volumeRow(v)).status).toBe(was);
        expect(await backup(id)).toMatchObject({ status: 'deleted', deleted: true });
        expect(await stored(id)).toBeNull();
        expect(await notesOf(id)).toEqual([]);
        expect(connection.uses).toBe(1);

        // A duplicate later changes nothing, a volume backed up again meanwhile included.
        const next = await creatingBackup(v, null, 'backup_start_forced');
        await creator(ds).handle(id);
        expect((await volumeRow(v)).status).toBe('backing-up');
        await creator(ds).handle(next);
        expect(await backup(next)).toMatchObject({ status: 'available' });
        expect((await volumeRow(v)).status).toBe(was);
      },
    );

    it('a stale run of a cancelled backup leaves the volume to the backup that holds it now', async () => {
      const { flaky, state } = outage();
      const v = await volume('available');
      const first = await creatingBackup(v);
      connection.before = async () => {
        await backupEvent(first, 'force_delete');
        await remove.handle(first);
        state.passing = 0;
        state.failing = 1;
      };
      expect(isTransientError(await failureOf(creator(flaky).handle(first)))).toBe(true);
      expect((await volumeRow(v)).status).toBe('backing-up');
      // An admin frees the volume; another backup holds it, and is cancelled before it ran.
      await applyTransition(ds.manager, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: v,
        event: 'reset_to_available',
      });
      const second = await creatingBackup(v);
      await backupEvent(second, 'force_delete');

      await creator(ds).handle(first);
      expect((await volumeRow(v)).status).toBe('backing-up');
      await creator(ds).handle(second);
      expect((await volumeRow(v)).status).toBe('available');
      expect(await notes()).toEqual([]);
    });
  });

  describe('a transient failure while a backup is restored, then a run again', () => {
    const logger = createLogger('test', { level: 'silent' });
    const restorer = (dataSource: DataSource) =>
      new RestoreBackupHandler(
        dataSource,
        driver,
        connection as unknown as VolumeConnection,
        claims,
        logger,
      );
    const failureOf = (run: Promise<void>) =>
      run.then(
        () => null,
        (error: unknown) => error,
      );
    /** cinder-volume away: the call for a connection times out. */
    const volumeServiceAway = () =>
      Promise.reject(new RpcTimeoutError('initialize_connection', 'cinder-volume.host@disk', 60));

    it('a database blink part-way: not error_restoring, given back, then restored byte for byte', async () => {
      const { flaky, state } = blink('update');
      const target = await volume('available');
      // bytes the backup does not have (zeros there), which the restore must overwrite
      const stale = await fs.open(connection.path(target), 'r+');
      await stale.write(randomBytes(2 * MiB), 0, 2 * MiB, 600 * MiB);
      await stale.close();
      const id = await restoring(target);
      const source = (await backup(id)).volume_id;
      connection.before = async () => {
        state.armed = true;
        state.skip = 3; // the progress updates at 0, 10 and 20 %; the one at 30 % blinks
      };
      const failure = await failureOf(restorer(flaky).handle(id, target, false));
      expect(state.hits).toBe(1);
      expect(isTransientError(failure)).toBe(true);
      // no error: the backup still restoring onto the volume
      expect(await backup(id)).toMatchObject({
        status: 'restoring',
        restore_volume_id: target,
        fail_reason: null,
      });
      expect((await volumeRow(target)).status).toBe('restoring-backup');
      // Its note given back, or, when the blink also took down the connection the pool hands
      // out next, left to the run again here, which takes it over.
      for (const note of await notesOf(id)) expect(note).toEqual(leftNote(id, 'restoring'));

      await restorer(flaky).handle(id, target, false); // as the AMQP server runs it again
      expect(connection.uses).toBe(2);
      expect(await backup(id)).toMatchObject({
        status: 'available',
        restore_volume_id: null,
        fail_reason: null,
      });
      expect(await bytesOf(connection.path(target))).toEqual(
        await bytesOf(connection.path(source)),
      );
      expect((await volumeRow(target)).status).toBe('available');
      expect(await notesOf(id)).toEqual([]);
    });

    it('cinder-volume away while a volume is created from the backup: it stays creating, then is restored', async () => {
      const source = await volume('available');
      const id = await availableBackup(source);
      const target = await volume('creating');
      await backupEvent(id, 'restore_start', { restore_volume_id: target });
      connection.uses = 0;
      connection.before = volumeServiceAway;
      const failure = await failureOf(restorer(ds).handle(id, target, true));
      expect(isTransientError(failure)).toBe(true);
      expect(await backup(id)).toMatchObject({ status: 'restoring', restore_volume_id: target });
      expect((await volumeRow(target)).status).toBe('creating');
      expect(await notesOf(id)).toEqual([]);

      await restorer(ds).handle(id, target, true);
      const made = await volumeRow(target);
      expect(made.status).toBe('available');
      expect(made.launched_at).not.toBeNull();
      expect(await bytesOf(connection.path(target))).toEqual(
        await bytesOf(connection.path(source)),
      );
      expect(await backup(id)).toMatchObject({ status: 'available', restore_volume_id: null });
      expect(await notesOf(id)).toEqual([]);
    });

    it("given back, then force-deleted before it ran again: the volume ends error_restoring, the backup is the delete's", async () => {
      const target = await volume('available');
      const id = await restoring(target);
      connection.before = volumeServiceAway;
      expect(isTransientError(await failureOf(restorer(ds).handle(id, target, false)))).toBe(true);
      expect((await volumeRow(target)).status).toBe('restoring-backup');
      await backupEvent(id, 'force_delete');
      await remove.handle(id);

      await expect(restorer(ds).handle(id, target, false)).resolves.toBeUndefined();
      expect(connection.uses).toBe(1);
      expect((await volumeRow(target)).status).toBe('error_restoring');
      expect(await backup(id)).toMatchObject({ status: 'deleted', deleted: true });
      expect(await notesOf(id)).toEqual([]);
      // and a duplicate after that changes nothing
      await restorer(ds).handle(id, target, false);
      expect((await volumeRow(target)).status).toBe('error_restoring');
    });

    it('a corrupt chunk still ends error_restoring, once, nothing thrown', async () => {
      const target = await volume('available');
      const id = await restoring(target);
      const container = join(dir, 'backups', driver.containerOf(id));
      const [object] = (await fs.readdir(container)).filter((name) => name.startsWith('chunk-'));
      await fs.writeFile(join(container, object!), randomBytes(1024));
      await expect(restorer(ds).handle(id, target, false)).resolves.toBeUndefined();
      expect((await volumeRow(target)).status).toBe('error_restoring');
      expect(await backup(id)).toMatchObject({ status: 'available', restore_volume_id: null });
      expect((await backup(id)).fail_reason).not.toBeNull();
      expect(await notesOf(id)).toEqual([]);
    });
  });

  describe('import_record', () => {
    const logger = createLogger('test', { level: 'silent' });
    const config = { AVAILABILITY_ZONE: 'nova' } as BackupConfig;
    let hooked: HookedDriver;
    beforeAll(() => {
      hooked = new HookedDriver({
        repository: join(dir, 'backups'),
        chunkSize: 4 * MiB,
        compression: 'zlib',
      });
    });
    beforeEach(() => {
      hooked.beforeVerify = null;
      hooked.verifies = 0;
    });
    const importer = (dataSource: DataSource = ds, host = HOST, hostClaims = claims) =>
      new ImportBackupHandler(dataSource, hooked, host, config, hostClaims, logger);

    /**
     * An available backup whose row was lost after it was exported: its record (as the API's
     * export_record), and the row the API's import_record made again (`creating`, no host).
     */
    async function lostAndImported(): Promise<{ id: string; url: string; was: BackupEntity }> {
      const v = await volume('available');
      const id = await availableBackup(v);
      const was = await backup(id);
      const url = encodeBackupRecord({
        id,
        user_id: was.user_id,
        project_id: was.project_id,
        volume_id: was.volume_id,
        host: was.host,
        container: was.container,
        parent_id: was.parent_id,
        status: was.status,
        size: was.size,
        display_name: was.display_name,
        display_description: was.display_description,
        service_metadata: null,
        service: BACKUP_SERVICE,
        object_count: was.object_count,
        num_dependent_backups: was.num_dependent_backups,
        snapshot_id: was.snapshot_id,
        data_timestamp: was.data_timestamp?.toISOString() ?? null,
        metadata: was.metadata,
        driver_info: {},
      });
      await ds.manager.delete(BackupEntity, { id });
      await new BackupsRepository(ds.manager).insertImported({
        id,
        project_id: 'p',
        user_id: 'u',
        volume_id: IMPORT_VOLUME_ID,
        status: 'creating',
        size: was.size,
        metadata: {},
        created_at: new Date(),
      });
      return { id, url, was };
    }

    const imported = (was: BackupEntity) =>
      expect.objectContaining({
        status: 'available',
        host: HOST,
        volume_id: was.volume_id,
        object_count: was.object_count,
        container: was.container,
        fail_reason: null,
      });

    it('a duplicate delivered while the import runs, here or elsewhere, and after it finished, changes nothing', async () => {
      const { id, url, was } = await lostAndImported();
      const elsewhere = importer(ds, OTHER_HOST, new WorkClaims(OTHER_HOST));
      let during: WorkerEntity[] = [];
      hooked.beforeVerify = async () => {
        await importer().handle(id, BACKUP_SERVICE, url);
        await elsewhere.handle(id, BACKUP_SERVICE, url);
        during = await notesOf(id);
      };
      await importer().handle(id, BACKUP_SERVICE, url);
      expect(hooked.verifies).toBe(1);
      expect(during).toEqual([leftNote(id, 'importing')]);
      const once = await backup(id);
      expect(once).toEqual(imported(was));
      expect(await notesOf(id)).toEqual([]);

      await importer().handle(id, BACKUP_SERVICE, url);
      await elsewhere.handle(id, BACKUP_SERVICE, url);
      expect(hooked.verifies).toBe(1);
      expect(await backup(id)).toEqual(once);
    });

    it('an import run again after its end and its release failed imports the backup', async () => {
      const { flaky, state } = outage();
      const handler = importer(flaky);
      const { id, url, was } = await lostAndImported();
      state.passing = 1; // the claim; the import's end and giving it back fail
      const failure = await handler.handle(id, BACKUP_SERVICE, url).then(
        () => null,
        (error: unknown) => error,
      );
      expect(isTransientError(failure)).toBe(true);
      expect(await notesOf(id)).toEqual([leftNote(id, 'importing')]);
      expect(await backup(id)).toMatchObject({ status: 'creating', host: HOST });

      state.passing = Infinity;
      await handler.handle(id, BACKUP_SERVICE, url); // as the AMQP server runs it again
      expect(await backup(id)).toEqual(imported(was));
      expect(await notesOf(id)).toEqual([]);
    });

    it('the repository out of reach while the data is checked: not error, another cinder-backup imports it', async () => {
      const { id, url, was } = await lostAndImported();
      hooked.beforeVerify = () =>
        // what a stat of an unreachable NFS repository fails with
        Promise.reject(
          Object.assign(new Error('ETIMEDOUT: connection timed out, stat'), {
            code: 'ETIMEDOUT',
            syscall: 'stat',
          }),
        );
      const failure = await importer()
        .handle(id, BACKUP_SERVICE, url)
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(isTransientError(failure)).toBe(true);
      // given back: no host, no note
      expect(await backup(id)).toMatchObject({ status: 'creating', host: null, fail_reason: null });
      expect(await notesOf(id)).toEqual([]);

      await importer(ds, OTHER_HOST, new WorkClaims(OTHER_HOST)).handle(id, BACKUP_SERVICE, url);
      expect(await backup(id)).toMatchObject({
        status: 'available',
        host: OTHER_HOST,
        volume_id: was.volume_id,
        fail_reason: null,
      });
      expect(await notesOf(id)).toEqual([]);
    });

    it('data missing from the repository or a record of another backup: error with why, nothing thrown', async () => {
      const missing = await lostAndImported();
      const container = join(dir, 'backups', driver.containerOf(missing.id));
      const [object] = (await fs.readdir(container)).filter((name) => name.startsWith('chunk-'));
      await fs.rm(join(container, object!));
      await expect(
        importer().handle(missing.id, BACKUP_SERVICE, missing.url),
      ).resolves.toBeUndefined();
      expect(await backup(missing.id)).toMatchObject({
        status: 'error',
        fail_reason: expect.stringContaining(`missing object ${object!}`),
      });
      expect(await notesOf(missing.id)).toEqual([]);

      const other = await lostAndImported();
      await importer().handle(other.id, BACKUP_SERVICE, missing.url);
      expect(await backup(other.id)).toMatchObject({
        status: 'error',
        fail_reason: `Trying to import backup metadata from id ${missing.id} into backup ${other.id}.`,
      });
      expect(await notesOf(other.id)).toEqual([]);
    });
  });

  describe('delete_backup', () => {
    it('three deliveries at once delete once; another after it finished changes nothing', async () => {
      const v = await volume('available');
      const full = await availableBackup(v);
      const incremental = await availableBackup(v, full);
      expect((await backup(full)).num_dependent_backups).toBe(1);
      const fullBytes = await stored(full);
      await backupEvent(incremental, 'delete');

      await expect(Promise.all([1, 2, 3].map(() => remove.handle(incremental)))).resolves.toEqual([
        undefined,
        undefined,
        undefined,
      ]);
      expect(await backup(incremental)).toMatchObject({ status: 'deleted', deleted: true });
      expect(await stored(incremental)).toBeNull();
      const parent = await backup(full);
      expect(parent.num_dependent_backups).toBe(0);
      expect(await stored(full)).toEqual(fullBytes);
      expect(await notes()).toEqual([]);

      await remove.handle(incremental);
      expect(await backup(full)).toEqual(parent);
      expect(await stored(full)).toEqual(fullBytes);
    });

    it('a delete noted before a restart is resumed on start', async () => {
      const v = await volume('available');
      const id = await availableBackup(v);
      await backupEvent(id, 'delete');
      await ds.manager.insert(WorkerEntity, {
        resource_type: 'backup',
        resource_id: id,
        status: 'deleting',
        service_host: HOST,
        created_at: new Date(),
      });
      await cleanup.run();
      expect(await backup(id)).toMatchObject({ status: 'deleted' });
      expect(await stored(id)).toBeNull();
      expect(await notes()).toEqual([]);
    });
  });
});
