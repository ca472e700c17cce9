import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  type WriteStream,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import amqplib from 'amqplib';
import { Client } from 'pg';
// The module itself, not the library's index: that would load TypeORM and every entity into
// each test file.
import { dropDatabase, ensureDatabase } from '../../libs/persistence/src/ensure-database';
import { infrastructure } from './infrastructure';
import { freePort } from './ports';

const ROOT = resolve(__dirname, '../..');

/**
 * Cinder's quota defaults, for the suites about quotas: every cluster's base environment makes
 * volumes, gigabytes, snapshots and backups unlimited for the suites that predate quotas.
 */
export const CINDER_QUOTA_ENV = {
  QUOTA_VOLUMES: '10',
  QUOTA_GIGABYTES: '1000',
  QUOTA_SNAPSHOTS: '10',
  QUOTA_BACKUPS: '10',
  QUOTA_BACKUP_GIGABYTES: '1000',
};

export interface BackendOptions {
  name: string;
  capacityGb: number;
  env?: Record<string, string>;
}

export interface ClusterOptions {
  /** A RabbitMQ of the test file's own, instead of the run's shared one. */
  amqpUrl?: string;
  /** A PostgreSQL server of the test file's own (any database; the cluster makes its own). */
  databaseServerUrl?: string;
  /** Environment for every service (e.g. fault injection). */
  env?: Record<string, string>;
  /** More environment for cinder-api (e.g. OSAPI_MAX_LIMIT). */
  apiEnv?: Record<string, string>;
}

interface Running {
  child: ChildProcess;
  log: WriteStream;
  logPath: string;
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // not opened yet
  }
}

/**
 * The four services as real processes (built output), isolated from every other test file by
 * their own database and queue prefix on the shared PostgreSQL and RabbitMQ.
 */
export class Cluster {
  readonly id = randomBytes(4).toString('hex');
  readonly prefix = `e2e-${this.id}.`;
  readonly workDir = mkdtempSync(join(tmpdir(), `cinderflow-e2e-${this.id}-`));
  readonly databaseUrl: string;
  readonly amqpUrl: string;
  /** The migrated database this cluster's is copied from (on the run's own server only). */
  private readonly template: string | undefined;
  apiPort = 0;
  glancePort = 0;
  private readonly running = new Map<string, Running>();
  private db?: Client;

  constructor(
    private readonly backends: BackendOptions[],
    private readonly backupEnv: Record<string, string> = {},
    private readonly options: ClusterOptions = {},
  ) {
    const infra = infrastructure();
    const url = new URL(options.databaseServerUrl ?? infra.databaseUrl);
    url.pathname = `/cinderflow_e2e_${this.id}`;
    this.databaseUrl = url.toString();
    this.amqpUrl = options.amqpUrl ?? infra.amqpUrl;
    this.template = options.databaseServerUrl === undefined ? infra.templateDatabase : undefined;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get glanceUrl(): string {
    return `http://127.0.0.1:${this.glancePort}`;
  }

  /**
   * Picks cinder-api's and glance-api's ports now (the starts keep them), for what must name
   * them first: a Keystone catalog.
   */
  async choosePorts(): Promise<void> {
    if (this.apiPort === 0) this.apiPort = await freePort();
    if (this.glancePort === 0) this.glancePort = await freePort();
  }

  /** Where one of glance-api's file stores keeps image data. */
  imageStoreDir(store: string): string {
    return join(this.workDir, 'images', store);
  }

  /**
   * glance-api with two file stores (`file1`, `file2`) in the cluster's work dir. With or
   * without the Cinder services: a Glance-only test calls only this.
   */
  async startGlanceApi(env: Record<string, string> = {}): Promise<void> {
    await ensureDatabase(this.databaseUrl);
    if (this.glancePort === 0) this.glancePort = await freePort();
    await this.startService(
      'glance-api',
      'apps/glance-api/dist/main.js',
      {
        GLANCE_PORT: String(this.glancePort),
        ...this.glanceStoreEnv(),
        ...env,
      },
      'glance-api listening',
    );
  }

  /** glance-task-worker, writing imported images into the same stores as glance-api. */
  async startGlanceTaskWorker(env: Record<string, string> = {}): Promise<void> {
    await ensureDatabase(this.databaseUrl);
    await this.startService('glance-task-worker', 'apps/glance-task-worker/dist/main.js', {
      ...this.glanceStoreEnv(),
      ...env,
    });
  }

  /** The stores glance-api and the task worker write: two, thin (a GiB of zeros is a hole). */
  private glanceStoreEnv(): Record<string, string> {
    return {
      GLANCE_STORES: ['file1', 'file2'].map((id) => `${id}:${this.imageStoreDir(id)}`).join(','),
      GLANCE_FILESYSTEM_THIN_PROVISIONING: 'true',
    };
  }

  /** `host@backend` of a backend, as it appears in `services` and in volume hosts. */
  serviceHost(backend: string): string {
    return `e2e-host@${backend}`;
  }

  get backupDir(): string {
    return join(this.workDir, 'backups');
  }

  dataDir(backend: string): string {
    return join(this.workDir, 'volumes', backend);
  }

  async start(): Promise<void> {
    await ensureDatabase(this.databaseUrl, this.template);
    if (this.apiPort === 0) this.apiPort = await freePort();
    // Known before the Cinder services start, so that they find the image service (started by
    // the tests that need it).
    if (this.glancePort === 0) this.glancePort = await freePort();
    const api = this.startService(
      'cinder-api',
      'apps/cinder-api/dist/main.js',
      {
        API_PORT: String(this.apiPort),
        ...this.options.apiEnv,
      },
      'cinder-api listening',
    );
    // A database copied from the migrated template needs no migrating: everything starts at
    // once. Otherwise the API migrates first, so that the others' starts don't wait on it.
    if (this.template === undefined) await api;
    await Promise.all([
      api,
      this.startService('cinder-scheduler', 'apps/cinder-scheduler/dist/main.js', {}),
      this.startService('cinder-backup', 'apps/cinder-backup/dist/main.js', {
        BACKUP_DIR: this.backupDir,
        ...this.backupEnv,
      }),
      ...this.backends.map((b) => this.startBackend(b)),
    ]);
  }

  startBackend(backend: BackendOptions, extraEnv: Record<string, string> = {}): Promise<void> {
    mkdirSync(this.dataDir(backend.name), { recursive: true });
    return this.startService(`cinder-volume@${backend.name}`, 'apps/cinder-volume/dist/main.js', {
      VOLUME_BACKEND: backend.name,
      VOLUME_CAPACITY_GB: String(backend.capacityGb),
      VOLUME_DATA_DIR: this.dataDir(backend.name),
      // No over-subscription, so that a test's capacities are exactly what may be placed.
      MAX_OVER_SUBSCRIPTION_RATIO: '1',
      ...backend.env,
      ...extraEnv,
    });
  }

  async startService(
    name: string,
    main: string,
    env: Record<string, string>,
    readyLine = '"msg":"started"',
  ): Promise<void> {
    const logPath = join(this.workDir, `${name}.log`);
    // A restarted service appends to its log: only what this run writes can say it started.
    const from = readLog(logPath).length;
    const log = createWriteStream(logPath, { flags: 'a' });
    const child = spawn(process.execPath, [join(ROOT, main)], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: this.databaseUrl,
        AMQP_URL: this.amqpUrl,
        AMQP_PREFIX: this.prefix,
        SERVICE_HOST: 'e2e-host',
        LOG_LEVEL: 'debug',
        REPORT_INTERVAL_S: '1',
        CAPABILITY_REPORT_INTERVAL_S: '1',
        ...(this.glancePort === 0 ? {} : { GLANCE_API_URL: this.glanceUrl }),
        // Tests that predate quotas create many volumes, snapshots and backups in a project
        // (also after restarting cinder-api); quota tests set their own through apiEnv.
        QUOTA_VOLUMES: '-1',
        QUOTA_GIGABYTES: '-1',
        QUOTA_SNAPSHOTS: '-1',
        QUOTA_BACKUPS: '-1',
        QUOTA_BACKUP_GIGABYTES: '-1',
        ...this.options.env,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.running.set(name, { child, log, logPath });
    // A service that dies on its own (not through stopService) says why in the test's output:
    // its log goes with the cluster's work directory. (One that never started says so through
    // the start's own error.)
    let started = false;
    child.once('close', (code, signal) => {
      if (!started || this.running.get(name)?.child !== child) return;
      process.stderr.write(
        `[e2e] ${name} exited by itself (code ${code}, signal ${signal}); its log ends:\n` +
          `${readLog(logPath).slice(-4000)}\n`,
      );
    });
    // Seconds on a quiet machine; far more on a loaded one, where a start is not a failure.
    await this.waitFor(
      () => readLog(logPath).slice(from).includes(readyLine),
      60_000,
      () => `${name} did not start:\n${readLog(logPath).slice(-3000)}`,
      () => child.exitCode !== null,
    );
    started = true;
  }

  /** Whether a service started by this cluster is still running (did not crash). */
  isRunning(name: string): boolean {
    const running = this.running.get(name);
    return !!running && running.child.exitCode === null && running.child.signalCode === null;
  }

  /** The names of the services this cluster runs. */
  get services(): string[] {
    return [...this.running.keys()];
  }

  logOf(name: string): string {
    const running = this.running.get(name);
    return running ? readLog(running.logPath) : '';
  }

  /** Stops a service: SIGTERM lets it finish in-flight work, SIGKILL is a crash. */
  async stopService(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const running = this.running.get(name);
    if (!running) return;
    this.running.delete(name);
    if (running.child.exitCode === null && running.child.signalCode === null) {
      const exited = new Promise((r) => running.child.once('exit', r));
      running.child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      if (running.child.exitCode === null && running.child.signalCode === null)
        running.child.kill('SIGKILL');
    }
    running.log.end();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running.keys()].map((name) => this.stopService(name)));
    await this.db?.end().catch(() => undefined);
    await this.deleteQueues().catch(() => undefined);
    await dropDatabase(this.databaseUrl).catch(() => undefined);
    if (process.env.KEEP_E2E_LOGS !== '1') rmSync(this.workDir, { recursive: true, force: true });
  }

  /** Direct SQL on this cluster's database, for checks the API doesn't show. */
  async sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    if (!this.db) {
      const db = new Client({ connectionString: this.databaseUrl });
      // A database restarted under a test: forget this connection, the next query reconnects.
      db.on('error', () => {
        if (this.db === db) this.db = undefined;
      });
      this.db = db;
      try {
        await db.connect();
      } catch (error) {
        this.db = undefined;
        throw error;
      }
    }
    const db = this.db;
    try {
      return (await db.query(text, params)).rows as T[];
    } catch (error) {
      // A SQL error leaves the connection usable; anything else (the server went away) does not.
      const code = (error as { code?: string }).code ?? '';
      if (!/^[0-9A-Z]{5}$/.test(code) || /^(08|57)/.test(code)) {
        if (this.db === db) this.db = undefined;
        await db.end().catch(() => undefined);
      }
      throw error;
    }
  }

  /** Publishes a raw message to one of this cluster's queues (to replay a delivery). */
  async publish(queue: string, body: unknown): Promise<void> {
    const connection = await amqplib.connect(this.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      channel.sendToQueue(`${this.prefix}${queue}`, Buffer.from(JSON.stringify(body)), {
        persistent: true,
      });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
  }

  /** Drops what waits in one of this cluster's queues (to replace a message with another). */
  async purge(queue: string): Promise<number> {
    const connection = await amqplib.connect(this.amqpUrl);
    try {
      const channel = await connection.createChannel();
      return (await channel.purgeQueue(`${this.prefix}${queue}`)).messageCount;
    } finally {
      await connection.close();
    }
  }

  async waitFor(
    condition: () => boolean | Promise<boolean>,
    timeoutMs: number,
    describe: () => string,
    abort: () => boolean = () => false,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await condition()) return;
      if (abort()) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(describe());
  }

  private async deleteQueues(): Promise<void> {
    const connection = await amqplib.connect(this.amqpUrl);
    try {
      const queues = [
        'cinder-scheduler',
        'cinder-backup',
        // Each Cinder service's own queue (set-log, get-log; backup's restores and deletes).
        'cinder-scheduler.e2e-host',
        'cinder-backup.e2e-host',
        'cinderflow.dead-letter',
        'glance-task-worker',
        ...this.backends.map((b) => `cinder-volume.${this.serviceHost(b.name)}`),
      ];
      for (const queue of queues) {
        const channel = await connection.createChannel();
        await channel.deleteQueue(`${this.prefix}${queue}`).catch(() => undefined);
        await channel.close().catch(() => undefined);
      }
      for (const exchange of [
        'cinder-scheduler_fanout',
        'cinder-volume_fanout',
        'cinderflow.dlx',
      ]) {
        const channel = await connection.createChannel();
        await channel.deleteExchange(`${this.prefix}${exchange}`).catch(() => undefined);
        await channel.close().catch(() => undefined);
      }
    } finally {
      await connection.close();
    }
  }
}
