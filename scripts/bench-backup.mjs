// Backup throughput on a 1 GiB volume file of mixed data (half random, half zeros): full
// backup, incremental after changing 1%, and restore, each in MB/s beside a plain copy of the
// same bytes on the same disk in the same run. Uses the backup service's chunked driver.
//
//   npm run bench:backup -- [--size-mib 1024] [--chunk-mib 8] [--compression zlib|none] [--dir DIR]
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat, truncate } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    'chunk-mib': { type: 'string', default: '1' },
    compression: { type: 'string', default: 'zlib' },
    dir: { type: 'string' },
  },
});
const MiB = 1024 * 1024;
const size = Number(values['size-mib']) * MiB;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { ChunkedBackupDriver } = require(
  join(root, 'apps/cinder-backup/dist/chunked/chunked-backup.driver.js'),
);

const work = await mkdtemp(join(values.dir ?? tmpdir(), 'cinderflow-bench-backup-'));
const volume = join(work, 'volume');
const copy = join(work, 'copy');
const restored = join(work, 'restored');
const driver = new ChunkedBackupDriver({
  repository: join(work, 'repository'),
  chunkSize: Number(values['chunk-mib']) * MiB,
  compression: values.compression,
});

async function timed(fn) {
  const started = process.hrtime.bigint();
  const result = await fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, result };
}

async function sha256(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 8 * MiB })) hash.update(chunk);
  return hash.digest('hex');
}

/** Writes `bytes` random bytes at each offset. */
async function scribble(path, offsets, bytes) {
  const file = await open(path, 'r+');
  try {
    for (const offset of offsets) await file.write(randomBytes(bytes), 0, bytes, offset);
  } finally {
    await file.close();
  }
}

try {
  // Mixed data: alternating 8 MiB regions of random bytes and zeros.
  await truncate(await (await open(volume, 'w')).close().then(() => volume), size);
  const randomRegions = [];
  for (let offset = 0; offset < size; offset += 16 * MiB) randomRegions.push(offset);
  const region = 8 * MiB;
  const file = await open(volume, 'r+');
  for (const offset of randomRegions) await file.write(randomBytes(region), 0, region, offset);
  await file.sync();
  await file.close();
  const mb = size / 1e6;
  console.log(
    `volume: ${size / MiB} MiB, half random, half zeros; chunks of ${values['chunk-mib']} MiB, ${values.compression}\n`,
  );

  const plain = await timed(() =>
    pipeline(createReadStream(volume, { highWaterMark: 8 * MiB }), createWriteStream(copy)),
  );
  const full = await timed(() =>
    driver.backup({
      backupId: 'bench-full-0001',
      volumeId: 'bench-volume',
      sourcePath: volume,
      sizeBytes: size,
      parentId: null,
    }),
  );
  // Change 1% of the bytes, spread over the volume.
  const changes = Math.max(1, Math.round((size * 0.01) / (64 * 1024)));
  await scribble(
    volume,
    Array.from({ length: changes }, (_, i) => Math.floor((i * size) / changes)),
    64 * 1024,
  );
  const incremental = await timed(() =>
    driver.backup({
      backupId: 'bench-incr-0001',
      volumeId: 'bench-volume',
      sourcePath: volume,
      sizeBytes: size,
      parentId: 'bench-full-0001',
    }),
  );
  await truncate(await (await open(restored, 'w')).close().then(() => restored), size);
  const restore = await timed(() =>
    driver.restore({ backupId: 'bench-incr-0001', targetPath: restored }),
  );
  const same = (await sha256(volume)) === (await sha256(restored));

  const rate = (s) => mb / s;
  const line = (name, t, extra = '') =>
    console.log(
      `${name.padEnd(26)} ${t.seconds.toFixed(2).padStart(6)} s ${rate(t.seconds).toFixed(0).padStart(6)} MB/s  ` +
        `${(plain.seconds / t.seconds).toFixed(2)}× plain copy${extra}`,
    );
  line('plain copy', plain);
  line(
    'full backup',
    full,
    `  (${full.result.objectCount} objects, ${(full.result.storedBytes / MiB).toFixed(0)} MiB stored)`,
  );
  line(
    'incremental (1% changed)',
    incremental,
    `  (${incremental.result.objectCount} objects, ${(incremental.result.storedBytes / MiB).toFixed(0)} MiB stored)`,
  );
  line(
    'restore (full + incr.)',
    restore,
    `  (restored file allocates ${(((await stat(restored)).blocks * 512) / MiB).toFixed(0)} of ${size / MiB} MiB)`,
  );
  console.log(`\nrestored bytes identical to the volume: ${same}`);
  console.log(
    `repository size on disk: ${((await du(join(work, 'repository'))) / MiB).toFixed(0)} MiB`,
  );
  if (!same) process.exitCode = 1;
} finally {
  await rm(work, { recursive: true, force: true });
}

async function du(path) {
  const { readdir } = await import('node:fs/promises');
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      total += (await stat(join(entry.parentPath ?? entry.path, entry.name))).blocks * 512;
  }
  return total;
}
