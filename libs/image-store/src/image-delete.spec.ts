import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import {
  ImageEntity,
  ImageLocationEntity,
  ImagesRepository,
  RecordNotFoundError,
} from '@cinderflow/persistence';
import { createTestDatabase } from '@cinderflow/persistence/testing';
import { FileStore } from './file-store';
import {
  deleteEventFor,
  deleteImage,
  finishPendingImage,
  InvalidImageStatusTransitionError,
  ProtectedImageDeleteError,
  removeLeftovers,
  removeLocationData,
} from './image-delete';
import { ImageStores } from './image-stores';

describe('deleteEventFor (Glance Image.delete)', () => {
  it.each([
    ['active', true, false, 'delete'],
    ['active', true, true, 'delayed_delete'],
    ['queued', false, true, 'delete'],
    ['saving', false, true, 'delete'],
    ['killed', false, true, 'delete_killed'],
    ['killed', false, false, 'delete_killed'],
    ['deactivated', true, false, 'delete'],
    // refused by the machine, as Glance refuses deactivated → pending_delete
    ['deactivated', true, true, 'delayed_delete'],
  ] as const)('%s, locations %s, delayed %s → %s', (status, has, delayed, event) => {
    expect(deleteEventFor(status, has, delayed)).toBe(event);
  });
});

/** Counts the data each location's delete really removed (not "already gone"). */
class CountingStores extends ImageStores {
  readonly removed = new Map<string, number>();
  private readonly counting: FileStore[];

  constructor(configs: Array<{ id: string; dir: string }>) {
    super(configs);
    const removed = this.removed;
    this.counting = configs.map(
      ({ id, dir }) =>
        new (class extends FileStore {
          override async delete(uri: string): Promise<boolean> {
            // Widens the window in which two removers could both reach the same data.
            await new Promise((r) => setTimeout(r, 2));
            const gone = await super.delete(uri);
            if (gone) removed.set(uri, (removed.get(uri) ?? 0) + 1);
            return gone;
          }
        })(id, dir),
    );
  }

  override forUri(uri: string): FileStore | undefined {
    return this.counting.find((store) => store.owns(uri));
  }
}

describe('deleting images and scrubbing their data (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let dirs: { id: string; dir: string }[];
  let stores: CountingStores;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = db.dataSource;
    const root = await mkdtemp(join(tmpdir(), 'image-delete-'));
    dirs = ['s1', 's2'].map((id) => ({ id, dir: join(root, id) }));
  });
  afterAll(async () => {
    await db.drop();
    await rm(join(dirs[0].dir, '..'), { recursive: true, force: true });
  });
  beforeEach(() => {
    stores = new CountingStores(dirs);
  });

  const repo = () => new ImagesRepository(ds.manager);

  /** An active image with data in each of the given stores (through the machines). */
  async function activeImage(
    storeIds: string[] = ['s1', 's2'],
    extra: { protected?: boolean } = {},
  ): Promise<{ id: string; uris: string[] }> {
    const id = randomUUID();
    await repo().insert({ id, owner: 'p', ...extra });
    const uris: string[] = [];
    for (const storeId of storeIds) {
      const stored = await stores.get(storeId).add(id, Readable.from([Buffer.from(id)]), 1e6);
      await repo().addLocation(id, stored.uri, { store: storeId });
      uris.push(stored.uri);
    }
    await repo().transition(id, 'add_location');
    return { id, uris };
  }

  const image = (id: string) => ds.manager.findOneByOrFail(ImageEntity, { id });
  const locations = (id: string) =>
    ds.manager.find(ImageLocationEntity, { where: { image_id: id }, order: { id: 'ASC' } });

  it('deletes at once: image deleted, then each location deleted after its data', async () => {
    const { id, uris } = await activeImage();
    const result = await deleteImage(ds, stores, { imageId: id, delayedDelete: false });
    expect(result.image).toMatchObject({ status: 'deleted', deleted: true });
    expect(result.locations.map((l) => l.outcome)).toEqual(['removed', 'removed']);
    expect(await image(id)).toMatchObject({ status: 'deleted', deleted: true });
    expect((await image(id)).deleted_at).toBeInstanceOf(Date);
    expect((await locations(id)).map((l) => [l.status, l.deleted])).toEqual([
      ['deleted', true],
      ['deleted', true],
    ]);
    expect(uris.map((uri) => [existsSync(new URL(uri)), stores.removed.get(uri)])).toEqual([
      [false, 1],
      [false, 1],
    ]);
    await expect(deleteImage(ds, stores, { imageId: id, delayedDelete: false })).rejects.toThrow(
      RecordNotFoundError,
    );
  });

  it('with delayed delete keeps the data: image and locations pending_delete', async () => {
    const { id, uris } = await activeImage();
    const result = await deleteImage(ds, stores, { imageId: id, delayedDelete: true });
    expect(result.image.status).toBe('pending_delete');
    expect(result.locations.map((l) => l.outcome)).toEqual(['pending_delete', 'pending_delete']);
    const row = await image(id);
    expect([row.status, row.deleted, row.deleted_at !== null]).toEqual([
      'pending_delete',
      false,
      true,
    ]);
    expect((await locations(id)).map((l) => l.status)).toEqual([
      'pending_delete',
      'pending_delete',
    ]);
    expect(uris.every((uri) => existsSync(new URL(uri)))).toBe(true);
    // gone for the API, and a second delete finds nothing
    expect(await repo().findLive(id)).toBeNull();
    await expect(deleteImage(ds, stores, { imageId: id, delayedDelete: true })).rejects.toThrow(
      RecordNotFoundError,
    );
  });

  it('deletes a queued image directly even with delayed delete, a killed one by its own edge', async () => {
    const queued = randomUUID();
    await repo().insert({ id: queued, owner: 'p' });
    expect(
      (await deleteImage(ds, stores, { imageId: queued, delayedDelete: true })).image,
    ).toMatchObject({
      status: 'deleted',
      deleted: true,
    });
    const killed = randomUUID();
    await repo().insert({ id: killed, owner: 'p' });
    await repo().transition(killed, 'upload');
    await repo().transition(killed, 'upload_failed_v1');
    expect(
      (await deleteImage(ds, stores, { imageId: killed, delayedDelete: true })).image.status,
    ).toBe('deleted');
  });

  it('refuses a protected image, and deactivated → pending_delete as Glance does', async () => {
    const protectedImage = await activeImage(['s1'], { protected: true });
    await expect(
      deleteImage(ds, stores, { imageId: protectedImage.id, delayedDelete: false }),
    ).rejects.toThrow(new ProtectedImageDeleteError(protectedImage.id));
    expect((await image(protectedImage.id)).status).toBe('active');
    expect(existsSync(new URL(protectedImage.uris[0]))).toBe(true);

    const deactivated = await activeImage(['s1']);
    await repo().transition(deactivated.id, 'deactivate');
    const refused = deleteImage(ds, stores, { imageId: deactivated.id, delayedDelete: true });
    await expect(refused).rejects.toThrow(InvalidImageStatusTransitionError);
    await expect(refused).rejects.toThrow(
      'Image status transition from deactivated to pending_delete is not allowed',
    );
    expect((await locations(deactivated.id)).map((l) => l.status)).toEqual(['active']);
    // without delayed delete a deactivated image is deleted with its data
    await deleteImage(ds, stores, { imageId: deactivated.id, delayedDelete: false });
    expect((await image(deactivated.id)).status).toBe('deleted');
    expect(existsSync(new URL(deactivated.uris[0]))).toBe(false);
  });

  it('lets the caller refuse on the locked row, changing nothing', async () => {
    const { id } = await activeImage(['s1']);
    await expect(
      deleteImage(ds, stores, {
        imageId: id,
        delayedDelete: false,
        authorize: () => {
          throw new Error('not yours');
        },
      }),
    ).rejects.toThrow('not yours');
    expect((await image(id)).status).toBe('active');
  });

  it('removes what a crash between the commit and the removal left (leftovers)', async () => {
    const { id, uris } = await activeImage();
    // What an immediate delete leaves when it dies right after its commit: the image deleted,
    // its locations still active, their data still there.
    await repo().transition(id, 'delete', { deleted: true });
    const seen: string[] = [];
    await removeLeftovers(ds, stores, (removal) => seen.push(removal.outcome));
    expect(seen).toEqual(['removed', 'removed']);
    expect((await locations(id)).map((l) => l.status)).toEqual(['deleted', 'deleted']);
    expect(uris.map((uri) => existsSync(new URL(uri)))).toEqual([false, false]);
    // data gone already (removed before the crash) counts as deleted too
    const again = await activeImage(['s1']);
    await repo().transition(again.id, 'delete', { deleted: true });
    await stores.get('s1').delete(again.uris[0]);
    const outcomes: string[] = [];
    await removeLeftovers(ds, stores, (removal) => outcomes.push(removal.outcome));
    expect(outcomes).toEqual(['missing']);
  });

  it('removes the data of a location a PATCH made deleted once that commit is past (or left it)', async () => {
    const { id, uris } = await activeImage();
    const [first, second] = await locations(id);
    // What PATCH remove commits before it removes the data: the location deleted, its flag not.
    await repo().transitionLocation(first.id, 'delete');
    const seen: string[] = [];
    await removeLeftovers(ds, stores, (removal) => seen.push(removal.outcome));
    expect(seen).toEqual(['removed']);
    expect((await locations(id)).map((l) => [l.status, l.deleted])).toEqual([
      ['deleted', true],
      ['active', false],
    ]);
    expect((await locations(id))[0].deleted_at).toBeInstanceOf(Date);
    expect(uris.map((uri) => existsSync(new URL(uri)))).toEqual([false, true]);
    // Done once: the next pass finds nothing, and the other location's data stays.
    await removeLeftovers(ds, stores, (removal) => seen.push(removal.outcome));
    expect(seen).toEqual(['removed']);
    expect(
      await removeLocationData(ds, stores, second.id, 'leftover', { skipLocked: false }),
    ).toEqual({ outcome: 'skipped' });
    expect(existsSync(new URL(uris[1]))).toBe(true);
  });

  it('keeps data another location still names: removed with the last of them, once', async () => {
    // One image listing the same data twice (other metadata), and a third location of its own.
    const { id, uris } = await activeImage(['s1', 's2']);
    await repo().addLocation(id, uris[0], { store: 's1', note: 'again' });
    const [a, , again] = await locations(id);
    // A pending location whose data an active one still names: the scrubber leaves the data.
    await repo().transitionLocation(a.id, 'delayed_delete');
    expect(
      await removeLocationData(ds, stores, a.id, 'pending', { skipLocked: true }),
    ).toMatchObject({ outcome: 'kept' });
    expect(existsSync(new URL(uris[0]))).toBe(true);
    // Both pending, removed at once by two scrubbers: the data goes exactly once, with the last.
    const other = await activeImage(['s1']);
    await repo().addLocation(other.id, other.uris[0], { store: 's1', note: 'again' });
    await deleteImage(ds, stores, { imageId: other.id, delayedDelete: true });
    const pending = await locations(other.id);
    const outcomes = await Promise.all(
      pending.map((l) =>
        removeLocationData(ds, stores, l.id, 'pending', {
          skipLocked: true,
          // Both hold their location before either looks at the other.
          beforeRemove: () => new Promise((r) => setTimeout(r, 50)),
        }),
      ),
    );
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['kept', 'removed']);
    expect(stores.removed.get(other.uris[0])).toBe(1);
    expect(existsSync(new URL(other.uris[0]))).toBe(false);
    expect(await image(other.id)).toMatchObject({ status: 'deleted', deleted: true });
    // The first image: deleting it at once removes the shared data once and the rest.
    await deleteImage(ds, stores, { imageId: id, delayedDelete: false });
    expect((await locations(id)).map((l) => [l.id === again.id, l.status])).toEqual([
      [false, 'deleted'],
      [false, 'deleted'],
      [true, 'deleted'],
    ]);
    expect(uris.map((uri) => [existsSync(new URL(uri)), stores.removed.get(uri)])).toEqual([
      [false, 1],
      [false, 1],
    ]);
  });

  it('leaves a location whose data cannot be removed as it was, for a later pass', async () => {
    const { id } = await activeImage(['s1']);
    await deleteImage(ds, stores, { imageId: id, delayedDelete: true });
    const [location] = await locations(id);
    const elsewhere = new ImageStores([{ id: 'other', dir: join(dirs[0].dir, '..', 'other') }]);
    await expect(
      removeLocationData(ds, elsewhere, location.id, 'pending', { skipLocked: true }),
    ).rejects.toThrow('No store configured here holds');
    expect((await locations(id)).map((l) => l.status)).toEqual(['pending_delete']);
    expect((await image(id)).status).toBe('pending_delete');
  });

  it('two scrubbers at once delete every pending location exactly once and finish every image', async () => {
    const images = await Promise.all(Array.from({ length: 20 }, () => activeImage()));
    for (const { id } of images) {
      await deleteImage(ds, stores, { imageId: id, delayedDelete: true });
    }
    const ids = (
      await ds.manager.find(ImageLocationEntity, {
        where: images.map(({ id }) => ({ image_id: id })),
      })
    ).map((l) => l.id);
    const scrub = async (order: number[]) => {
      const outcomes: string[] = [];
      // Each works through the list with 3 at a time, the two in opposite orders.
      let next = 0;
      await Promise.all(
        Array.from({ length: 3 }, async () => {
          while (next < order.length) {
            const id = order[next++];
            const removal = await removeLocationData(ds, stores, id, 'pending', {
              skipLocked: true,
            });
            outcomes.push(removal.outcome);
          }
        }),
      );
      return outcomes;
    };
    const [a, b] = await Promise.all([scrub([...ids]), scrub([...ids].reverse())]);
    const all = [...a, ...b];
    expect(all.filter((o) => o === 'removed')).toHaveLength(ids.length);
    expect(all.filter((o) => o !== 'removed' && o !== 'skipped')).toEqual([]);
    const uris = images.flatMap((i) => i.uris);
    expect(uris.map((uri) => stores.removed.get(uri))).toEqual(uris.map(() => 1));
    expect(uris.filter((uri) => existsSync(new URL(uri)))).toEqual([]);
    const rows = await ds.manager.find(ImageEntity, {
      where: images.map(({ id }) => ({ id })),
    });
    expect(rows.map((row) => [row.status, row.deleted])).toEqual(rows.map(() => ['deleted', true]));
  });

  it('finishes a pending_delete image none of whose locations is pending', async () => {
    const { id } = await activeImage(['s1']);
    await deleteImage(ds, stores, { imageId: id, delayedDelete: true });
    expect(await finishPendingImage(ds, id)).toBe(false);
    const [location] = await locations(id);
    await repo().transitionLocation(location.id, 'scrub', { deleted: true });
    expect(await repo().pendingDeleteImagesWithoutPendingLocations(10)).toContain(id);
    expect(await finishPendingImage(ds, id)).toBe(true);
    expect(await image(id)).toMatchObject({ status: 'deleted', deleted: true });
  });
});
