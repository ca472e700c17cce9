import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from '../support/cluster';
import { GlanceClient } from '../support/glance-client';
import {
  activeImageWithData,
  filesLeft,
  type ImageFixture,
  imageState,
  logLines,
  scrubOnce,
  setImageColumns,
  startScrubber,
} from '../support/glance-fixtures';

const PROJECT = '5c4b0e005c4b0e005c4b0e005c4b0e01';

// Issue 11: "with delayed delete on, `pending_delete` with its locations `pending_delete` ...;
// a scrubber (a separate process, `glance-scrubber`, that may run on every node at once, as
// seed 002 says) deletes the data of locations older than the scrub time, marks them
// `deleted`, and moves the image to `deleted` when none is left. Two scrubbers running
// together never delete the same data twice or skip one." Active images with data come from a
// fixture (glance-fixtures.ts).
describe('glance-scrubber: delayed delete', () => {
  const cluster = new Cluster([]);
  let glance: GlanceClient;

  beforeAll(async () => {
    await cluster.startGlanceApi({ GLANCE_DELAYED_DELETE: 'true' });
    glance = new GlanceClient(cluster.glanceUrl, PROJECT);
  });
  afterAll(() => cluster.stop());

  async function pendingImages(count: number, stores: string[]): Promise<ImageFixture[]> {
    const images: ImageFixture[] = [];
    for (let i = 0; i < count; i++) {
      const image = await activeImageWithData(cluster, glance, { stores });
      expect((await glance.delete(`/v2/images/${image.id}`)).status).toBe(204);
      images.push(image);
    }
    return images;
  }

  /** Scrubbed-location log lines of these images, from any number of logs. */
  function scrubbed(lines: Array<Record<string, unknown>>, images: ImageFixture[]) {
    const ids = new Set(images.map((image) => image.id));
    return lines.filter(
      (line) => line.msg === 'image location scrubbed' && ids.has(line.image as string),
    );
  }

  const logOf = (name: string) =>
    logLines(readFileSync(join(cluster.workDir, `${name}.log`), 'utf8'));

  it('leaves image and locations pending_delete with their data; the image answers 404', async () => {
    const [image] = await pendingImages(1, ['file1', 'file2']);
    expect((await glance.get(`/v2/images/${image.id}`)).status).toBe(404);
    const state = await imageState(cluster, image.id);
    expect([state.status, state.deleted_at instanceof Date]).toEqual(['pending_delete', true]);
    expect(state.locations.map((l) => l.status)).toEqual(['pending_delete', 'pending_delete']);
    expect(filesLeft(image)).toEqual(image.files);
    expect((await glance.delete(`/v2/images/${image.id}`)).status).toBe(404);

    // No data anywhere: deleted directly, even with delayed delete (seed 001: queued → deleted).
    const queued = await glance.post('/v2/images', { name: 'q' });
    expect((await glance.delete(`/v2/images/${queued.body.id}`)).status).toBe(204);
    expect((await imageState(cluster, queued.body.id)).status).toBe('deleted');
  });

  it('refuses a deactivated image with data, as Glance does (deactivated → pending_delete is no edge)', async () => {
    const image = await activeImageWithData(cluster, glance);
    await glance.post(`/v2/images/${image.id}/actions/deactivate`, undefined);
    const refused = await glance.request('DELETE', `/v2/images/${image.id}`, undefined, {
      Accept: 'application/json',
    });
    expect([refused.status, refused.body.message]).toEqual([
      400,
      'Image status transition from deactivated to pending_delete is not allowed',
    ]);
    expect(await imageState(cluster, image.id)).toMatchObject({
      status: 'deactivated',
      locations: [{ status: 'active' }],
    });
    await glance.post(`/v2/images/${image.id}/actions/reactivate`, undefined);
    expect((await glance.delete(`/v2/images/${image.id}`)).status).toBe(204);
    expect((await imageState(cluster, image.id)).status).toBe('pending_delete');
  });

  it('scrubs nothing younger than the scrub time, then the data, the locations and the image (--once)', async () => {
    const images = await pendingImages(2, ['file1', 'file2']);
    const early = await scrubOnce(cluster, { GLANCE_SCRUB_TIME_S: '3600' });
    expect(early.code).toBe(0);
    expect(scrubbed(early.lines, images)).toEqual([]);
    for (const image of images) {
      expect((await imageState(cluster, image.id)).status).toBe('pending_delete');
      expect(filesLeft(image)).toEqual(image.files);
    }

    const pass = await scrubOnce(cluster, { GLANCE_SCRUB_TIME_S: '0' });
    expect(pass.code).toBe(0);
    expect(scrubbed(pass.lines, images).map((line) => [line.location, line.outcome])).toEqual(
      images.flatMap((image) => image.locationIds.map((id) => [id, 'removed'])),
    );
    for (const image of images) {
      const state = await imageState(cluster, image.id);
      expect([state.status, state.deleted]).toEqual(['deleted', true]);
      expect(state.locations.map((l) => [l.status, l.deleted])).toEqual([
        ['deleted', true],
        ['deleted', true],
      ]);
      expect(filesLeft(image)).toEqual([]);
    }
    const done = pass.lines.filter((line) => line.msg === 'image scrubbed').map((l) => l.image);
    expect(done).toEqual(expect.arrayContaining(images.map((image) => image.id)));
  });

  it('also removes what an immediate delete left behind (an active location of a deleted image)', async () => {
    const image = await activeImageWithData(cluster, glance);
    // FIXTURE: what an immediate delete leaves when its process dies right after the commit.
    await setImageColumns(cluster, image.id, { status: 'deleted', deleted: true });
    const pass = await scrubOnce(cluster);
    expect(pass.code).toBe(0);
    expect(scrubbed(pass.lines, [image]).map((line) => [line.kind, line.outcome])).toEqual([
      ['leftover', 'removed'],
    ]);
    expect(await imageState(cluster, image.id)).toMatchObject({
      status: 'deleted',
      locations: [{ status: 'deleted', deleted: true }],
    });
    expect(filesLeft(image)).toEqual([]);
  });

  it('two scrubbers at once over many pending locations: each data file deleted exactly once, none skipped', async () => {
    const images = await pendingImages(30, ['file1', 'file2']);
    const locations = images.flatMap((image) => image.locationIds);
    // Each claimed location waits 60 ms before its data goes: alone, a scrubber would need
    // about 1.8 s for the 60 of them, so the two (waking every second) work at the same time.
    const env = { GLANCE_SCRUB_DELAY_MS: '60', GLANCE_SCRUB_POOL_SIZE: '2' };
    await Promise.all([
      startScrubber(cluster, 'scrubber-a', env),
      startScrubber(cluster, 'scrubber-b', env),
    ]);
    try {
      await twoScrubbersAtOnce(images, locations);
    } finally {
      await cluster.stopService('scrubber-a');
      await cluster.stopService('scrubber-b');
    }
  });

  async function twoScrubbersAtOnce(images: ImageFixture[], locations: number[]): Promise<void> {
    // Each scrubber logs a location after the commit that marks it: wait for the logs as well
    // as for the rows.
    await cluster.waitFor(
      async () => {
        const [left] = await cluster.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM images WHERE id = ANY($1) AND status <> 'deleted'`,
          [images.map((image) => image.id)],
        );
        const logged =
          scrubbed(logOf('scrubber-a'), images).length +
          scrubbed(logOf('scrubber-b'), images).length;
        return left.n === 0 && logged >= locations.length;
      },
      60_000,
      () => 'the scrubbers did not finish every image',
    );
    const a = scrubbed(logOf('scrubber-a'), images);
    const b = scrubbed(logOf('scrubber-b'), images);
    const removedOnce = [...a, ...b].filter((line) => line.removed === true);
    // every location's data deleted by exactly one of them
    expect(removedOnce.map((line) => line.location).sort()).toEqual([...locations].sort());
    expect([...a, ...b].filter((line) => line.outcome !== 'removed')).toEqual([]);
    // and both did part of the work
    expect([a.length > 0, b.length > 0, a.length + b.length]).toEqual([
      true,
      true,
      locations.length,
    ]);
    for (const name of ['scrubber-a', 'scrubber-b']) {
      expect(logOf(name).filter((line) => line.level === 'error')).toEqual([]);
    }
    for (const image of images) {
      const state = await imageState(cluster, image.id);
      expect([state.status, state.deleted]).toEqual(['deleted', true]);
      expect(state.locations.map((l) => l.status)).toEqual(['deleted', 'deleted']);
      expect(filesLeft(image)).toEqual([]);
    }

    // Each registered in `services`, which its container health check reads.
    const rows = await cluster.sql<{ host: string }>(
      `SELECT host FROM services WHERE "binary" = 'glance-scrubber' ORDER BY host`,
    );
    expect(rows.map((row) => row.host)).toEqual(['scrubber-a', 'scrubber-b']);
    await expect(
      promisify(execFile)(
        process.execPath,
        [resolve(__dirname, '../../libs/service-runtime/dist/healthcheck.js'), 'glance-scrubber'],
        {
          env: {
            PATH: process.env.PATH,
            DATABASE_URL: cluster.databaseUrl,
            SERVICE_HOST: 'scrubber-a',
          },
        },
      ),
    ).resolves.toBeDefined();
  }

  it('a scrubber killed mid-pass leaves nothing half-done; the next pass finishes', async () => {
    const images = await pendingImages(16, ['file1']);
    await startScrubber(cluster, 'scrubber-c', {
      GLANCE_SCRUB_DELAY_MS: '250',
      GLANCE_SCRUB_POOL_SIZE: '2',
    });
    await cluster.waitFor(
      () => scrubbed(logOf('scrubber-c'), images).length >= 3,
      20_000,
      () => 'scrubber-c did not start scrubbing',
    );
    // Killed while it holds locations (each waits 250 ms once claimed).
    await cluster.stopService('scrubber-c', 'SIGKILL');
    const beforeKill = scrubbed(logOf('scrubber-c'), images);
    expect(beforeKill.length).toBeLessThan(images.length);
    // Whatever is `deleted` has no data left; whatever is not is still pending as a whole.
    // (The rows say what it finished: it logs each location after its commit, and a kill may
    // fall in between.)
    const doneBeforeKill: number[] = [];
    for (const image of images) {
      const state = await imageState(cluster, image.id);
      if (state.locations[0].status === 'deleted') {
        doneBeforeKill.push(image.locationIds[0]);
        expect([state.status, filesLeft(image)]).toEqual(['deleted', []]);
      } else {
        expect([state.status, state.locations[0].status]).toEqual([
          'pending_delete',
          'pending_delete',
        ]);
      }
    }

    const next = await scrubOnce(cluster);
    expect(next.code).toBe(0);
    // what it logged, it had finished
    expect(doneBeforeKill).toEqual(
      expect.arrayContaining(beforeKill.map((line) => line.location as number)),
    );
    const all = [...beforeKill, ...scrubbed(next.lines, images)];
    // each location scrubbed exactly once; data the killed one unlinked before its commit
    // rolled back is found gone (`missing`) and only marked deleted
    expect(
      [...doneBeforeKill, ...scrubbed(next.lines, images).map((line) => line.location)].sort(),
    ).toEqual(images.map((image) => image.locationIds[0]).sort());
    expect(all.filter((line) => line.outcome !== 'removed' && line.outcome !== 'missing')).toEqual(
      [],
    );
    for (const image of images) {
      expect(await imageState(cluster, image.id)).toMatchObject({
        status: 'deleted',
        deleted: true,
        locations: [{ status: 'deleted', deleted: true }],
      });
      expect(filesLeft(image)).toEqual([]);
    }
  });
});
