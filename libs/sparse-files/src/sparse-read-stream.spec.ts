import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holesKnown, isHole } from './holes';
import { SparseReadStream } from './sparse-read-stream';

const MiB = 1024 * 1024;

describe('SparseReadStream', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'sparse-files-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A 10 MiB file: a hole, 100 KiB of data at 3 MiB + 5, a hole, 1 KiB at the very end. */
  async function sparseFile(name: string): Promise<{ path: string; bytes: Buffer }> {
    const path = join(dir, name);
    const bytes = Buffer.alloc(10 * MiB);
    randomBytes(100 * 1024).copy(bytes, 3 * MiB + 5);
    randomBytes(1024).copy(bytes, 10 * MiB - 1024);
    const file = await open(path, 'w');
    await file.truncate(bytes.length);
    await file.write(bytes, 3 * MiB + 5, 100 * 1024, 3 * MiB + 5);
    await file.write(bytes, 10 * MiB - 1024, 1024, 10 * MiB - 1024);
    await file.close();
    return { path, bytes };
  }

  async function readAll(stream: SparseReadStream): Promise<{ data: Buffer; chunks: number[] }> {
    const parts: Buffer[] = [];
    for await (const chunk of stream) parts.push(Buffer.from(chunk as Buffer));
    return { data: Buffer.concat(parts), chunks: parts.map((part) => part.length) };
  }

  it('the native seek was built here (the CI machine has a compiler and Node headers)', () => {
    expect(holesKnown).toBe(true);
  });

  it('yields exactly the bytes of the file, in chunks no larger than asked', async () => {
    const { path, bytes } = await sparseFile('whole');
    const file = await open(path, 'r');
    const { data, chunks } = await readAll(new SparseReadStream(file, bytes.length));
    expect(data.equals(bytes)).toBe(true);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(MiB);
  });

  it('reads a range (end included, as createReadStream), across holes and data', async () => {
    const { path, bytes } = await sparseFile('range');
    for (const [start, end] of [
      [0, 0],
      [3 * MiB, 3 * MiB + 10],
      [MiB - 7, 10 * MiB - 1],
      [10 * MiB - 2000, 10 * MiB + 50],
    ]) {
      const file = await open(path, 'r');
      const stream = new SparseReadStream(file, bytes.length, { start, end, chunkSize: 64 * 1024 });
      const { data } = await readAll(stream);
      expect(data.equals(bytes.subarray(start, end + 1))).toBe(true);
    }
  });

  it('closes its handle at the end and when destroyed', async () => {
    const { path, bytes } = await sparseFile('close');
    const ended = await open(path, 'r');
    await readAll(new SparseReadStream(ended, bytes.length));
    await expect(ended.stat()).rejects.toThrow(/closed|EBADF/);
    const destroyed = await open(path, 'r');
    const stream = new SparseReadStream(destroyed, bytes.length);
    await new Promise<void>((resolve) => stream.once('readable', resolve));
    stream.destroy();
    await new Promise((resolve) => stream.once('close', resolve));
    await expect(destroyed.stat()).rejects.toThrow(/closed|EBADF/);
  });

  it('stops early when the file is shorter than it was told', async () => {
    const { path, bytes } = await sparseFile('short');
    const file = await open(path, 'r');
    const { data } = await readAll(new SparseReadStream(file, bytes.length + 5 * MiB));
    expect(data.equals(bytes)).toBe(true);
  });

  it('isHole: true only where no byte was written', async () => {
    const { path } = await sparseFile('holes');
    const file = await open(path, 'r');
    try {
      expect(isHole(file.fd, 0, MiB)).toBe(true);
      expect(isHole(file.fd, 0, 3 * MiB + 6)).toBe(false);
      expect(isHole(file.fd, 4 * MiB, 5 * MiB)).toBe(true);
      expect(isHole(file.fd, 9 * MiB, 10 * MiB)).toBe(false);
    } finally {
      await file.close();
    }
  });
});
