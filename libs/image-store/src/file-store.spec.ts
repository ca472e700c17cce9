import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { FileStore, ImageTooLargeError } from './file-store';
import { ImageStores, UnknownStoreError } from './image-stores';

describe('FileStore', () => {
  let dir: string;
  let store: FileStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'image-store-'));
    store = new FileStore('file1', dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stores the bytes and computes size, md5 and sha512 while streaming', async () => {
    const data = Buffer.from('x'.repeat(100_000) + 'end');
    const stored = await store.add(
      'img',
      Readable.from([data.subarray(0, 7), data.subarray(7)]),
      1e9,
    );
    expect(stored.size).toBe(data.length);
    expect(stored.checksum).toBe(createHash('md5').update(data).digest('hex'));
    expect(stored.hashValue).toBe(createHash('sha512').update(data).digest('hex'));
    expect(stored.uri).toBe(`file://${dir}/img`);
    expect(await readFile(join(dir, 'img'))).toEqual(data);
    expect(store.owns(stored.uri)).toBe(true);
    const { stream, size } = await store.open(stored.uri, { start: 100_000, end: 100_002 });
    expect(size).toBe(data.length);
    expect(await text(stream)).toBe('end');
  });

  it('leaves nothing behind when the data is too large or the source fails', async () => {
    await expect(
      store.add('big', Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), 15),
    ).rejects.toBeInstanceOf(ImageTooLargeError);
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(5));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(store.add('cut', failing, 1e9)).rejects.toThrow('client went away');
    expect(await readdir(dir)).toEqual([]);
  });

  it('thin provisioning: zero runs become holes; the bytes and checksums are the same', async () => {
    const thin = new FileStore('file1', dir, { thinProvisioning: true });
    const MiB = 1024 * 1024;
    // zeros, a little data off any block boundary, zeros to the end (a trailing hole)
    const data = Buffer.alloc(8 * MiB);
    data.write('cinderflow', 3 * MiB + 100);
    const parts = [data.subarray(0, 1000), data.subarray(1000, 5 * MiB), data.subarray(5 * MiB)];
    const stored = await thin.add('thin', Readable.from(parts), 1e9);
    expect(stored).toMatchObject({
      size: data.length,
      checksum: createHash('md5').update(data).digest('hex'),
      hashValue: createHash('sha512').update(data).digest('hex'),
    });
    expect((await readFile(join(dir, 'thin'))).equals(data)).toBe(true);
    // Blocks allocated on disk: the one data block (the filesystem may round up a little).
    const { blocks } = await stat(join(dir, 'thin'));
    expect(blocks * 512).toBeLessThan(MiB);
    const { stream } = await thin.open(stored.uri, { start: 3 * MiB + 100, end: 3 * MiB + 109 });
    expect(await text(stream)).toBe('cinderflow');
  });

  it('deletes idempotently and refuses URLs outside the store', async () => {
    const stored = await store.add('img', Readable.from([Buffer.from('abc')]), 10);
    expect(await store.delete(stored.uri)).toBe(true);
    expect(await store.delete(stored.uri)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
    expect(store.owns('file:///etc/passwd')).toBe(false);
    expect(store.owns(`file://${dir}/../x`)).toBe(false);
    await expect(store.delete('file:///etc/passwd')).rejects.toThrow('not in store');
  });
});

describe('ImageStores', () => {
  it('finds stores by id and by URL, the first being the default', () => {
    const stores = new ImageStores([
      { id: 'a', dir: '/srv/a' },
      { id: 'b', dir: '/srv/b' },
    ]);
    expect(stores.defaultStore.id).toBe('a');
    expect(stores.forUri('file:///srv/b/x')?.id).toBe('b');
    expect(() => stores.get('c')).toThrow(UnknownStoreError);
    expect(
      new ImageStores(
        [
          { id: 'a', dir: '/a' },
          { id: 'b', dir: '/b' },
        ],
        'b',
      ).defaultStore.id,
    ).toBe('b');
  });
});
