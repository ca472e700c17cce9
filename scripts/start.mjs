// Starts the whole system locally: installs and builds what is missing, checks PostgreSQL and
// RabbitMQ, creates the database, then runs cinder-api, cinder-scheduler, two cinder-volume
// backends, cinder-backup, glance-api, glance-scrubber and glance-task-worker until Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

if (!existsSync(join(root, 'node_modules'))) {
  console.log('Installing dependencies (npm ci)...');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
console.log('Building...');
run('npm', ['run', '--silent', 'build']);

const require = createRequire(import.meta.url);
const { preflight } = require(join(root, 'libs/service-runtime/dist/index.js'));
const { ensureDatabase } = require(join(root, 'libs/persistence/dist/index.js'));

const env = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/cinderflow',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
  ...process.env,
};
// Create the database first when the server answers; preflight then explains anything missing.
if (await ensureDatabase(env.DATABASE_URL).catch(() => false)) console.log('Created the database.');
const problems = await preflight(env.DATABASE_URL, env.AMQP_URL);
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}

const dataDir = resolve(root, env.CINDERFLOW_DATA_DIR ?? 'var');
// Different sizes so that placement by free capacity is easy to see.
const backends = [
  { name: 'file-1', capacity: env.BACKEND_1_CAPACITY_GB ?? '100' },
  { name: 'file-2', capacity: env.BACKEND_2_CAPACITY_GB ?? '50' },
];
const glanceStores =
  env.GLANCE_STORES ??
  ['file1', 'file2'].map((id) => `${id}:${join(dataDir, 'images', id)}`).join(',');
const services = [
  // Cinder's quota defaults (QUOTA_* in the environment, or the quota APIs, change them); the
  // benches raise their own project's quota through os-quota-sets.
  { name: 'cinder-api', main: 'apps/cinder-api/dist/main.js', env: {} },
  { name: 'cinder-scheduler', main: 'apps/cinder-scheduler/dist/main.js', env: {} },
  ...backends.map((b) => ({
    name: `cinder-volume@${b.name}`,
    main: 'apps/cinder-volume/dist/main.js',
    env: {
      VOLUME_BACKEND: b.name,
      VOLUME_CAPACITY_GB: b.capacity,
      VOLUME_DATA_DIR: join(dataDir, 'volumes', b.name),
    },
  })),
  { name: 'cinder-backup', main: 'apps/cinder-backup/dist/main.js', env: {} },
  {
    name: 'glance-api',
    main: 'apps/glance-api/dist/main.js',
    env: { GLANCE_STORES: glanceStores },
  },
  // Runs the tasks glance-api accepts (image import), into the same stores.
  {
    name: 'glance-task-worker',
    main: 'apps/glance-task-worker/dist/main.js',
    env: { GLANCE_STORES: glanceStores },
  },
  {
    // The scrubber works on glance-api's stores.
    name: 'glance-scrubber',
    main: 'apps/glance-scrubber/dist/main.js',
    env: {
      GLANCE_STORES:
        env.GLANCE_STORES ??
        ['file1', 'file2'].map((id) => `${id}:${join(dataDir, 'images', id)}`).join(','),
    },
  },
];

const children = [];
let stopping = false;
for (const service of services) {
  if (service.env.VOLUME_DATA_DIR) mkdirSync(service.env.VOLUME_DATA_DIR, { recursive: true });
  const child = spawn(process.execPath, [join(root, service.main)], {
    cwd: root,
    env: { ...env, ...service.env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${service.name} exited (${signal ?? code}); stopping everything.`);
      stop(1);
    }
  });
  children.push(child);
}

const port = env.API_PORT ?? '8776';
const apiUrl = `http://127.0.0.1:${port}/v3`;
for (let i = 0; i < 120; i++) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    if (res.status === 300) {
      console.log(
        `\ncinderflow is up. Volume API: ${apiUrl}  Image API: http://127.0.0.1:${env.GLANCE_PORT ?? '9292'}` +
          '  (Ctrl-C stops everything)\n',
      );
      break;
    }
  } catch {
    // not listening yet
  }
  await new Promise((r) => setTimeout(r, 500));
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(code);
  }, 10000);
  Promise.all(
    children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.on('exit', r)))),
  ).then(() => {
    clearTimeout(deadline);
    process.exit(code);
  });
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
