import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Cluster } from '../support/cluster';
import { GlanceClient } from '../support/glance-client';
import { freePort } from '../support/ports';

// Issue 11: "Tasks (POST /v2/tasks type import, GET /v2/tasks, GET /v2/tasks/{id}):
// pending → processing → success | failure, with result (the new image's id) or message,
// expires_at; the task creates the image and fills it from import_from (an http(s) URL, e.g. a
// local server in tests) through the seed's queued → saving → active; run asynchronously over
// RabbitMQ by a worker, never inside the HTTP request."

const PROJECT = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const OTHER = 'beef0000beef0000beef0000beef0000';
const MiB = 1024 * 1024;
const CAP = 8 * MiB;
const BYTES = randomBytes(3 * MiB + 123);
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** The import source: a local HTTP server serving bytes, errors, a redirect and a stall. */
class Source {
  private server?: Server;
  private readonly stalled: ServerResponse[] = [];
  /** Responses to `/held`: 1 MiB of 4, the rest when released. */
  private readonly held: ServerResponse[] = [];
  port = 0;

  /** Sends the rest of every `/held` response. */
  release(): void {
    for (const res of this.held.splice(0)) res.end(Buffer.alloc(3 * MiB, 7));
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      switch (req.url) {
        case '/image.raw':
          res.writeHead(200, { 'Content-Length': BYTES.length });
          for (let at = 0; at < BYTES.length; at += 64 * 1024) {
            res.write(BYTES.subarray(at, at + 64 * 1024));
          }
          res.end();
          return;
        case '/redirect':
          res.writeHead(302, { Location: '/image.raw' });
          res.end();
          return;
        case '/huge': {
          // Past the cap, with no Content-Length: only counting while streaming can stop it.
          res.writeHead(200);
          let sent = 0;
          const chunk = Buffer.alloc(MiB);
          const pump = () => {
            while (sent < CAP + 4 * MiB) {
              sent += chunk.length;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end();
          };
          res.on('close', () => (sent = Infinity));
          pump();
          return;
        }
        case '/stall':
        case '/held':
          res.writeHead(200, { 'Content-Length': 4 * MiB });
          res.write(Buffer.alloc(MiB, 7));
          (req.url === '/held' ? this.held : this.stalled).push(res);
          return;
        default:
          res.writeHead(404, { 'Content-Type': 'text/plain' });
          res.end('no such thing');
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    [...this.stalled, ...this.held].forEach((res) => res.destroy());
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

// Glance sets an image's data only once it has both formats.
const FORMATS = { disk_format: 'raw', container_format: 'bare' };

const importTask = (url: string, imageProperties: Record<string, unknown> = {}) => ({
  type: 'import',
  input: {
    import_from: url,
    import_from_format: 'raw',
    image_properties: { ...FORMATS, ...imageProperties },
  },
});

describe('glance tasks: the tasks API and glance-task-worker', () => {
  const cluster = new Cluster([]);
  const source = new Source();
  // Random ports: Glance's default filter (ports 80 and 443) would refuse the local server.
  const apiEnv = { GLANCE_IMPORT_ALLOWED_PORTS: '', GLANCE_TASKS_API_ACCESS: 'everyone' };
  const workerEnv = { GLANCE_IMPORT_ALLOWED_PORTS: '', GLANCE_IMAGE_SIZE_CAP: String(CAP) };
  let glance: GlanceClient;

  beforeAll(async () => {
    await source.start();
    await cluster.startGlanceApi(apiEnv);
    await cluster.startGlanceTaskWorker(workerEnv);
    glance = new GlanceClient(cluster.glanceUrl, PROJECT);
  });
  afterAll(async () => {
    await cluster.stop();
    await source.stop();
  });

  async function waitForTask(
    id: string,
    statuses = ['success', 'failure'],
    client = glance,
  ): Promise<Record<string, unknown>> {
    let task: Record<string, unknown> = {};
    await cluster.waitFor(
      async () => {
        task = (await client.get(`/v2/tasks/${id}`)).body;
        return statuses.includes(task.status as string);
      },
      30_000,
      () => `task ${id} did not reach ${statuses.join('|')}: ${JSON.stringify(task)}`,
    );
    return task;
  }

  /** The image a task built (or began to), whatever its status: the worker's own column. */
  async function imageOfTask(taskId: string): Promise<Record<string, unknown> | undefined> {
    const [row] = await cluster.sql(
      `SELECT i.* FROM tasks t JOIN images i ON i.id = t.import_image_id WHERE t.id = $1`,
      [taskId],
    );
    return row;
  }

  const storeFiles = () =>
    ['file1', 'file2'].flatMap((store) => {
      const dir = cluster.imageStoreDir(store);
      return existsSync(dir) ? readdirSync(dir) : [];
    });

  it('registers the worker in services, healthy for the container health check', async () => {
    const rows = await cluster.sql(
      `SELECT host, "binary", topic FROM services WHERE "binary" = 'glance-task-worker'`,
    );
    expect(rows).toEqual([
      { host: 'e2e-host', binary: 'glance-task-worker', topic: 'glance-task-worker' },
    ]);
    const check = await promisify(execFile)(
      process.execPath,
      ['libs/service-runtime/dist/healthcheck.js', 'glance-task-worker'],
      {
        cwd: join(__dirname, '../..'),
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: cluster.databaseUrl,
          SERVICE_HOST: 'e2e-host',
        },
      },
    ).then(
      () => 0,
      (error: { code?: number; stderr?: string }) => `${error.code}: ${error.stderr}`,
    );
    expect(check).toBe(0);
  });

  it('serves the task schemas Glance serves', async () => {
    const task = await glance.get('/v2/schemas/task');
    expect(task.status).toBe(200);
    expect(task.body.name).toBe('task');
    expect(Object.keys(task.body.properties)).toEqual([
      'id',
      'type',
      'status',
      'input',
      'result',
      'owner',
      'message',
      'image_id',
      'request_id',
      'user_id',
      'expires_at',
      'created_at',
      'updated_at',
      'self',
      'schema',
    ]);
    expect(task.body.properties.type.enum).toEqual([
      'import',
      'api_image_import',
      'location_import',
    ]);
    expect(task.body.properties.status.enum).toEqual([
      'pending',
      'processing',
      'success',
      'failure',
    ]);
    const tasks = await glance.get('/v2/schemas/tasks');
    expect(tasks.body).toMatchObject({
      name: 'tasks',
      links: [{ rel: 'describedby', href: '{schema}' }],
    });
    const items = tasks.body.properties.tasks.items.properties;
    expect(Object.keys(items)).not.toEqual(expect.arrayContaining(['input']));
    expect(Object.keys(items).filter((k) => ['input', 'result', 'message'].includes(k))).toEqual(
      [],
    );
    expect((await glance.put('/v2/schemas/task', {})).status).toBe(405);
  });

  it.each([
    ['no type', { input: {} }, "Task 'type' is required"],
    ['no input', { type: 'import' }, "Task 'input' is required"],
    [
      'an unknown type',
      { type: 'export', input: {} },
      "Provided object does not match schema 'task': 'export' is not one of ['import', 'api_image_import', 'location_import']",
    ],
    [
      'an unknown key',
      { type: 'import', input: {}, colour: 'red' },
      "Provided object does not match schema 'task': Additional properties are not allowed ('colour' was unexpected)",
    ],
    ['no import_from', { type: 'import', input: {} }, 'Invalid location: None'],
    [
      'a file URL',
      importTask('file:///etc/passwd'),
      'File based imports are not allowed. Please use a non-local source of image data.',
    ],
    [
      'another scheme',
      importTask('ftp://127.0.0.1/x'),
      "The given uri is not valid. Please specify a valid uri from the following list of supported uri ['http']",
    ],
    [
      'an encoded address',
      importTask('http://2130706433/x'),
      'URI for legacy import task does not pass filtering: http://2130706433/x',
    ],
  ])('refuses %s with Glance’s 400 and writes nothing', async (_what, body, message) => {
    const before = await cluster.sql<{ n: number }>('SELECT count(*)::int AS n FROM tasks');
    const res = await glance.post('/v2/tasks', body, { Accept: 'application/json' });
    expect(res.status).toBe(400);
    expect(String(res.body.message)).toContain(message);
    const after = await cluster.sql<{ n: number }>('SELECT count(*)::int AS n FROM tasks');
    expect(after[0].n).toBe(before[0].n);
  });

  it('imports an image over HTTP: pending → success, the image active with the served bytes', async () => {
    const created = await glance.post(
      '/v2/tasks',
      importTask(source.url('/image.raw'), {
        name: 'imported',
        disk_format: 'raw',
        container_format: 'bare',
        tags: ['a', 'b'],
        os_distro: 'cirros',
      }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`/v2/tasks/${id}`);
    // What the request answers: the task as written, before any worker touched it.
    expect(created.body).toEqual({
      id,
      input: importTask(source.url('/image.raw'), {
        name: 'imported',
        disk_format: 'raw',
        container_format: 'bare',
        tags: ['a', 'b'],
        os_distro: 'cirros',
      }).input,
      type: 'import',
      status: 'pending',
      owner: PROJECT,
      message: '',
      result: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      updated_at: created.body.created_at,
      self: `/v2/tasks/${id}`,
      schema: '/v2/schemas/task',
      request_id: created.headers.get('x-openstack-request-id'),
      user_id: 'e2e-user',
    });

    const task = await waitForTask(id);
    expect(task).toMatchObject({ status: 'success', message: '' });
    const imageId = (task.result as { image_id: string }).image_id;
    expect(task.expires_at).toEqual(expect.any(String));
    // Glance's task_time_to_live: 48 hours after the task ended.
    const lived = Date.parse(task.expires_at as string) - Date.parse(task.updated_at as string);
    expect(Math.abs(lived - 48 * 3600_000)).toBeLessThanOrEqual(1000);

    const image = await glance.get(`/v2/images/${imageId}`);
    expect(image.body).toMatchObject({
      id: imageId,
      status: 'active',
      name: 'imported',
      disk_format: 'raw',
      container_format: 'bare',
      owner: PROJECT,
      os_distro: 'cirros',
      size: BYTES.length,
      checksum: md5(BYTES),
      os_hash_algo: 'sha512',
      os_hash_value: createHash('sha512').update(BYTES).digest('hex'),
    });
    expect([...(image.body.tags as string[])].sort()).toEqual(['a', 'b']);
    const locations = await cluster.sql<{ value: string; status: string }>(
      'SELECT value, status FROM image_locations WHERE image_id = $1',
      [imageId],
    );
    expect(locations.map((l) => l.status)).toEqual(['active']);
    expect(md5(readFileSync(fileURLToPath(locations[0].value)))).toBe(md5(BYTES));

    // The work ran in the worker, under the request's id.
    const requestId = created.headers.get('x-openstack-request-id')!;
    const workerLines = cluster
      .logOf('glance-task-worker')
      .split('\n')
      .filter((line) => line.includes(requestId));
    expect(workerLines.join('\n')).toContain('task succeeded');
    expect(cluster.logOf('glance-api')).not.toContain('task succeeded');
  });

  it('follows a redirect the filter allows', async () => {
    const created = await glance.post('/v2/tasks', importTask(source.url('/redirect')));
    const task = await waitForTask(created.body.id as string);
    expect(task.status).toBe('success');
    const image = await imageOfTask(task.id as string);
    expect(image).toMatchObject({ status: 'active', checksum: md5(BYTES) });
  });

  it.each([['a 404 from the source', () => source.url('/missing'), 'HTTP Error 404: Not Found']])(
    'fails on %s, the half-made image deleted',
    async (_what, url, reason) => {
      const created = await glance.post('/v2/tasks', importTask(url(), { name: 'never' }));
      const task = await waitForTask(created.body.id as string);
      expect(task).toMatchObject({
        status: 'failure',
        result: null,
        message: `Uploading the image failed due to: ${reason}`,
      });
      expect(task.expires_at).toEqual(expect.any(String));
      const image = await imageOfTask(task.id as string);
      expect(image).toMatchObject({ status: 'deleted', deleted: true });
      expect((await glance.get(`/v2/images/${image!.id as string}`)).status).toBe(404);
    },
  );

  it('fails when the source refuses the connection', async () => {
    const closed = await freePort(); // nothing listens there
    const created = await glance.post(
      '/v2/tasks',
      importTask(`http://127.0.0.1:${closed}/image.raw`),
    );
    const task = await waitForTask(created.body.id as string);
    expect(task).toMatchObject({
      status: 'failure',
      message: 'Uploading the image failed due to: <urlopen error [Errno 111] Connection refused>',
    });
    expect(await imageOfTask(task.id as string)).toMatchObject({ status: 'deleted' });
  });

  it('fails an image past image_size_cap while streaming, leaving no data behind', async () => {
    const created = await glance.post('/v2/tasks', importTask(source.url('/huge')));
    const task = await waitForTask(created.body.id as string);
    expect(task).toMatchObject({ status: 'failure', message: 'The provided image is too large.' });
    const image = await imageOfTask(task.id as string);
    expect(image).toMatchObject({ status: 'deleted' });
    expect(storeFiles().filter((name) => name.startsWith(image!.id as string))).toEqual([]);
  });

  it('fails, in the worker, a task whose input lacks what the import needs', async () => {
    const created = await glance.post('/v2/tasks', {
      type: 'import',
      input: { import_from: source.url('/image.raw'), image_properties: {} },
    });
    expect(created.status).toBe(201);
    const task = await waitForTask(created.body.id as string);
    expect(task).toMatchObject({
      status: 'failure',
      message: "Input does not contain 'import_from_format' field",
    });
    expect(await imageOfTask(task.id as string)).toBeUndefined();
  });

  it('fails a task whose image properties the image factory refuses', async () => {
    const created = await glance.post(
      '/v2/tasks',
      importTask(source.url('/image.raw'), { status: 'active' }),
    );
    const task = await waitForTask(created.body.id as string);
    expect(task).toMatchObject({ status: 'failure', message: "Attribute 'status' is read-only." });
  });

  it('lists tasks as Glance: stubs, filters, sorting, paging with a next link', async () => {
    const page = await glance.get('/v2/tasks');
    expect(page.status).toBe(200);
    expect(page.body.first).toBe('/v2/tasks');
    expect(page.body.schema).toBe('/v2/schemas/tasks');
    const tasks = page.body.tasks as Record<string, unknown>[];
    expect(tasks.length).toBeGreaterThanOrEqual(6);
    for (const task of tasks) {
      expect(Object.keys(task).sort()).toEqual(
        [
          'id',
          'type',
          'status',
          'owner',
          'created_at',
          'updated_at',
          'self',
          'schema',
          ...(task.status === 'success' || task.status === 'failure' ? ['expires_at'] : []),
        ].sort(),
      );
    }
    // Newest first by default.
    const created = tasks.map((t) => t.created_at as string);
    expect([...created].sort().reverse()).toEqual(created);

    const successes = await glance.get('/v2/tasks?status=success&type=import');
    expect(successes.body.first).toBe('/v2/tasks?status=success&type=import');
    expect((successes.body.tasks as { status: string }[]).map((t) => t.status)).toEqual(
      expect.arrayContaining(['success']),
    );
    expect(
      (successes.body.tasks as { status: string }[]).every((t) => t.status === 'success'),
    ).toBe(true);

    // Paging: limit 2, oldest first, walked through `next` to the end, nothing repeated.
    const seen: string[] = [];
    let next: string | undefined = '/v2/tasks?limit=2&sort_dir=asc';
    while (next) {
      const res = await glance.get(next);
      expect(res.status).toBe(200);
      seen.push(...(res.body.tasks as { id: string }[]).map((t) => t.id));
      next = res.body.next as string | undefined;
      if (next) expect(next).toMatch(/^\/v2\/tasks\?limit=2&sort_dir=asc&marker=[0-9a-f-]{36}$/);
    }
    expect(seen).toEqual(tasks.map((t) => t.id).reverse());

    const byStatus = await glance.get('/v2/tasks?sort_key=status&sort_dir=asc');
    const statuses = (byStatus.body.tasks as { status: string }[]).map((t) => t.status);
    expect(statuses).toEqual([...statuses].sort());
  });

  it.each([
    ['status=bogus', 'Invalid status value: bogus'],
    ['type=export', 'Invalid type value: export'],
    ['sort_dir=up', 'Invalid sort direction: up'],
    ['marker=nope', 'Invalid marker format'],
    ['limit=x', 'limit param must be an integer'],
    ['limit=-1', 'limit param must be positive'],
    ['sort_key=colour', 'Sort key supplied was not valid.'],
    [
      'marker=00000000-0000-0000-0000-000000000000',
      'Task with the given id 00000000-0000-0000-0000-000000000000 was not found',
    ],
  ])('refuses a list with %s', async (query, message) => {
    const res = await glance.get(`/v2/tasks?${query}`, { Accept: 'application/json' });
    expect([res.status, res.body.message]).toEqual([400, message]);
  });

  it("hides another project's task: 404 to its members, left out of their lists", async () => {
    const created = await glance.post('/v2/tasks', importTask(source.url('/image.raw')));
    const id = created.body.id as string;
    const stranger = glance.asProject(OTHER).asMember();
    const shown = await stranger.get(`/v2/tasks/${id}`, { Accept: 'application/json' });
    expect([shown.status, shown.body.message]).toEqual([404, `Could not find task ${id}`]);
    const listed = await stranger.get('/v2/tasks');
    expect((listed.body.tasks as { id: string }[]).map((t) => t.id)).not.toContain(id);
    // The owner's members see it; an admin of any project too (Glance's _is_task_visible).
    expect((await glance.asMember().get(`/v2/tasks/${id}`)).status).toBe(200);
    expect((await glance.asProject(OTHER).get(`/v2/tasks/${id}`)).status).toBe(200);
    expect((await glance.get('/v2/tasks/not-a-uuid')).status).toBe(404);
    await waitForTask(id);
  });

  it('never deletes a task on request (405, as Glance)', async () => {
    const [task] = (await glance.get('/v2/tasks?limit=1')).body.tasks as { id: string }[];
    const res = await glance.delete(`/v2/tasks/${task.id}`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect(res.text).toContain('This operation is currently not permitted on Glance Tasks.');
    expect((await glance.put('/v2/tasks', {})).headers.get('allow')).toBe('GET, POST');
  });

  it('does a task once, however often its message is delivered', async () => {
    // The worker is down: the task's message waits in its queue, and two copies join it.
    await cluster.stopService('glance-task-worker');
    const created = await glance.post(
      '/v2/tasks',
      importTask(source.url('/image.raw'), { name: 'once' }),
    );
    const id = created.body.id as string;
    const envelope = {
      method: 'run_task',
      context: {
        request_id: `req-${randomUUID()}`,
        user_id: 'e2e-user',
        project_id: PROJECT,
        roles: ['admin'],
        is_admin: true,
        sent_at: new Date().toISOString(),
      },
      payload: { task_id: id, task_type: 'import' },
    };
    await cluster.publish('glance-task-worker', envelope);
    await cluster.publish('glance-task-worker', envelope);
    await cluster.startGlanceTaskWorker(workerEnv);
    const task = await waitForTask(id);
    expect(task.status).toBe('success');
    const images = await cluster.sql(`SELECT id, status FROM images WHERE name = 'once'`);
    expect(images).toEqual([
      { id: (task.result as { image_id: string }).image_id, status: 'active' },
    ]);

    // And late copies, after it ended, change nothing.
    const [before] = await cluster.sql('SELECT * FROM tasks WHERE id = $1', [id]);
    await cluster.publish('glance-task-worker', envelope);
    await cluster.publish('glance-task-worker', envelope);
    await cluster.waitFor(
      () =>
        cluster
          .logOf('glance-task-worker')
          .split('\n')
          .filter((l) => l.includes(id) && l.includes('nothing to do')).length >= 4,
      10_000,
      () => 'the copies were not handled',
    );
    expect(await cluster.sql('SELECT * FROM tasks WHERE id = $1', [id])).toEqual([before]);
    expect(await cluster.sql(`SELECT id FROM images WHERE name = 'once'`)).toHaveLength(1);
  });

  it('settles, on restart, a task its worker was killed in the middle of', async () => {
    const created = await glance.post('/v2/tasks', importTask(source.url('/stall')));
    const id = created.body.id as string;
    await waitForTask(id, ['processing']);
    await cluster.waitFor(
      async () => (await imageOfTask(id))?.status === 'saving',
      10_000,
      () => 'the import did not start writing',
    );
    const image = (await imageOfTask(id))!;
    await cluster.stopService('glance-task-worker', 'SIGKILL');
    expect(storeFiles().some((name) => name.startsWith(image.id as string))).toBe(true);

    await cluster.startGlanceTaskWorker(workerEnv);
    const task = await waitForTask(id);
    expect(task).toMatchObject({
      status: 'failure',
      message: 'The task was interrupted: glance-task-worker on e2e-host stopped while it ran.',
    });
    expect(await imageOfTask(id)).toMatchObject({ status: 'deleted' });
    expect(storeFiles().filter((name) => name.startsWith(image.id as string))).toEqual([]);
  });

  it("leaves a running import alone when glance-api restarts on the same host (its upload isn't glance-api's)", async () => {
    const created = await glance.post('/v2/tasks', importTask(source.url('/held')));
    const id = created.body.id as string;
    await cluster.waitFor(
      async () => (await imageOfTask(id))?.status === 'saving',
      10_000,
      () => 'the import did not start writing',
    );
    // glance-api's start settles the uploads its host left `saving`: not this one.
    await cluster.stopService('glance-api', 'SIGKILL');
    await cluster.startGlanceApi(apiEnv);
    expect(await imageOfTask(id)).toMatchObject({
      status: 'saving',
      upload_host: 'glance-task-worker@e2e-host',
    });
    source.release();
    expect(await waitForTask(id)).toMatchObject({ status: 'success' });
    expect(await imageOfTask(id)).toMatchObject({ status: 'active', size: String(4 * MiB) });
  });

  const glanceCli = '/usr/bin/glance';
  (existsSync(glanceCli) ? it : it.skip)(
    'works with the glance client: task-create, task-list, task-show',
    async () => {
      const run = async (...args: string[]) =>
        (
          await promisify(execFile)(
            glanceCli,
            [
              '--os-image-url',
              cluster.glanceUrl,
              '--os-auth-token',
              `e2e-user:${PROJECT}`,
              // Skips the client's probe of /v2/schemas/image (the images API's schema); the
              // task commands load /v2/schemas/task themselves.
              '--os-image-api-version',
              '2',
              ...args,
            ],
            { timeout: 60_000, env: { PATH: process.env.PATH } },
          )
        ).stdout;
      const field = (table: string, name: string) =>
        new RegExp(`\\|\\s*${name}\\s*\\|\\s*(\\S+)`).exec(table)?.[1];
      const created = await run(
        'task-create',
        '--type',
        'import',
        '--input',
        JSON.stringify(importTask(source.url('/image.raw'), { name: 'from-cli' }).input),
      );
      const id = field(created, 'id')!;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(field(created, 'status')).toBe('pending');
      await waitForTask(id);
      const shown = await run('task-show', id);
      expect(field(shown, 'status')).toBe('success');
      expect(shown).toContain('image_id');
      const listed = await run('task-list', '--status', 'success');
      expect(listed).toContain(id);
    },
  );

  it('keeps the tasks API to admins by default, and Glance’s port filter', async () => {
    await cluster.stopService('glance-api');
    await cluster.startGlanceApi();
    const member = await glance.asMember().get('/v2/tasks', { Accept: 'application/json' });
    expect([member.status, member.body.message]).toEqual([
      403,
      'You are not authorized to complete tasks_api_access action.',
    ]);
    const refused = await glance.post('/v2/tasks', importTask(source.url('/image.raw')), {
      Accept: 'application/json',
    });
    expect([refused.status, refused.body.message]).toEqual([
      400,
      `URI for legacy import task does not pass filtering: ${source.url('/image.raw')}`,
    ]);
  });
});
