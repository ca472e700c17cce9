import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { DataSource } from 'typeorm';
import { FileStore, ImageGoneDuringUploadError, uploadImageData } from '@cinderflow/image-store';
import { createDataSource } from '@cinderflow/persistence';
import { Cluster } from '../support/cluster';
import { GlanceClient } from '../support/glance-client';
import {
  activeImageWithData,
  filesLeft,
  imageState,
  logLines,
  setImageColumns,
} from '../support/glance-fixtures';

const PROJECT = 'c0ffee00c0ffee00c0ffee00c0ffee01';
const OTHER = 'c0ffee00c0ffee00c0ffee00c0ffee02';

// Issue 11: "Delete: `deleted` at once ... (as in Glance, a deleted ... image then answers 404
// through the images API; its status lives on in the database)", "Deactivate / reactivate
// (admin only)" (Glance's current defaults: admin, or a member of the owning project),
// "deactivating a `queued` image is 403, a repeated deactivate or reactivate a 204 no-op", and
// seed 002: "image deleted → if delayed delete is off, the data is deleted →
// `deleted`". Active images with data come from a fixture (glance-fixtures.ts).
describe('glance-api: delete (delayed delete off), deactivate and reactivate', () => {
  const cluster = new Cluster([]);
  let glance: GlanceClient;
  let ds: DataSource;

  beforeAll(async () => {
    await cluster.startGlanceApi();
    glance = new GlanceClient(cluster.glanceUrl, PROJECT);
    ds = createDataSource(cluster.databaseUrl, 2);
    await ds.initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await cluster.stop();
  });

  const json = { Accept: 'application/json' };

  it('deletes an active image at once: image deleted, each location deleted and its data gone', async () => {
    const image = await activeImageWithData(cluster, glance, { stores: ['file1', 'file2'] });
    expect((await glance.get(`/v2/images/${image.id}`)).body.status).toBe('active');
    expect((await imageState(cluster, image.id)).locations.map((l) => l.status)).toEqual([
      'active',
      'active',
    ]);

    const deleted = await glance.delete(`/v2/images/${image.id}`);
    expect([deleted.status, deleted.text]).toEqual([204, '']);

    expect((await glance.get(`/v2/images/${image.id}`)).status).toBe(404);
    const state = await imageState(cluster, image.id);
    expect([state.status, state.deleted, state.deleted_at instanceof Date]).toEqual([
      'deleted',
      true,
      true,
    ]);
    expect(state.locations.map((l) => [l.status, l.deleted])).toEqual([
      ['deleted', true],
      ['deleted', true],
    ]);
    expect(filesLeft(image)).toEqual([]);

    const again = await glance.request('DELETE', `/v2/images/${image.id}`, undefined, json);
    expect([again.status, again.body.message]).toEqual([
      404,
      `Failed to find image ${image.id} to delete`,
    ]);
  });

  it('deletes queued and killed images (seed 001: queued → deleted, killed → deleted)', async () => {
    const queued = await glance.post('/v2/images', { name: 'q' });
    expect((await glance.delete(`/v2/images/${queued.body.id}`)).status).toBe(204);
    expect(await imageState(cluster, queued.body.id)).toMatchObject({
      status: 'deleted',
      deleted: true,
      locations: [],
    });
    const killed = await glance.post('/v2/images', { name: 'k' });
    // FIXTURE: what a failed v1 upload leaves.
    await setImageColumns(cluster, killed.body.id, { status: 'killed' });
    expect((await glance.delete(`/v2/images/${killed.body.id}`)).status).toBe(204);
    expect((await imageState(cluster, killed.body.id)).status).toBe('deleted');
  });

  it('refuses to delete a protected image (403, Glance’s message) and changes nothing', async () => {
    const image = await activeImageWithData(cluster, glance);
    await setImageColumns(cluster, image.id, { protected: true });
    const refused = await glance.request('DELETE', `/v2/images/${image.id}`, undefined, json);
    expect([refused.status, refused.body.message]).toEqual([
      403,
      `Image ${image.id} is protected and cannot be deleted.`,
    ]);
    const html = await glance.delete(`/v2/images/${image.id}`);
    expect(html.text).toContain(`Image ${image.id} is protected and cannot be deleted.`);
    expect(await imageState(cluster, image.id)).toMatchObject({
      status: 'active',
      deleted: false,
      locations: [{ status: 'active', deleted: false }],
    });
    expect(filesLeft(image)).toEqual(image.files);

    await setImageColumns(cluster, image.id, { protected: false });
    expect((await glance.delete(`/v2/images/${image.id}`)).status).toBe(204);
    expect(filesLeft(image)).toEqual([]);
  });

  it('lets only an admin or a member of the owning project delete', async () => {
    const image = await activeImageWithData(cluster, glance);
    await setImageColumns(cluster, image.id, { visibility: 'public' });
    const stranger = glance.asProject(OTHER, ['member', 'reader']);
    const refused = await stranger.request('DELETE', `/v2/images/${image.id}`, undefined, json);
    expect([refused.status, refused.body.message]).toEqual([
      403,
      'You are not authorized to complete delete_image action.',
    ]);
    const reader = glance.asProject(PROJECT, ['reader']);
    expect((await reader.delete(`/v2/images/${image.id}`)).status).toBe(403);
    expect((await imageState(cluster, image.id)).status).toBe('active');

    const hidden = await activeImageWithData(cluster, glance);
    await setImageColumns(cluster, hidden.id, { visibility: 'private' });
    const unseen = await stranger.request('DELETE', `/v2/images/${hidden.id}`, undefined, json);
    expect([unseen.status, unseen.body.message]).toEqual([
      404,
      `Failed to find image ${hidden.id} to delete`,
    ]);

    expect((await glance.asMember().delete(`/v2/images/${image.id}`)).status).toBe(204);
    expect((await glance.asProject(OTHER).delete(`/v2/images/${hidden.id}`)).status).toBe(204);
    expect([filesLeft(image), filesLeft(hidden)]).toEqual([[], []]);
  });

  it("deactivates and reactivates (admin or the owning project's member); a repeat is a no-op; other statuses refused", async () => {
    const image = await activeImageWithData(cluster, glance);
    const url = `/v2/images/${image.id}/actions`;
    const reader = glance.asProject(PROJECT, ['reader']);

    const refused = await reader.request('POST', `${url}/deactivate`, undefined, json);
    expect([refused.status, refused.body.message]).toEqual([
      403,
      'You are not authorized to complete deactivate action.',
    ]);

    const deactivated = await glance.post(`${url}/deactivate`, undefined);
    expect([deactivated.status, deactivated.text]).toEqual([204, '']);
    expect((await glance.get(`/v2/images/${image.id}`)).body.status).toBe('deactivated');
    const first = await imageState(cluster, image.id);
    // the data stays: a deactivated image holds it (seed 002's migration: deactivated → active)
    expect(first.locations.map((l) => l.status)).toEqual(['active']);
    expect(filesLeft(image)).toEqual(image.files);
    expect((await glance.post(`${url}/deactivate`, undefined)).status).toBe(204);
    expect((await imageState(cluster, image.id)).updated_at).toEqual(first.updated_at);

    const readerReactivate = await reader.request('POST', `${url}/reactivate`, undefined, json);
    expect([readerReactivate.status, readerReactivate.body.message]).toEqual([
      403,
      'You are not authorized to complete reactivate action.',
    ]);
    expect((await glance.post(`${url}/reactivate`, undefined)).status).toBe(204);
    expect((await glance.get(`/v2/images/${image.id}`)).body.status).toBe('active');
    const second = await imageState(cluster, image.id);
    expect((await glance.post(`${url}/reactivate`, undefined)).status).toBe(204);
    expect((await imageState(cluster, image.id)).updated_at).toEqual(second.updated_at);

    // Glance's defaults since Xena: a member of the owning project may too; another project's
    // member does not even see the private image.
    const stranger = glance.asProject(OTHER, ['member', 'reader']);
    expect((await stranger.post(`${url}/deactivate`, undefined)).status).toBe(404);
    const member = glance.asMember();
    expect((await member.post(`${url}/deactivate`, undefined)).status).toBe(204);
    expect((await member.post(`${url}/reactivate`, undefined)).status).toBe(204);
    expect((await glance.get(`/v2/images/${image.id}`)).body.status).toBe('active');

    const queued = await glance.post('/v2/images', { name: 'q' });
    for (const action of ['deactivate', 'reactivate']) {
      const refused = await glance.request(
        'POST',
        `/v2/images/${queued.body.id}/actions/${action}`,
        undefined,
        json,
      );
      expect([refused.status, refused.body.message]).toEqual([
        403,
        `Not allowed to ${action} image in status 'queued'`,
      ]);
    }
    expect((await imageState(cluster, queued.body.id)).status).toBe('queued');

    const missing = '0b5e0b5e-0000-4000-8000-000000000000';
    const unknown = await glance.request(
      'POST',
      `/v2/images/${missing}/actions/deactivate`,
      undefined,
      json,
    );
    expect([unknown.status, unknown.body.message]).toEqual([
      404,
      `No image found with ID ${missing}`,
    ]);
  });

  it('deletes a deactivated image with its data (seed 001: deactivated → deleted)', async () => {
    const image = await activeImageWithData(cluster, glance);
    expect((await glance.post(`/v2/images/${image.id}/actions/deactivate`, undefined)).status).toBe(
      204,
    );
    expect((await glance.delete(`/v2/images/${image.id}`)).status).toBe(204);
    expect(await imageState(cluster, image.id)).toMatchObject({
      status: 'deleted',
      locations: [{ status: 'deleted', deleted: true }],
    });
    expect(filesLeft(image)).toEqual([]);
    const after = await glance.post(`/v2/images/${image.id}/actions/reactivate`, undefined);
    expect(after.status).toBe(404);
  });

  // Drives the upload in-process (uploadImageData, the one upload path the API's PUT /file and
  // the task worker call), so that the test holds the stream open while it deletes.
  it('deletes a saving image mid-upload (saving → deleted); the upload then finds it gone and leaves no data', async () => {
    const created = await glance.post('/v2/images', {
      name: 'uploading',
      disk_format: 'raw',
      container_format: 'bare',
    });
    const id = created.body.id as string;
    const source = new PassThrough();
    const store = new FileStore('file1', cluster.imageStoreDir('file1'));
    const upload = uploadImageData(ds, {
      imageId: id,
      source,
      store,
      maxBytes: 1e9,
      host: 'e2e-upload',
      api: 'v2',
    });
    const outcome = upload.then(
      () => 'stored',
      (error: Error) => error,
    );
    source.write(randomBytes(64 * 1024));
    await cluster.waitFor(
      async () => (await imageState(cluster, id)).status === 'saving',
      10_000,
      () => 'the upload did not start',
    );
    expect((await glance.get(`/v2/images/${id}`)).body.status).toBe('saving');

    expect((await glance.delete(`/v2/images/${id}`)).status).toBe(204);
    expect(await imageState(cluster, id)).toMatchObject({ status: 'deleted', locations: [] });

    source.end(randomBytes(64 * 1024));
    const error = await outcome;
    expect(error).toBeInstanceOf(ImageGoneDuringUploadError);
    expect((error as Error).message).toBe(
      `Image ${id} could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded.`,
    );
    expect(await imageState(cluster, id)).toMatchObject({ status: 'deleted', locations: [] });
    expect(readdirSync(cluster.imageStoreDir('file1')).filter((f) => f.startsWith(id))).toEqual([]);
  });

  it('removes the data a crash between the delete’s commit and the removal left, when glance-api starts', async () => {
    const image = await activeImageWithData(cluster, glance, { stores: ['file1', 'file2'] });
    // FIXTURE: what an immediate delete leaves when glance-api dies right after its commit:
    // the image deleted, its locations still active with their data.
    await setImageColumns(cluster, image.id, { status: 'deleted', deleted: true });
    await cluster.stopService('glance-api', 'SIGKILL');
    await cluster.startGlanceApi();
    await cluster.waitFor(
      async () =>
        (await imageState(cluster, image.id)).locations.every((l) => l.status === 'deleted'),
      10_000,
      () => 'glance-api did not remove the leftover data',
    );
    expect(filesLeft(image)).toEqual([]);
    const removed = logLines(cluster.logOf('glance-api')).filter(
      (line) => line.msg === 'image location deleted' && line.image === image.id,
    );
    expect(removed.map((line) => line.outcome)).toEqual(['removed', 'removed']);
  });

  it('races deletes, a second delete, deactivate and reactivate: every image ends deleted with all its data gone (seed 003)', async () => {
    const images = [];
    for (let i = 0; i < 12; i++) {
      images.push(await activeImageWithData(cluster, glance, { stores: ['file1', 'file2'] }));
    }
    const answers = await Promise.all(
      images.map(async (image) => {
        const url = `/v2/images/${image.id}`;
        const [d1, d2, deactivate, reactivate] = await Promise.all([
          glance.delete(url),
          glance.delete(url),
          glance.post(`${url}/actions/deactivate`, undefined),
          glance.post(`${url}/actions/reactivate`, undefined),
        ]);
        return {
          deletes: [d1.status, d2.status].sort(),
          actions: [deactivate.status, reactivate.status],
        };
      }),
    );
    for (const answer of answers) {
      expect(answer.deletes).toEqual([204, 404]);
      for (const status of answer.actions) expect([204, 404]).toContain(status);
    }
    for (const image of images) {
      const state = await imageState(cluster, image.id);
      expect([state.status, state.deleted]).toEqual(['deleted', true]);
      expect(state.locations.map((l) => l.status)).toEqual(['deleted', 'deleted']);
      expect(filesLeft(image)).toEqual([]);
    }
    expect(cluster.isRunning('glance-api')).toBe(true);
  });
});
