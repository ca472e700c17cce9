import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { nextData, nextHole } from './holes';

/** Read-only zeros, one buffer per chunk size: what a hole yields. */
const zeroBuffers = new Map<number, Buffer>();
function zeros(length: number): Buffer {
  let buffer = zeroBuffers.get(length);
  if (!buffer) zeroBuffers.set(length, (buffer = Buffer.alloc(length)));
  return buffer;
}

export interface SparseReadOptions {
  /** First byte (default 0). */
  start?: number;
  /** Last byte, included as in fs.createReadStream (default: the end of the file). */
  end?: number;
  /** Largest chunk pushed (default 1 MiB). */
  chunkSize?: number;
}

/**
 * fs.createReadStream over a sparse file, without reading its holes: a hole comes out as chunks
 * of shared zeros (consumers must not write into chunks), data as fresh buffers. Owns the handle:
 * closes it at the end or on destroy. Like createReadStream, stops early if the file shrinks.
 */
export class SparseReadStream extends Readable {
  private position: number;
  private readonly stop: number;
  private readonly chunkSize: number;
  /** Known hole up to here (exclusive): zeros without asking again. */
  private holeEnd = 0;
  /** Known data up to here (exclusive). */
  private dataEnd = 0;

  constructor(
    private readonly handle: FileHandle,
    size: number,
    options: SparseReadOptions = {},
  ) {
    const chunkSize = options.chunkSize ?? 1024 * 1024;
    super({ highWaterMark: chunkSize });
    this.chunkSize = chunkSize;
    this.position = options.start ?? 0;
    this.stop = Math.min(size, options.end === undefined ? Infinity : options.end + 1);
  }

  override _read(): void {
    this.next().then(
      (chunk) => this.push(chunk),
      (error: Error) => this.destroy(error),
    );
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.handle.close().then(
      () => done(error),
      (closeError: Error) => done(error ?? closeError),
    );
  }

  private async next(): Promise<Buffer | null> {
    const at = this.position;
    if (at >= this.stop) return null;
    const fd = this.handle.fd;
    if (at >= this.holeEnd && at >= this.dataEnd) {
      const data = nextData(fd, at);
      if (data === Infinity) {
        // Only a hole follows, up to the end of the file as it is now.
        const { size } = await this.handle.stat();
        if (at >= size) return null;
        this.holeEnd = size;
      } else if (data > at) {
        this.holeEnd = data;
      } else {
        this.dataEnd = nextHole(fd, at);
      }
    }
    if (at < this.holeEnd) {
      const length = Math.min(this.chunkSize, this.holeEnd - at, this.stop - at);
      this.position += length;
      return zeros(this.chunkSize).subarray(0, length);
    }
    const length = Math.min(this.chunkSize, this.dataEnd - at, this.stop - at);
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(buffer, filled, length - filled, at + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled === 0) return null;
    this.position += filled;
    return filled === length ? buffer : buffer.subarray(0, filled);
  }
}
