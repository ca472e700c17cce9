import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BackupCorruptError,
  type BackupMetadata,
  ChunkedBackupDriver,
  type ChunkedBackupOptions,
} from './chunked-backup.driver';

const CHUNK = 64 * 1024;
const FULL_ID = 'f0a1b2c3-0000-4000-8000-000000000001';
const INC_ID = 'a9b8c7d6-0000-4000-8000-000000000002';
const VOLUME_ID = 'vol-1';

type Kind = 'random' | 'zero' | 'text';
// Chunk 8 is a short tail, so the last-chunk-is-shorter path is always exercised.
const LAYOUT: Kind[] = ['random', 'zero', 'text', 'zero', 'random', 'text', 'zero', 'zero', 'text'];
const TAIL = 5000;
const SIZE = (LAYOUT.length - 1) * CHUNK + TAIL;

function chunkBytes(kind: Kind, length: number): Buffer {
  if (kind === 'random') return randomBytes(length);
  if (kind === 'zero') return Buffer.alloc(length);
  const text = Buffer.from('cinder-backup chunk of very repetitive text. ');
  return Buffer.alloc(length, text);
}

function makeSource(): Buffer {
  return Buffer.concat(
    LAYOUT.map((kind, i) => chunkBytes(kind, i === LAYOUT.length - 1 ? TAIL : CHUNK)),
  );
}

function sha(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('ChunkedBackupDriver', () => {
  let dir: string;
  let repository: string;
  let sourcePath: string;
  let targetPath: string;
  let source: Buffer;

  const driver = (overrides: Partial<ChunkedBackupOptions> = {}) =>
    new ChunkedBackupDriver({ repository, chunkSize: CHUNK, compression: 'zlib', ...overrides });

  const containerDir = (d: ChunkedBackupDriver, id: string) =>
    path.join(repository, d.containerOf(id));

  const fullBackup = (d: ChunkedBackupDriver, onProgress?: (p: number) => void) =>
    d.backup({
      backupId: FULL_ID,
      volumeId: VOLUME_ID,
      sourcePath,
      sizeBytes: SIZE,
      parentId: null,
      onProgress,
    });

  /** A target that is all 0xFF, so zero regions must actively be written by restore. */
  const freshTarget = (size = SIZE) => fs.writeFileSync(targetPath, Buffer.alloc(size, 0xff));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chunked-backup-'));
    repository = path.join(dir, 'repo');
    sourcePath = path.join(dir, 'source.img');
    targetPath = path.join(dir, 'target.img');
    source = makeSource();
    fs.writeFileSync(sourcePath, source);
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a chunk size that is not a positive multiple of 4096', () => {
    expect(() => driver({ chunkSize: 1000 })).toThrow(/multiple of 4096/);
    expect(() => driver({ chunkSize: 0 })).toThrow(/multiple of 4096/);
    expect(() => driver({ chunkSize: 4096 })).not.toThrow();
  });

  it('lays containers out like the posix driver and rejects ids that could escape', () => {
    const d = driver();
    expect(d.containerOf(FULL_ID)).toBe(path.join('f0', 'a1', FULL_ID));
    expect(() => d.containerOf('../../etc')).toThrow(/invalid backup id/);
  });

  it('stores only non-zero chunks, compressing where it pays', async () => {
    const d = driver();
    const result = await fullBackup(d);
    const { metadata } = result;

    expect(metadata).toMatchObject({
      version: 1,
      backup_id: FULL_ID,
      volume_id: VOLUME_ID,
      parent_id: null,
      size_bytes: SIZE,
      chunk_size: CHUNK,
    });
    expect(Number.isNaN(Date.parse(metadata.created_at))).toBe(false);
    expect(metadata.chunks.map((c) => c.stored)).toEqual(
      LAYOUT.map((kind) => (kind === 'zero' ? 'zero' : 'object')),
    );
    metadata.chunks.forEach((c, i) => {
      expect(c.index).toBe(i);
      expect(c.offset).toBe(i * CHUNK);
      expect(c.length).toBe(i === LAYOUT.length - 1 ? TAIL : CHUNK);
      const bytes = source.subarray(c.offset, c.offset + c.length);
      expect(c.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    });

    const container = containerDir(d, FULL_ID);
    const objects = metadata.chunks.filter((c) => c.stored === 'object').map((c) => c.object);
    expect(objects).toEqual([
      'chunk-00000',
      'chunk-00002',
      'chunk-00004',
      'chunk-00005',
      'chunk-00008',
    ]);
    // Zero chunks cost no file, and no temp files survive.
    expect(fs.readdirSync(container).sort()).toEqual([...objects, 'metadata.json'].sort());
    expect(result.objectCount).toBe(5);

    const sizes = objects.map((o) => fs.statSync(path.join(container, o as string)).size);
    expect(result.storedBytes).toBe(sizes.reduce((a, b) => a + b, 0));

    const text = metadata.chunks[2];
    expect(text.compression).toBe('zlib');
    expect(fs.statSync(path.join(container, 'chunk-00002')).size).toBeLessThan(CHUNK / 10);

    const random = metadata.chunks[0];
    expect(random.compression).toBe('none');
    expect(fs.statSync(path.join(container, 'chunk-00000')).size).toBe(CHUNK);

    expect(await d.metadata(FULL_ID)).toEqual(metadata);
  });

  it('writes raw objects when compression is off', async () => {
    const d = driver({ compression: 'none' });
    const { metadata, storedBytes } = await fullBackup(d);
    const objects = metadata.chunks.filter((c) => c.stored === 'object');
    expect(objects.every((c) => c.compression === 'none')).toBe(true);
    expect(storedBytes).toBe(objects.reduce((a, c) => a + c.length, 0));
  });

  it('restores exactly the source over a target full of 0xFF, zero regions included', async () => {
    const d = driver();
    await fullBackup(d);
    freshTarget();
    await d.restore({ backupId: FULL_ID, targetPath });
    expect(sha(targetPath)).toBe(sha(sourcePath));
  });

  it('leaves zero chunks as holes in a new sparse target', async () => {
    const d = driver();
    await fullBackup(d);
    fs.writeFileSync(targetPath, '');
    fs.truncateSync(targetPath, SIZE); // what the volume driver creates: all hole
    await d.restore({ backupId: FULL_ID, targetPath });
    expect(sha(targetPath)).toBe(sha(sourcePath));
    const nonZero = LAYOUT.filter((k) => k !== 'zero').length * CHUNK;
    // 4 of the 9 chunks are zeros: had they been written, the file would take all of SIZE.
    expect(fs.statSync(targetPath).blocks * 512).toBeLessThanOrEqual(nonZero);
  });

  it('keeps the volume meta it is given in metadata.json, and refuses a malformed one', async () => {
    const d = driver();
    const volumeMeta = {
      version: 2 as const,
      'volume-base-metadata': { display_name: 'db' },
      'volume-metadata': { purpose: 'db' },
    };
    await d.backup({
      backupId: FULL_ID,
      volumeId: VOLUME_ID,
      sourcePath,
      sizeBytes: SIZE,
      parentId: null,
      volumeMeta,
    });
    expect((await d.metadata(FULL_ID)).volume_meta).toEqual(volumeMeta);

    const file = path.join(containerDir(d, FULL_ID), 'metadata.json');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...stored, volume_meta: { version: 2 } }));
    await expect(d.metadata(FULL_ID)).rejects.toThrow(/volume_meta invalid/);
  });

  it('refuses to overwrite an existing backup', async () => {
    const d = driver();
    await fullBackup(d);
    await expect(fullBackup(d)).rejects.toThrow(/already exists/);
    // The refusal must not have removed the existing backup.
    await expect(d.metadata(FULL_ID)).resolves.toMatchObject({ backup_id: FULL_ID });
  });

  it('fails cleanly when the source is shorter than sizeBytes', async () => {
    const d = driver();
    await expect(
      d.backup({
        backupId: FULL_ID,
        volumeId: VOLUME_ID,
        sourcePath,
        sizeBytes: SIZE + CHUNK,
        parentId: null,
      }),
    ).rejects.toThrow(/ended at byte/);
    expect(fs.existsSync(containerDir(d, FULL_ID))).toBe(false);
  });

  describe('incremental', () => {
    const originalSha = () => createHash('sha256').update(source).digest('hex');

    it('stores only the changed chunk and restores both generations', async () => {
      const d = driver();
      await fullBackup(d);
      const original = originalSha();

      // Change a few bytes inside chunk 4.
      const changed = Buffer.from(source);
      changed.write('CHANGED', 4 * CHUNK + 123);
      fs.writeFileSync(sourcePath, changed);

      const inc = await d.backup({
        backupId: INC_ID,
        volumeId: VOLUME_ID,
        sourcePath,
        sizeBytes: SIZE,
        parentId: FULL_ID,
      });
      expect(inc.objectCount).toBe(1);
      expect(inc.metadata.parent_id).toBe(FULL_ID);
      expect(inc.metadata.chunks.map((c) => c.stored)).toEqual(
        LAYOUT.map((kind, i) => (kind === 'zero' ? 'zero' : i === 4 ? 'object' : 'parent')),
      );
      expect(fs.readdirSync(containerDir(d, INC_ID)).sort()).toEqual([
        'chunk-00004',
        'metadata.json',
      ]);

      freshTarget();
      await d.restore({ backupId: INC_ID, targetPath });
      expect(sha(targetPath)).toBe(sha(sourcePath));

      freshTarget();
      await d.restore({ backupId: FULL_ID, targetPath });
      expect(sha(targetPath)).toBe(original);
    });

    it('resolves unchanged chunks through a chain of incrementals', async () => {
      const d = driver();
      await fullBackup(d);
      await d.backup({
        backupId: INC_ID,
        volumeId: VOLUME_ID,
        sourcePath,
        sizeBytes: SIZE,
        parentId: FULL_ID,
      });
      const changed = Buffer.from(source);
      changed.write('SECOND', 2 * CHUNK);
      // A chunk that was zero before now holds data and must become an object.
      changed.write('was zero', 6 * CHUNK);
      fs.writeFileSync(sourcePath, changed);
      const third = 'c3d4e5f6-0000-4000-8000-000000000003';
      const inc2 = await d.backup({
        backupId: third,
        volumeId: VOLUME_ID,
        sourcePath,
        sizeBytes: SIZE,
        parentId: INC_ID,
      });
      expect(inc2.objectCount).toBe(2);
      expect(inc2.metadata.chunks[0].stored).toBe('parent');

      freshTarget();
      await d.restore({ backupId: third, targetPath });
      expect(sha(targetPath)).toBe(sha(sourcePath));
    });

    it('treats chunks beyond the parent volume size as new when the volume grew', async () => {
      const d = driver();
      await fullBackup(d);
      const grown = Buffer.concat([source, randomBytes(2 * CHUNK)]);
      fs.writeFileSync(sourcePath, grown);
      const inc = await d.backup({
        backupId: INC_ID,
        volumeId: VOLUME_ID,
        sourcePath,
        sizeBytes: grown.length,
        parentId: FULL_ID,
      });
      // The old short tail chunk now has different content, plus two more chunks.
      expect(inc.objectCount).toBe(3);
      freshTarget(grown.length);
      await d.restore({ backupId: INC_ID, targetPath });
      expect(sha(targetPath)).toBe(sha(sourcePath));
    });

    it('refuses a parent with a different chunk size', async () => {
      await fullBackup(driver());
      await expect(
        driver({ chunkSize: 2 * CHUNK }).backup({
          backupId: INC_ID,
          volumeId: VOLUME_ID,
          sourcePath,
          sizeBytes: SIZE,
          parentId: FULL_ID,
        }),
      ).rejects.toThrow(/chunk_size/);
    });

    it('reports a missing object in the parent as corruption of the incremental', async () => {
      const d = driver();
      await fullBackup(d);
      await d.backup({
        backupId: INC_ID,
        volumeId: VOLUME_ID,
        sourcePath,
        sizeBytes: SIZE,
        parentId: FULL_ID,
      });
      fs.rmSync(path.join(containerDir(d, FULL_ID), 'chunk-00002'));
      freshTarget();
      const err = await d.restore({ backupId: INC_ID, targetPath }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackupCorruptError);
      expect(err).toMatchObject({ backupId: INC_ID, chunkIndex: 2 });
      expect((err as Error).message).toMatch(/missing object chunk-00002/);
    });
  });

  describe('corruption', () => {
    const restoreError = async (d: ChunkedBackupDriver) => {
      freshTarget();
      return d.restore({ backupId: FULL_ID, targetPath }).catch((e: unknown) => e);
    };

    it('rejects a flipped byte in a raw object and writes nothing from that chunk on', async () => {
      const d = driver();
      await fullBackup(d);
      const file = path.join(containerDir(d, FULL_ID), 'chunk-00004');
      const bytes = fs.readFileSync(file);
      bytes[100] ^= 0x01;
      fs.writeFileSync(file, bytes);

      const err = await restoreError(d);
      expect(err).toBeInstanceOf(BackupCorruptError);
      expect((err as Error).name).toBe('BackupCorruptError');
      expect((err as Error).message).toBe(
        `backup ${FULL_ID} is corrupt at chunk 4: sha256 mismatch`,
      );

      const target = fs.readFileSync(targetPath);
      expect(target.subarray(0, 4 * CHUNK).equals(source.subarray(0, 4 * CHUNK))).toBe(true);
      expect(target.subarray(4 * CHUNK).every((b) => b === 0xff)).toBe(true);
    });

    it('rejects a flipped byte in a compressed object', async () => {
      const d = driver();
      await fullBackup(d);
      const file = path.join(containerDir(d, FULL_ID), 'chunk-00002');
      const bytes = fs.readFileSync(file);
      bytes[Math.floor(bytes.length / 2)] ^= 0x40;
      fs.writeFileSync(file, bytes);

      const err = await restoreError(d);
      expect(err).toBeInstanceOf(BackupCorruptError);
      expect((err as Error).message).toMatch(/at chunk 2:/);
    });

    it('rejects a deleted object', async () => {
      const d = driver();
      await fullBackup(d);
      fs.rmSync(path.join(containerDir(d, FULL_ID), 'chunk-00005'));

      const err = await restoreError(d);
      expect(err).toBeInstanceOf(BackupCorruptError);
      expect((err as Error).message).toBe(
        `backup ${FULL_ID} is corrupt at chunk 5: missing object chunk-00005`,
      );
    });

    it('rejects unreadable or tampered metadata', async () => {
      const d = driver();
      await fullBackup(d);
      const file = path.join(containerDir(d, FULL_ID), 'metadata.json');
      const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as BackupMetadata;
      meta.chunks[0].object = '../../../../source.img';
      fs.writeFileSync(file, JSON.stringify(meta));
      await expect(d.metadata(FULL_ID)).rejects.toThrow(/unreadable metadata: chunk 0 object/);

      fs.writeFileSync(file, '{ not json');
      await expect(d.restore({ backupId: FULL_ID, targetPath })).rejects.toBeInstanceOf(
        BackupCorruptError,
      );
    });
  });

  it('reports integer progress that only rises and ends at 100', async () => {
    const d = driver();
    const backupProgress: number[] = [];
    await fullBackup(d, (p) => {
      backupProgress.push(p);
    });
    const restoreProgress: number[] = [];
    freshTarget();
    await d.restore({
      backupId: FULL_ID,
      targetPath,
      onProgress: async (p) => {
        restoreProgress.push(p);
      },
    });

    for (const seen of [backupProgress, restoreProgress]) {
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.every((p) => Number.isInteger(p) && p >= 0 && p <= 100)).toBe(true);
      seen.slice(1).forEach((p, i) => expect(p).toBeGreaterThan(seen[i]));
      expect(seen[seen.length - 1]).toBe(100);
    }
  });

  it('skips deflate on large chunks whose sample does not shrink, and still restores them', async () => {
    const big = 512 * 1024;
    const data = Buffer.concat([randomBytes(big), Buffer.alloc(big, 'cinderflow ')]);
    fs.writeFileSync(sourcePath, data);
    const d = driver({ chunkSize: big });
    const { metadata } = await d.backup({
      backupId: FULL_ID,
      volumeId: VOLUME_ID,
      sourcePath,
      sizeBytes: data.length,
      parentId: null,
    });
    expect(metadata.chunks.map((c) => c.compression)).toEqual(['none', 'zlib']);
    freshTarget(data.length);
    await d.restore({ backupId: FULL_ID, targetPath });
    expect(fs.readFileSync(targetPath).equals(data)).toBe(true);
  });

  it('deletes the container, and a second delete is fine', async () => {
    const d = driver();
    await fullBackup(d);
    const container = containerDir(d, FULL_ID);
    expect(fs.existsSync(container)).toBe(true);

    await d.delete(FULL_ID);
    expect(fs.existsSync(container)).toBe(false);
    await expect(d.delete(FULL_ID)).resolves.toBeUndefined();
    await expect(d.metadata(FULL_ID)).rejects.toBeInstanceOf(BackupCorruptError);
  });
});
