import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { glanceTaskWorkerSpec, loadConfig } from '@cinderflow/config';
import { ImageStores } from '@cinderflow/image-store';
import { createLogger } from '@cinderflow/logging';
import { ImagesRepository, TasksRepository } from '@cinderflow/persistence';
import { createTestDatabase } from '@cinderflow/persistence/testing';
import { RestartCleanup } from '../init-host/restart-cleanup';
import { ImportTaskRunner } from './import-task.runner';
import { uploadHolderOf } from './task-settlement';
import { INTERNAL_ERROR } from './task-input';

/**
 * The worker's runs against a real database and a local source: what a run does with a task
 * it holds but is not running (a run again after a transient failure), what a restart and a
 * dead letter settle, and that a duplicate changes nothing.
 */
describe('ImportTaskRunner', () => {
  const BYTES = randomBytes(200_000);
  const dir = mkdtempSync(join(tmpdir(), 'glance-task-worker-'));
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let server: Server;
  let source: string;
  let runner: ImportTaskRunner;
  let stores: ImageStores;
  const HOST = 'worker-a';

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = db.dataSource;
    server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': BYTES.length });
      res.end(BYTES);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    source = `http://127.0.0.1:${(server.address() as AddressInfo).port}/image`;
    const config = loadConfig(glanceTaskWorkerSpec, {
      GLANCE_STORES: `file1:${join(dir, 'file1')}`,
      GLANCE_IMPORT_ALLOWED_PORTS: '',
    });
    stores = new ImageStores(config.GLANCE_STORES);
    const logger = createLogger('glance-task-worker', { level: 'silent' });
    runner = new ImportTaskRunner(dataSource, stores, config, HOST, logger);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tasks = () => new TasksRepository(dataSource.manager);
  const images = () => new ImagesRepository(dataSource.manager);

  async function newTask(importFrom = source): Promise<string> {
    const task = await tasks().insert({
      id: randomUUID(),
      type: 'import',
      owner: 'p1',
      input: {
        import_from: importFrom,
        import_from_format: 'raw',
        image_properties: { disk_format: 'raw', container_format: 'bare' },
      },
      image_id: null,
      request_id: null,
      user_id: null,
    });
    return task.id;
  }

  /** A task this host holds with its image left `saving` by an upload that stopped. */
  async function heldMidUpload(leftovers = true): Promise<{ taskId: string; imageId: string }> {
    const taskId = await newTask();
    const imageId = randomUUID();
    await tasks().transition(taskId, 'start', { worker_host: HOST, import_image_id: imageId });
    await images().insert({
      id: imageId,
      owner: 'p1',
      disk_format: 'raw',
      container_format: 'bare',
    });
    await images().transition(imageId, 'upload', { upload_host: uploadHolderOf(HOST) });
    if (leftovers) {
      // What a killed upload leaves in the store: a partial file, or a whole one not committed.
      mkdirSync(stores.defaultStore.dir, { recursive: true });
      writeFileSync(join(stores.defaultStore.dir, `${imageId}.0123456789ab.partial`), 'half');
      writeFileSync(join(stores.defaultStore.dir, imageId), 'whole');
    }
    return { taskId, imageId };
  }

  const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

  it('runs a task to success, and a duplicate afterwards changes nothing', async () => {
    const taskId = await newTask();
    await runner.handle(taskId);
    const task = await tasks().find(taskId);
    expect(task).toMatchObject({ status: 'success', worker_host: HOST });
    const image = await images().findAny((task!.result as { image_id: string }).image_id);
    expect(image).toMatchObject({ status: 'active', owner: 'p1', checksum: md5(BYTES) });
    await runner.handle(taskId);
    expect(await tasks().find(taskId)).toEqual(task);
  });

  it('carries on with a task it holds: the stopped upload put back, the data fetched again', async () => {
    const { taskId, imageId } = await heldMidUpload();
    await runner.handle(taskId);
    expect(await tasks().find(taskId)).toMatchObject({
      status: 'success',
      result: { image_id: imageId },
    });
    expect(await images().findAny(imageId)).toMatchObject({ status: 'active', upload_host: null });
    expect(readdirSync(stores.defaultStore.dir).filter((n) => n.endsWith('.partial'))).toEqual([]);
  });

  it('lets a transient failure propagate (the message runs again), then finishes', async () => {
    const taskId = await newTask();
    const blink = Object.assign(new Error('terminating connection'), { code: '57P01' });
    const transaction = jest.spyOn(dataSource, 'transaction').mockRejectedValueOnce(blink);
    try {
      await expect(runner.handle(taskId)).rejects.toBe(blink);
    } finally {
      transaction.mockRestore();
    }
    expect(await tasks().find(taskId)).toMatchObject({ status: 'processing', worker_host: HOST });
    await runner.handle(taskId);
    expect(await tasks().find(taskId)).toMatchObject({ status: 'success' });
  });

  it('leaves a task another worker holds alone', async () => {
    const taskId = await newTask();
    await tasks().transition(taskId, 'start', { worker_host: 'worker-b', import_image_id: null });
    await runner.handle(taskId);
    expect(await tasks().find(taskId)).toMatchObject({
      status: 'processing',
      worker_host: 'worker-b',
    });
  });

  it('settles on restart what its host held: failure and the image deleted, or success', async () => {
    const stopped = await heldMidUpload();
    const done = await heldMidUpload(false);
    // This one's image made it to active before the worker died.
    await images().transition(done.imageId, 'upload_failed_v2', { upload_host: null });
    await images().transition(done.imageId, 'add_location');
    const logger = createLogger('glance-task-worker', { level: 'silent' });
    await new RestartCleanup(dataSource, runner, HOST, logger).run();
    expect(await tasks().find(stopped.taskId)).toMatchObject({
      status: 'failure',
      message: `The task was interrupted: glance-task-worker on ${HOST} stopped while it ran.`,
      expires_at: expect.any(Date),
    });
    expect(await images().findAny(stopped.imageId)).toMatchObject({
      status: 'deleted',
      deleted: true,
    });
    expect(
      readdirSync(stores.defaultStore.dir).filter((n) => n.startsWith(stopped.imageId)),
    ).toEqual([]);
    expect(await tasks().find(done.taskId)).toMatchObject({
      status: 'success',
      result: { image_id: done.imageId },
    });
  });

  it('fails, for a dead letter, a task still pending', async () => {
    const taskId = await newTask();
    expect(await runner.settlement.settle(taskId, INTERNAL_ERROR)).toBe('failure');
    expect(await tasks().find(taskId)).toMatchObject({
      status: 'failure',
      message: INTERNAL_ERROR,
    });
    expect(await runner.settlement.settle(taskId, INTERNAL_ERROR)).toBe('moved-on');
  });
});
