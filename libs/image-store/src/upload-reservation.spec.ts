import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  ImagesRepository,
  ImageStorageRepository,
  ImageUploadReservationsRepository,
} from '@cinderflow/persistence';
import { createTestDatabase } from '@cinderflow/persistence/testing';
import { deleteImage } from './image-delete';
import { ImageStores } from './image-stores';
import { uploadImageData } from './image-upload';
import { LimitExceededError, MiB, StorageQuotaFullError, type StorageLimit } from './storage-limit';
import type { UploadLimits } from './upload-reservation';

const HOST = 'glance-r';

/** Upload reservations on a real database: what they hold, when they go, and expiry. */
describe('upload reservations (image_upload_reservations)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let images: ImagesRepository;
  let storage: ImageStorageRepository;
  let reservations: ImageUploadReservationsRepository;
  let dir: string;
  let stores: ImageStores;
  let owner: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    images = new ImagesRepository(db.dataSource.manager);
    storage = new ImageStorageRepository(db.dataSource.manager);
    reservations = new ImageUploadReservationsRepository(db.dataSource.manager);
  });
  afterAll(() => db.drop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'upload-reservation-'));
    stores = new ImageStores([{ id: 'file1', dir: join(dir, 'file1') }]);
    owner = `owner-${randomUUID().slice(0, 8)}`;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function image(): Promise<string> {
    const id = randomUUID();
    await images.insert({ id, owner, disk_format: 'raw', container_format: 'bare' });
    return id;
  }

  const bytes = (n: number): StorageLimit => ({ kind: 'bytes', bytes: n });

  function upload(
    imageId: string,
    source: Readable,
    limits: Partial<UploadLimits> & { storage: StorageLimit },
  ) {
    return uploadImageData(db.dataSource, {
      imageId,
      source,
      store: stores.get('file1'),
      maxBytes: 1e9,
      host: HOST,
      api: 'v2',
      limits: { owner, uploading: -1, size: null, expireS: 60, ...limits },
    });
  }

  /** A body that sends `first` and then waits for the test. */
  function held(first: Buffer): Readable {
    const source = new Readable({ read() {} });
    source.push(first);
    return source;
  }

  async function statusOf(id: string) {
    return (await images.findAny(id))?.status;
  }

  async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition never met');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const files = async () => readdir(join(dir, 'file1')).catch(() => [] as string[]);

  it('a declared size is reserved at the start; the next upload sees it; failure gives it back', async () => {
    const first = await image();
    const source = held(Buffer.alloc(100));
    const uploading = upload(first, source, { storage: bytes(1000), size: 600 });
    await waitFor(async () => (await reservations.find(first)) !== null);
    expect(await reservations.find(first)).toMatchObject({ bytes: 600, owner, host: HOST });
    // Usage is stored data plus open reservations: 600 of 1000 are taken.
    expect(await storage.usage(owner)).toBe(600);

    const second = await image();
    const refused = await upload(second, Readable.from([Buffer.alloc(500)]), {
      storage: bytes(1000),
      size: 500,
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StorageQuotaFullError);
    expect((refused as Error).message).toBe(
      'The size of the data 500 will exceed the limit. 400 bytes remaining.',
    );
    expect(await statusOf(second)).toBe('queued');
    expect(await reservations.find(second)).toBeNull();

    source.destroy(new Error('client went away'));
    await expect(uploading).rejects.toThrow('client went away');
    expect(await statusOf(first)).toBe('queued');
    expect(await reservations.find(first)).toBeNull();
    expect(await storage.usage(owner)).toBe(0);

    await expect(
      upload(second, Readable.from([Buffer.alloc(500)]), { storage: bytes(1000), size: 500 }),
    ).resolves.toMatchObject({ status: 'active', size: '500' });
    // Committed: the bytes are the image's size now, not a reservation.
    expect(await reservations.find(second)).toBeNull();
    expect(await storage.usage(owner)).toBe(500);
  });

  it('parallel uploads that together pass the quota: exactly one wins', async () => {
    const ids = await Promise.all([image(), image(), image()]);
    const results = await Promise.allSettled(
      ids.map((id) =>
        upload(id, Readable.from([Buffer.alloc(400)]), { storage: bytes(1000), size: 400 }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(2);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(StorageQuotaFullError);
    expect(await storage.usage(owner)).toBe(800);
    expect((await files()).length).toBe(2);
  });

  it('data of unknown size is reserved as it streams, re-checked past each reservation', async () => {
    const id = await image();
    const source = held(Buffer.alloc(300));
    const uploading = upload(id, source, { storage: bytes(1000) });
    // Without a size, it holds what is left (at most RESERVATION_STEP) ahead of the data.
    await waitFor(async () => (await reservations.find(id)) !== null);
    expect((await reservations.find(id))?.bytes).toBe(1000);
    source.push(Buffer.alloc(800));
    source.push(null);
    const error = await uploading.catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'The size of the data None will exceed the limit. 1000 bytes remaining.',
    );
    expect(await statusOf(id)).toBe('queued');
    expect(await reservations.find(id)).toBeNull();
    expect(await files()).toEqual([]);
  });

  it('a deleted image gives its upload reservation back', async () => {
    const id = await image();
    const source = held(Buffer.alloc(10));
    const uploading = upload(id, source, { storage: bytes(1000), size: 700 });
    await waitFor(async () => (await reservations.find(id)) !== null);
    await deleteImage(db.dataSource, stores, { imageId: id, delayedDelete: false });
    expect(await reservations.find(id)).toBeNull();
    expect(await storage.usage(owner)).toBe(0);
    source.push(Buffer.alloc(690));
    source.push(null);
    await expect(uploading).rejects.toThrow();
    expect(await files()).toEqual([]);
  });

  it('an expired reservation counts for nothing, is swept, and its stalled upload must fit again', async () => {
    const stalled = await image();
    const source = held(Buffer.alloc(10));
    const uploading = upload(stalled, source, { storage: bytes(1000), size: 700, expireS: 1 });
    await waitFor(async () => (await reservations.find(stalled)) !== null);
    expect(await storage.usage(owner)).toBe(700);
    await waitFor(async () => (await reservations.find(stalled))?.expired === true);
    expect(await storage.usage(owner)).toBe(0);

    // Another upload takes the room meanwhile.
    const other = await image();
    await expect(
      upload(other, Readable.from([Buffer.alloc(500)]), { storage: bytes(1000), size: 500 }),
    ).resolves.toMatchObject({ status: 'active' });
    const swept = await reservations.deleteExpired(100);
    expect(swept).toEqual([{ imageId: stalled, owner, bytes: 700, host: HOST }]);

    // The stalled upload resumes: its 700 no longer fit beside the 500.
    source.push(Buffer.alloc(690));
    source.push(null);
    const error = await uploading.catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'The size of the data 700 will exceed the limit. 500 bytes remaining.',
    );
    expect(await statusOf(stalled)).toBe('queued');
    expect(await storage.usage(owner)).toBe(500);
  });

  it("Keystone's image_count_uploading counts this upload at its start", async () => {
    const first = await image();
    const source = held(Buffer.alloc(10));
    const unified: StorageLimit = { kind: 'unified', mib: -1, project: owner };
    const uploading = upload(first, source, { storage: unified, uploading: 1 });
    await waitFor(async () => (await statusOf(first)) === 'saving');
    const second = await image();
    const error = await upload(second, Readable.from([Buffer.alloc(10)]), {
      storage: unified,
      uploading: 1,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect((error as Error).message).toContain(
      `Project ${owner} is over a limit for [Resource image_count_uploading is over limit of 1 due to current usage 2 and delta 0]`,
    );
    expect(await statusOf(second)).toBe('queued');
    source.push(null);
    await expect(uploading).resolves.toMatchObject({ status: 'active' });
    await expect(
      upload(second, Readable.from([Buffer.alloc(10)]), { storage: unified, uploading: 1 }),
    ).resolves.toMatchObject({ status: 'active' });
  });

  it("Keystone's image_size_total counts whole MiB of usage and of the upload", async () => {
    const unified: StorageLimit = { kind: 'unified', mib: 2, project: owner };
    const first = await image();
    await upload(first, Readable.from([Buffer.alloc(MiB + 10)]), { storage: unified });
    const second = await image();
    // usage 1 (MiB, rounded down) + 2 > 2.
    const error = await upload(second, Readable.from([Buffer.alloc(2 * MiB)]), {
      storage: unified,
      size: 2 * MiB,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(
      `[Resource image_size_total is over limit of 2 due to current usage 1 and delta 2]`,
    );
    expect(await statusOf(second)).toBe('queued');
    // 1 + 1 fits, even a byte short of 2 MiB.
    await expect(
      upload(second, Readable.from([Buffer.alloc(2 * MiB - 1)]), {
        storage: unified,
        size: 2 * MiB - 1,
      }),
    ).resolves.toMatchObject({ status: 'active' });
  });
});
