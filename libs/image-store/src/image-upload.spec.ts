import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ImagesRepository, type NewImage, StatusConflictError } from '@cinderflow/persistence';
import { createTestDatabase } from '@cinderflow/persistence/testing';
import { ImageTooLargeError } from './file-store';
import { ImageStores } from './image-stores';
import {
  ImageFormatsMissingError,
  ImageGoneDuringUploadError,
  uploadImageData,
  type UploadRequest,
} from './image-upload';
import { StorageQuotaFullError } from './storage-limit';
import type { UploadLimits } from './upload-reservation';
import { settleInterruptedUploads } from './upload-settlement';

const HOST = 'glance-a';
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const sha512 = (data: Buffer) => createHash('sha512').update(data).digest('hex');

/** A source that sends `head`, then runs `between` and fails (a client that went away). */
function failingAfter(head: Buffer, between: () => Promise<void> = async () => undefined) {
  let sent = false;
  return new Readable({
    read() {
      if (sent) return;
      sent = true;
      this.push(head);
      void between().then(() => this.destroy(new Error('client went away')));
    },
  });
}

describe('uploadImageData (seed 001 upload path, on a real database)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let images: ImagesRepository;
  let dir: string;
  let stores: ImageStores;

  beforeAll(async () => {
    db = await createTestDatabase();
    images = new ImagesRepository(db.dataSource.manager);
  });
  afterAll(() => db.drop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'image-upload-'));
    stores = new ImageStores([
      { id: 'file1', dir: join(dir, 'file1') },
      { id: 'file2', dir: join(dir, 'file2') },
    ]);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function image(extra: Partial<NewImage> = {}): Promise<string> {
    const id = randomUUID();
    await images.insert({
      id,
      owner: 'project-a',
      disk_format: 'raw',
      container_format: 'bare',
      ...extra,
    });
    return id;
  }

  function upload(imageId: string, source: Readable, extra: Partial<UploadRequest> = {}) {
    return uploadImageData(db.dataSource, {
      imageId,
      source,
      store: stores.get('file2'),
      maxBytes: 1e9,
      host: HOST,
      api: 'v2',
      ...extra,
    });
  }

  async function filesIn(store: string): Promise<string[]> {
    return readdir(join(dir, store)).catch(() => []);
  }

  it('goes queued → saving → active with size, MD5, sha512 and one active location', async () => {
    const id = await image();
    const data = Buffer.from('x'.repeat(200_000) + 'the end');
    const active = await upload(id, Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    expect(active).toMatchObject({
      status: 'active',
      size: String(data.length),
      virtual_size: String(data.length),
      checksum: md5(data),
      os_hash_algo: 'sha512',
      os_hash_value: sha512(data),
      upload_host: null,
    });
    const locations = await images.locations(id);
    expect(locations).toHaveLength(1);
    expect(locations[0]).toMatchObject({
      value: stores.get('file2').uriOf(id),
      meta_data: { store: 'file2' },
      status: 'active',
    });
    expect(await readFile(join(dir, 'file2', id))).toEqual(data);
  });

  it('leaves virtual_size unset for a format whose header it does not read', async () => {
    const id = await image({ disk_format: 'qcow2' });
    const active = await upload(id, Readable.from([Buffer.from('abc')]));
    expect(active.virtual_size).toBeNull();
    expect(active.size).toBe('3');
  });

  it('refuses an image that is not queued, and one without formats, leaving it as it was', async () => {
    const id = await image();
    await upload(id, Readable.from([Buffer.from('first')]));
    await expect(upload(id, Readable.from([Buffer.from('second')]))).rejects.toMatchObject({
      name: 'StatusConflictError',
      current: 'active',
    });
    expect(await readFile(join(dir, 'file2', id), 'utf8')).toBe('first');

    const bare = await image({ disk_format: null, container_format: null });
    const error = await upload(bare, Readable.from([Buffer.from('x')])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageFormatsMissingError);
    expect((error as Error).message).toBe(
      'Properties disk_format, container_format must be set prior to saving data.',
    );
    const noContainer = await image({ container_format: null });
    await expect(upload(noContainer, Readable.from([Buffer.from('x')]))).rejects.toThrow(
      'Property container_format must be set prior to saving data.',
    );
    expect((await images.findAny(bare))?.status).toBe('queued');
  });

  it('v2: a source that fails mid-way puts the image back to queued and removes the partial data', async () => {
    const id = await image();
    let during: string | undefined;
    await expect(
      upload(
        id,
        failingAfter(Buffer.alloc(64 * 1024, 1), async () => {
          during = (await images.findAny(id))?.status;
        }),
      ),
    ).rejects.toThrow('client went away');
    expect(during).toBe('saving');
    expect(await images.findAny(id)).toMatchObject({
      status: 'queued',
      size: null,
      upload_host: null,
    });
    expect(await filesIn('file2')).toEqual([]);
    expect(await images.locations(id)).toEqual([]);
    // And the upload can be tried again.
    await expect(upload(id, Readable.from([Buffer.from('again')]))).resolves.toMatchObject({
      status: 'active',
    });
  });

  it('v1: the same failure kills the image', async () => {
    const id = await image();
    await expect(upload(id, failingAfter(Buffer.alloc(10, 1)), { api: 'v1' })).rejects.toThrow(
      'client went away',
    );
    expect((await images.findAny(id))?.status).toBe('killed');
    expect(await filesIn('file2')).toEqual([]);
  });

  it('data past maxBytes fails the upload with nothing left behind', async () => {
    const id = await image();
    await expect(
      upload(id, Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), { maxBytes: 1000 }),
    ).rejects.toBeInstanceOf(ImageTooLargeError);
    expect((await images.findAny(id))?.status).toBe('queued');
    expect(await filesIn('file2')).toEqual([]);
  });

  it('checks the storage quota at the start, counting space by location status', async () => {
    const owner = `quota-${randomUUID().slice(0, 8)}`;
    const first = await image({ owner });
    await upload(first, Readable.from([Buffer.alloc(600)]));
    // A second location of the same data holds space twice; a deleted one holds none.
    await images.addLocation(first, stores.get('file1').uriOf(first), { store: 'file1' });
    const second = await image({ owner });
    const limits = (size: number | null): UploadLimits => ({
      owner,
      storage: { kind: 'bytes', bytes: 1400 },
      uploading: -1,
      size,
      expireS: 60,
    });
    const error = await upload(second, Readable.from([Buffer.alloc(300)]), {
      limits: limits(300),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageQuotaFullError);
    expect((error as Error).message).toBe(
      'The size of the data 300 will exceed the limit. 200 bytes remaining.',
    );
    expect((await images.findAny(second))?.status).toBe('queued');
    expect(await filesIn('file2')).toEqual([first]);
    // Size unknown: refused as the data passes what is left, partial data removed.
    const streamed = await upload(second, Readable.from([Buffer.alloc(150), Buffer.alloc(150)]), {
      limits: limits(null),
    }).catch((e: unknown) => e);
    expect((streamed as Error).message).toBe(
      'The size of the data None will exceed the limit. 200 bytes remaining.',
    );
    expect((await images.findAny(second))?.status).toBe('queued');
    expect(await filesIn('file2')).toEqual([first]);
    await expect(
      upload(second, Readable.from([Buffer.alloc(200)]), { limits: limits(null) }),
    ).resolves.toMatchObject({ status: 'active' });
  });

  it('an image deleted during its upload keeps no data (Glance: 410 Gone)', async () => {
    const id = await image();
    const source = new Readable({ read() {} });
    const uploading = upload(id, source);
    source.push(Buffer.alloc(1000));
    await waitFor(async () => (await images.findAny(id))?.status === 'saving');
    await images.transition(id, 'delete');
    source.push(null);
    await expect(uploading).rejects.toBeInstanceOf(ImageGoneDuringUploadError);
    expect(await filesIn('file2')).toEqual([]);
    expect((await images.findAny(id))?.status).toBe('deleted');
  });

  it('a failed verification removes the stored data and settles the image', async () => {
    const id = await image();
    await expect(
      upload(id, Readable.from([Buffer.from('12345')]), {
        verify: (stored) => {
          if (stored.size !== 4) throw new Error('size mismatch');
        },
      }),
    ).rejects.toThrow('size mismatch');
    expect((await images.findAny(id))?.status).toBe('queued');
    expect(await filesIn('file2')).toEqual([]);
  });

  it('of two concurrent uploads to one image exactly one wins', async () => {
    const id = await image();
    const results = await Promise.allSettled([
      upload(id, Readable.from([Buffer.from('one')])),
      upload(id, Readable.from([Buffer.from('two')])),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(StatusConflictError);
    expect(await images.locations(id)).toHaveLength(1);
  });

  it('on restart, settles the uploads its host left saving: partial and orphan data removed', async () => {
    const mine = await image();
    const orphan = await image();
    const others = await image();
    for (const [id, host] of [
      [mine, HOST],
      [orphan, HOST],
      [others, 'glance-b'],
    ]) {
      await images.transition(id, 'upload', { upload_host: host });
    }
    const store = stores.get('file1');
    await store.add('warm-up', Readable.from([Buffer.from('-')]), 10); // makes the directory
    writeFileSync(join(store.dir, `${mine}.abcdef012345.partial`), 'half');
    writeFileSync(join(store.dir, orphan), 'complete, never committed');
    writeFileSync(join(store.dir, `${others}.abcdef012345.partial`), 'still uploading');

    const settled = await settleInterruptedUploads(db.dataSource, stores, HOST);
    expect(settled.sort()).toEqual([mine, orphan].sort());
    expect((await images.findAny(mine))?.status).toBe('queued');
    expect((await images.findAny(orphan))?.status).toBe('queued');
    expect((await images.findAny(others))?.status).toBe('saving');
    expect((await filesIn('file1')).sort()).toEqual(
      [`${others}.abcdef012345.partial`, 'warm-up'].sort(),
    );
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
