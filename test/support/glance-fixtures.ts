import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Cluster } from './cluster';
import type { GlanceClient } from './glance-client';

const ROOT = resolve(__dirname, '../..');
const SCRUBBER_MAIN = 'apps/glance-scrubber/dist/main.js';

export interface ImageFixture {
  id: string;
  data: Buffer;
  /** The data's file in each store, in the order of the stores asked for. */
  files: string[];
  locationIds: number[];
}

/**
 * FIXTURE, not a path the services take: an `active` image with data, for tests whose subject
 * is what comes after the upload (delete, scrub, deactivate). The image is created through the
 * API (`queued`); then its data is written straight into the cluster's stores, its locations
 * inserted and its status set with SQL, as a finished upload leaves them (the upload route is
 * tested on its own). Everything the services themselves do goes through the machines.
 */
export async function activeImageWithData(
  cluster: Cluster,
  glance: GlanceClient,
  options: { stores?: string[]; data?: Buffer; name?: string } = {},
): Promise<ImageFixture> {
  const created = await glance.post('/v2/images', {
    name: options.name ?? 'fixture',
    disk_format: 'raw',
    container_format: 'bare',
  });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.text}`);
  const id = created.body.id as string;
  const data = options.data ?? randomBytes(4096);
  const files: string[] = [];
  const locationIds: number[] = [];
  for (const store of options.stores ?? ['file1']) {
    const dir = cluster.imageStoreDir(store);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, id);
    writeFileSync(file, data);
    files.push(file);
    const [row] = await cluster.sql<{ id: number }>(
      `INSERT INTO image_locations (image_id, value, meta_data, status, created_at)
       VALUES ($1, $2, $3, 'active', now() AT TIME ZONE 'utc') RETURNING id`,
      [id, pathToFileURL(file).href, JSON.stringify({ store })],
    );
    locationIds.push(row.id);
  }
  await cluster.sql(
    `UPDATE images SET status = 'active', size = $2, virtual_size = $2, checksum = $3,
       os_hash_algo = 'sha512', os_hash_value = $4, updated_at = now() AT TIME ZONE 'utc'
     WHERE id = $1`,
    [
      id,
      data.length,
      createHash('md5').update(data).digest('hex'),
      createHash('sha512').update(data).digest('hex'),
    ],
  );
  return { id, data, files, locationIds };
}

/** FIXTURE: sets columns of an image row directly (protected, visibility, owner...). */
export async function setImageColumns(
  cluster: Cluster,
  id: string,
  columns: Record<string, unknown>,
): Promise<void> {
  const names = Object.keys(columns);
  await cluster.sql(
    `UPDATE images SET ${names.map((name, i) => `${name} = $${i + 2}`).join(', ')} WHERE id = $1`,
    [id, ...names.map((name) => columns[name])],
  );
}

export interface ImageState {
  status: string;
  deleted: boolean;
  deleted_at: Date | null;
  updated_at: Date | null;
  locations: Array<{ id: number; status: string; deleted: boolean }>;
}

/** An image's row and its locations' statuses, as the database has them. */
export async function imageState(cluster: Cluster, id: string): Promise<ImageState> {
  const [image] = await cluster.sql<Omit<ImageState, 'locations'>>(
    'SELECT status, deleted, deleted_at, updated_at FROM images WHERE id = $1',
    [id],
  );
  const locations = await cluster.sql<ImageState['locations'][number]>(
    'SELECT id, status, deleted FROM image_locations WHERE image_id = $1 ORDER BY id',
    [id],
  );
  return { ...image, locations };
}

/** Which of the fixture's files are still there. */
export const filesLeft = (fixture: ImageFixture) => fixture.files.filter((f) => existsSync(f));

/** GLANCE_STORES for glance-scrubber: the same stores as the cluster's glance-api. */
export function glanceStores(cluster: Cluster): string {
  return ['file1', 'file2'].map((id) => `${id}:${cluster.imageStoreDir(id)}`).join(',');
}

/** glance-scrubber as a daemon, under its own name (its SERVICE_HOST too). */
export function startScrubber(
  cluster: Cluster,
  name: string,
  env: Record<string, string> = {},
): Promise<void> {
  return cluster.startService(name, SCRUBBER_MAIN, {
    GLANCE_STORES: glanceStores(cluster),
    SERVICE_HOST: name,
    GLANCE_SCRUB_INTERVAL_S: '1',
    ...env,
  });
}

/** `glance-scrubber --once`: one pass, then exit; its exit code and log lines. */
export function scrubOnce(
  cluster: Cluster,
  env: Record<string, string> = {},
): Promise<{ code: number; lines: Array<Record<string, unknown>> }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, SCRUBBER_MAIN), '--once'],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: cluster.databaseUrl,
          GLANCE_STORES: glanceStores(cluster),
          LOG_LEVEL: 'debug',
          ...env,
        },
      },
      (error, stdout) => {
        done({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          lines: logLines(stdout),
        });
      },
    );
  });
}

/** A service's JSON log lines. */
export function logLines(log: string): Array<Record<string, unknown>> {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
