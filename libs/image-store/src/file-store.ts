import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, readdir, rename, stat, unlink, open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Readable, Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SparseReadStream } from '@cinderflow/sparse-files';

/** What a store holds after an upload, and the checksums Glance shows for it. */
export interface StoredData {
  /** The location's URL (`file:///...`), as Glance records it. */
  uri: string;
  store: string;
  size: number;
  /** MD5, Glance's legacy `checksum`. */
  checksum: string;
  /** Glance's multihash: `os_hash_algo` (hashing_algorithm, default sha512) and its value. */
  hashAlgo: 'sha512';
  hashValue: string;
}

/** The data went past the size the caller allows (image_size_cap or the storage quota). */
export class ImageTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Image exceeds the size limit of ${limit} bytes`);
    this.name = 'ImageTooLargeError';
  }
}

/** A byte range, both ends included (HTTP's `Range: bytes=start-end`). */
export interface ByteRange {
  start: number;
  end: number;
}

/** Counts and hashes the bytes going through, and stops the stream past `limit`. */
class Measure extends Transform {
  readonly md5 = createHash('md5');
  readonly sha512 = createHash('sha512');
  size = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      done(new ImageTooLargeError(this.limit));
      return;
    }
    this.md5.update(chunk);
    this.sha512.update(chunk);
    done(null, chunk);
  }
}

const PARTIAL = '.partial';

export interface FileStoreOptions {
  /** glance_store's filesystem_thin_provisioning: zero blocks become holes, not writes. */
  thinProvisioning?: boolean;
}

/** glance_store's filesystem_store_chunk_size: the unit written, or left a hole when all zeros. */
const THIN_BLOCK = 64 * 1024;
const ZEROS = Buffer.alloc(THIN_BLOCK);

/**
 * Writes a stream into an open file at increasing offsets, skipping all-zero blocks (they read
 * back as zeros from the holes), and sets the file's length at the end: a trailing run of zeros
 * is a hole too.
 */
class ThinWriter extends Writable {
  private offset = 0;

  constructor(private readonly file: FileHandle) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error) => void): void {
    this.writeChunk(chunk).then(() => done(), done);
  }

  override _final(done: (error?: Error) => void): void {
    this.file.truncate(this.offset).then(() => done(), done);
  }

  private async writeChunk(chunk: Buffer): Promise<void> {
    for (let at = 0; at < chunk.length; at += THIN_BLOCK) {
      const block = chunk.subarray(at, at + THIN_BLOCK);
      if (!block.equals(ZEROS.subarray(0, block.length))) {
        for (let done = 0; done < block.length;) {
          const { bytesWritten } = await this.file.write(
            block,
            done,
            block.length - done,
            this.offset + at + done,
          );
          done += bytesWritten;
        }
      }
    }
    this.offset += chunk.length;
  }
}

/**
 * glance_store's filesystem store: one file per image under a directory. Data is written to a
 * partial file and renamed once complete and synced, so a location never names half an image.
 */
export class FileStore {
  readonly dir: string;

  constructor(
    readonly id: string,
    dir: string,
    private readonly options: FileStoreOptions = {},
  ) {
    this.dir = resolve(dir);
  }

  /** Streams `source` into the store; on any failure nothing is left behind. */
  async add(imageId: string, source: Readable, maxBytes: number): Promise<StoredData> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, imageId);
    // A name of its own per attempt: a stale upload can never clobber a later one.
    const partial = `${path}.${randomBytes(6).toString('hex')}${PARTIAL}`;
    const measure = new Measure(maxBytes);
    try {
      if (this.options.thinProvisioning) {
        const file = await open(partial, 'wx');
        try {
          await pipeline(source, measure, new ThinWriter(file));
          await file.sync();
        } finally {
          await file.close();
        }
      } else {
        await pipeline(source, measure, createWriteStream(partial, { flags: 'wx' }));
        const handle = await open(partial, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      await rename(partial, path);
    } catch (error) {
      await unlink(partial).catch(() => undefined);
      throw error;
    }
    return {
      uri: pathToFileURL(path).href,
      store: this.id,
      size: measure.size,
      checksum: measure.md5.digest('hex'),
      hashAlgo: 'sha512',
      hashValue: measure.sha512.digest('hex'),
    };
  }

  /** The URL an upload of this image gets in this store. */
  uriOf(imageId: string): string {
    return pathToFileURL(join(this.dir, imageId)).href;
  }

  /** Whether a URL names an upload still being written (a partial file). */
  isPartial(uri: string): boolean {
    return uri.endsWith(PARTIAL);
  }

  /** Whether a location's URL points into this store. */
  owns(uri: string): boolean {
    const path = this.pathOf(uri);
    return path !== undefined && path.startsWith(this.dir + '/');
  }

  /** The data of a location, whole or a range of it. */
  async open(uri: string, range?: ByteRange): Promise<{ stream: Readable; size: number }> {
    const file = await open(this.mustOwn(uri), 'r');
    try {
      const { size } = await file.stat();
      // Reads of 1 MiB (far fewer trips through the event loop than 64 KiB); holes not read.
      const stream = new SparseReadStream(file, size, range ?? {});
      return { stream, size };
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  async size(uri: string): Promise<number> {
    return (await stat(this.mustOwn(uri))).size;
  }

  /**
   * Deletes a location's data; data already gone counts as deleted (Glance's NotFound on delete).
   * Says whether there was data to delete: false when it was gone already.
   */
  async delete(uri: string): Promise<boolean> {
    try {
      await unlink(this.mustOwn(uri));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  /** Removes partial files an interrupted upload of this image left (a killed process). */
  async removePartials(imageId: string): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const partials = names.filter(
      (name) => name.startsWith(`${imageId}.`) && name.endsWith(PARTIAL),
    );
    await Promise.all(partials.map((name) => unlink(join(this.dir, name)).catch(() => undefined)));
    return partials.length;
  }

  private pathOf(uri: string): string | undefined {
    try {
      return uri.startsWith('file://') ? resolve(fileURLToPath(uri)) : undefined;
    } catch {
      return undefined;
    }
  }

  private mustOwn(uri: string): string {
    const path = this.pathOf(uri);
    if (path === undefined || !path.startsWith(this.dir + '/')) {
      throw new Error(`${uri} is not in store ${this.id}`);
    }
    return path;
  }
}
