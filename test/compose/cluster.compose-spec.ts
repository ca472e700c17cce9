/* eslint-disable @typescript-eslint/no-explicit-any -- API bodies are JSON the test picks apart */
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { GlanceClient } from '../support/glance-client';
import { freePort } from '../support/ports';
import {
  COMPOSE_SERVICES,
  ComposeProject,
  requireEngine,
  ROOT,
  SMOKE_PROJECT,
} from './compose-cli';
import { COMPOSE_ENV } from './global-setup';

const MiB = 1024 * 1024;
const command = process.env[COMPOSE_ENV]
  ? (JSON.parse(process.env[COMPOSE_ENV]) as string[])
  : undefined;

/** SHA-256 of `data` followed by zeros up to `size` bytes: a volume holding just `data`. */
function sha256ZeroPadded(data: Buffer, size: number): string {
  const hash = createHash('sha256').update(data);
  const zeros = Buffer.alloc(MiB);
  for (let left = size - data.length; left > 0; left -= zeros.length) {
    hash.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
  }
  return hash.digest('hex');
}

/** Prints every installed package that package-lock.json marks as needed for development only. */
const LEFTOVER_DEV_PACKAGES = [
  'const fs = require("fs");',
  'const lock = require("/app/package-lock.json").packages;',
  'for (const [path, p] of Object.entries(lock))',
  '  if ((p.dev || p.devOptional) && fs.existsSync("/app/" + path)) console.log(path);',
].join(' ');

function log(line: string): void {
  process.stdout.write(`[compose] ${line}\n`);
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${what} within ${timeoutMs / 1000} s${lastError ? `: ${String(lastError)}` : ''}`,
  );
}

// The whole cluster, as a user runs it: the image built from host output, `up`, the API on
// loopback, a volume's bytes through backup and restore, `down -v`.
(command ? describe : describe.skip)('docker-compose cluster', () => {
  let project: ComposeProject;
  let api: ApiClient;
  let apiPort: number;
  let glancePort: number;

  beforeAll(async () => {
    apiPort = await freePort();
    glancePort = await freePort();
    project = new ComposeProject(command!, SMOKE_PROJECT, {
      CINDER_API_PORT: String(apiPort),
      GLANCE_API_PORT: String(glancePort),
    });
    api = new ApiClient(`http://127.0.0.1:${apiPort}`, PROJECT_A).withVersion('3.44');
    // A run killed earlier may have left the project up.
    await project.run(['down', '-v', '--remove-orphans']);
  });

  // global-teardown.ts takes the cluster down whatever happens here.

  it('`npm run image` builds a small, non-root image from host-built output', async () => {
    const started = Date.now();
    // As the README says: the image every service runs, built from host-built output.
    await promisify(execFile)('npm', ['run', '--silent', 'image'], {
      cwd: ROOT,
      maxBuffer: 64 * MiB,
    });
    const engine = await requireEngine();
    const image = await engine.getImage('cinderflow:local').inspect();
    const base = await engine.getImage('node:20-bookworm-slim').inspect();
    const layerMb = (image.Size - base.Size) / 1e6;
    log(
      `image cinderflow:local staged and built in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
        `${(image.Size / 1e6).toFixed(0)} MB, of which ${layerMb.toFixed(0)} MB on top of ` +
        `node:20-bookworm-slim; runs as ${image.Config.User}`,
    );
    expect(image.Config.User).toBe('cinder');
    expect(layerMb).toBeLessThan(60); // the app and its production dependencies only

    // Inside: not root, no TypeScript sources or test helpers, no package the lockfile marks
    // as needed by dev dependencies only.
    const inside = await project.run([
      'run',
      '--rm',
      '--no-deps',
      '-T',
      'cinder-api',
      'sh',
      '-c',
      'id -u; find /app -path /app/node_modules -prune -o \\( -name "*.ts" -o -name testing \\) -print; ' +
        `node -e '${LEFTOVER_DEV_PACKAGES}'`,
    ]);
    const [uid, ...unwanted] = inside.trim().split('\n');
    expect(Number(uid)).toBeGreaterThan(0);
    expect(unwanted.filter(Boolean)).toEqual([]);
  });

  it('comes up healthy, with only the APIs published, on 127.0.0.1', async () => {
    const started = Date.now();
    await project.run(['up', '-d']);
    const upReturned = Date.now();
    await until(
      'the API did not answer',
      async () =>
        (await fetch(`http://127.0.0.1:${apiPort}/`, { signal: AbortSignal.timeout(2000) }))
          .status === 300
          ? true
          : undefined,
      90_000,
    );
    const answered = Date.now();
    const containers = await until(
      'not every service became healthy',
      async () => {
        const all = await project.health();
        return all.length === COMPOSE_SERVICES.length && all.every((c) => c.health === 'healthy')
          ? all
          : undefined;
      },
      90_000,
    );
    log(
      `up: \`up -d\` returned after ${((upReturned - started) / 1000).toFixed(1)} s, the API answered ` +
        `after ${((answered - started) / 1000).toFixed(1)} s, all ${containers.length} services ` +
        `healthy after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(containers.map((c) => c.service).sort()).toEqual(COMPOSE_SERVICES);
    const published = containers
      .filter((c) => Object.keys(c.ports).length > 0)
      .sort((a, b) => a.service.localeCompare(b.service));
    expect(published.map((c) => [c.service, c.ports])).toEqual([
      ['cinder-api', { '8776/tcp': [{ HostIp: '127.0.0.1', HostPort: String(apiPort) }] }],
      ['glance-api', { '9292/tcp': [{ HostIp: '127.0.0.1', HostPort: String(glancePort) }] }],
    ]);
  });

  /** The compose service that owns a volume (its host is `<service>@<backend>#<pool>`). */
  const serviceOf = (volume: Record<string, any>) =>
    (volume['os-vol-host-attr:host'] as string).split('@')[0]!;

  /** Runs `work` on the volume's file as a consumer on the shared storage sees it. */
  async function withConnection<T>(
    volume: Record<string, any>,
    work: (devicePath: string) => Promise<T>,
  ): Promise<T> {
    const att = await api.post('attachments', {
      attachment: {
        volume_uuid: volume.id,
        instance_uuid: randomUUID(),
        connector: { host: 'compose-smoke', mountpoint: '/dev/vdb' },
      },
    });
    expect(att.status).toBe(200);
    try {
      return await work(att.body.attachment.connection_info.device_path as string);
    } finally {
      expect((await api.delete(`attachments/${att.body.attachment.id as string}`)).status).toBe(
        200,
      );
    }
  }

  const sha256Inside = async (service: string, path: string) =>
    (await project.run(['exec', '-T', service, 'sha256sum', path])).split(' ')[0];

  async function waitForBackup(id: string): Promise<Record<string, any>> {
    return until(
      `backup ${id} did not finish`,
      async () => {
        const backup = (await api.get(`backups/${id}`)).body.backup;
        return ['available', 'error'].includes(backup.status) ? backup : undefined;
      },
      60_000,
    );
  }

  it('creates a volume, backs it up and restores it, byte for byte', async () => {
    const created = await api.post('volumes', { volume: { size: 1, name: 'compose-smoke' } });
    expect(created.status).toBe(202);
    const volume = (await api.waitForVolume(
      created.body.volume.id as string,
      (v) => v?.status === 'available' || v?.status === 'error',
      60_000,
    ))!;
    expect(volume.status).toBe('available');

    // Bytes written through the connection cinder-volume hands out, inside its container.
    const data = randomBytes(3 * MiB);
    await withConnection(volume, (path) =>
      project.run(
        [
          'exec',
          '-T',
          serviceOf(volume),
          'dd',
          `of=${path}`,
          'bs=1M',
          'conv=notrunc',
          'status=none',
        ],
        data,
      ),
    );
    const expected = sha256ZeroPadded(data, 1024 * MiB);
    expect(await withConnection(volume, (path) => sha256Inside(serviceOf(volume), path))).toBe(
      expected,
    );

    const posted = await api.post('backups', { backup: { volume_id: volume.id, name: 'smoke' } });
    expect(posted.status).toBe(202);
    const backup = await waitForBackup(posted.body.backup.id as string);
    expect(backup).toMatchObject({ status: 'available', size: 1, object_count: 3 });

    const restore = await api.post(`backups/${backup.id as string}/restore`, {
      restore: { name: 'compose-smoke-restored' },
    });
    expect(restore.status).toBe(202);
    const restored = (await api.waitForVolume(
      restore.body.restore.volume_id as string,
      (v) => v?.status === 'available' || v?.status === 'error_restoring',
      60_000,
    ))!;
    expect(restored.status).toBe('available');
    expect(await withConnection(restored, (path) => sha256Inside(serviceOf(restored), path))).toBe(
      expected,
    );
  });

  it('stores an image through glance-api and gives the same bytes back', async () => {
    const glance = new GlanceClient(`http://127.0.0.1:${glancePort}`, PROJECT_A);
    const created = await glance.post('/v2/images', {
      name: 'smoke',
      disk_format: 'raw',
      container_format: 'bare',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const data = randomBytes(3 * 1024 * 1024 + 17);
    expect((await glance.put(`/v2/images/${id}/file`, data)).status).toBe(204);
    const shown = await glance.get(`/v2/images/${id}`);
    expect(shown.body).toMatchObject({
      status: 'active',
      size: data.length,
      checksum: createHash('md5').update(data).digest('hex'),
    });
    const res = await fetch(`http://127.0.0.1:${glancePort}/v2/images/${id}/file`, {
      headers: { 'X-Auth-Token': `smoke:${PROJECT_A}` },
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    expect((await glance.delete(`/v2/images/${id}`)).status).toBe(204);
  });

  it('goes down with `down -v`, leaving nothing behind', async () => {
    const started = Date.now();
    await project.run(['down', '-v', '--remove-orphans']);
    log(`down -v took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await project.leftovers()).toEqual([]);
  });
});
