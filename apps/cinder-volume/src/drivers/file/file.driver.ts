import { execFile } from 'node:child_process';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  stat,
  statfs,
  writeFile,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { nextData, nextHole, SparseReadStream } from '@cinderflow/sparse-files';
import {
  type DriverConnection,
  type DriverSnapshot,
  type DriverStats,
  type DriverVolume,
  ImageTooBigError,
  type VolumeDriver,
} from '../volume-driver';

const run = promisify(execFile);

export const GiB = 1024 ** 3;

export interface FileDriverOptions {
  /** Directory holding one file per volume. */
  dataDir: string;
  /** Capacity offered, in GiB; 0 = the filesystem's size. */
  capacityGb: number;
  /** How far provisioned sizes may exceed the capacity (Cinder's max_over_subscription_ratio). */
  maxOverSubscriptionRatio: number;
}

/**
 * Keeps each volume as a sparse file of the volume's size. Sparse files are thin provisioning:
 * a volume takes disk space only as it is written, so the backend reports the space really
 * used and free, the sizes promised (provisioned), and lets the scheduler over-subscribe up to
 * the configured ratio.
 */
export class FileDriver implements VolumeDriver {
  constructor(private readonly options: FileDriverOptions) {}

  pathOf(volumeId: string): string {
    return join(this.options.dataDir, `volume-${volumeId}`);
  }

  snapshotPathOf(snapshotId: string): string {
    return join(this.options.dataDir, `snapshot-${snapshotId}`);
  }

  async doSetup(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true });
  }

  async createVolume(volume: DriverVolume): Promise<void> {
    const bytes = volume.size * GiB;
    // 'a' creates or opens without truncating: a repeated create keeps bytes already written.
    const file = await open(this.pathOf(volume.id), 'a');
    try {
      const { size } = await file.stat();
      if (size !== bytes) {
        await file.truncate(bytes);
      }
      await file.sync();
    } finally {
      await file.close();
    }
  }

  async deleteVolume(volume: Pick<DriverVolume, 'id'>): Promise<void> {
    await rm(this.exportsOf(volume.id), { recursive: true, force: true });
    await rm(this.pathOf(volume.id), { force: true });
  }

  async createSnapshot(snapshot: DriverSnapshot): Promise<void> {
    if (await exists(this.snapshotPathOf(snapshot.id))) return; // a repeated create
    await copySparse(this.pathOf(snapshot.volumeId), this.snapshotPathOf(snapshot.id));
  }

  async deleteSnapshot(snapshot: Pick<DriverSnapshot, 'id'>): Promise<void> {
    await rm(this.snapshotPathOf(snapshot.id), { force: true });
  }

  async createVolumeFromSnapshot(
    volume: DriverVolume,
    snapshot: Pick<DriverSnapshot, 'id'>,
  ): Promise<void> {
    if (!(await exists(this.pathOf(volume.id)))) {
      await copySparse(this.snapshotPathOf(snapshot.id), this.pathOf(volume.id));
    }
    await this.extendVolume(volume);
  }

  async createClonedVolume(volume: DriverVolume, source: Pick<DriverVolume, 'id'>): Promise<void> {
    if (!(await exists(this.pathOf(volume.id)))) {
      await copySparse(this.pathOf(source.id), this.pathOf(volume.id));
    }
    await this.extendVolume(volume);
  }

  async revertToSnapshot(
    volume: DriverVolume,
    snapshot: Pick<DriverSnapshot, 'id'>,
  ): Promise<void> {
    // Copy then rename: a crash mid-way leaves the volume as it was, and a rerun starts over.
    await copySparse(this.snapshotPathOf(snapshot.id), this.pathOf(volume.id));
    await this.extendVolume(volume);
  }

  async extendVolume(volume: DriverVolume): Promise<void> {
    const file = await open(this.pathOf(volume.id), 'r+');
    try {
      const { size } = await file.stat();
      if (size < volume.size * GiB) {
        await file.truncate(volume.size * GiB);
        await file.sync();
      }
    } finally {
      await file.close();
    }
  }

  async copyImageToVolume(volume: DriverVolume, data: AsyncIterable<Uint8Array>): Promise<number> {
    const capacity = volume.size * GiB;
    const file = await open(this.pathOf(volume.id), 'r+');
    try {
      // From zeros: bytes of an earlier attempt must not show through the holes left below.
      await file.truncate(0);
      await file.truncate(capacity);
      let offset = 0;
      // One block is written while the next one is read (and hashed on its way).
      let writing: Promise<void> = Promise.resolve();
      try {
        for await (const block of blocksOf(data, COPY_BLOCK)) {
          if (offset + block.length > capacity) {
            throw new ImageTooBigError(
              `Image data exceeds the volume's ${volume.size} GiB (more than ${capacity} bytes).`,
            );
          }
          await writing;
          // Zeros stay holes (qemu-img convert's sparse copy): the volume file stays thin.
          if (!isZero(block)) {
            writing = writeAll(file, block, offset);
            // Awaited above or below; a failure meanwhile must not go unhandled.
            writing.catch(() => undefined);
          }
          offset += block.length;
        }
        await writing;
      } finally {
        // No write may still be running on the file when it closes.
        await writing.catch(() => undefined);
      }
      await file.sync();
      return offset;
    } finally {
      await file.close();
    }
  }

  async clearDownload(volume: DriverVolume): Promise<void> {
    const file = await open(this.pathOf(volume.id), 'r+').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!file) return;
    try {
      await file.truncate(0);
      await file.truncate(volume.size * GiB);
      await file.sync();
    } finally {
      await file.close();
    }
  }

  async readVolume(volume: Pick<DriverVolume, 'id'>): Promise<{ stream: Readable; size: number }> {
    const file = await open(this.pathOf(volume.id), 'r');
    try {
      const { size } = await file.stat();
      // The stream owns the descriptor from here on, and closes it at the end or on destroy. It
      // never reads the file's holes (most of a thin volume): they come out as zeros.
      return { stream: new SparseReadStream(file, size), size };
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  async copyVolumeData(volume: Pick<DriverVolume, 'id'>, targetPath: string): Promise<void> {
    const source = await open(this.pathOf(volume.id), 'r');
    try {
      const target = await open(targetPath, 'r+');
      try {
        await copyData(source, target);
        await target.sync();
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  }

  /**
   * The file driver's "export" is a record that a consumer may use the file; the connection it
   * returns is the file's path, for a consumer that shares this storage (os-brick's `local`).
   */
  async initializeConnection(
    volume: Pick<DriverVolume, 'id'>,
    exportId: string,
    connector: Record<string, unknown>,
    mode: 'rw' | 'ro',
  ): Promise<DriverConnection> {
    await stat(this.pathOf(volume.id)); // no export of a volume that isn't there
    await mkdir(this.exportsOf(volume.id), { recursive: true });
    await writeFile(
      join(this.exportsOf(volume.id), `${exportId}.json`),
      JSON.stringify({ connector, mode }),
    );
    return {
      driver_volume_type: 'local',
      data: {
        device_path: resolve(this.pathOf(volume.id)),
        volume_id: volume.id,
        access_mode: mode,
        export_id: exportId,
      },
    };
  }

  /** The snapshot file's path, read-only: a snapshot's bytes never change, nothing to record. */
  async initializeConnectionSnapshot(
    snapshot: Pick<DriverSnapshot, 'id'>,
  ): Promise<DriverConnection> {
    await stat(this.snapshotPathOf(snapshot.id)); // no connection to a snapshot that isn't there
    return {
      driver_volume_type: 'local',
      data: {
        device_path: resolve(this.snapshotPathOf(snapshot.id)),
        snapshot_id: snapshot.id,
        access_mode: 'ro',
      },
    };
  }

  async terminateConnectionSnapshot(): Promise<void> {
    // Nothing was exported.
  }

  async terminateConnection(volume: Pick<DriverVolume, 'id'>, exportId: string): Promise<void> {
    await rm(join(this.exportsOf(volume.id), `${exportId}.json`), { force: true });
  }

  async listExports(volume: Pick<DriverVolume, 'id'>): Promise<string[]> {
    const names = await readdir(this.exportsOf(volume.id)).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
  }

  private exportsOf(volumeId: string): string {
    return join(this.options.dataDir, 'exports', volumeId);
  }

  async getVolumeStats(): Promise<DriverStats> {
    const fs = await statfs(this.options.dataDir);
    const fsTotal = (fs.blocks * fs.bsize) / GiB;
    const fsFree = (fs.bavail * fs.bsize) / GiB;
    const volumes = await this.volumeFiles();
    const provisioned = volumes.reduce((sum, v) => sum + v.size, 0) / GiB;
    const used = volumes.reduce((sum, v) => sum + v.used, 0) / GiB;
    const total = this.options.capacityGb > 0 ? this.options.capacityGb : Math.floor(fsTotal);
    return {
      vendor_name: 'cinderflow',
      driver_version: '1.0.0',
      storage_protocol: 'file',
      total_capacity_gb: total,
      free_capacity_gb: round2(Math.max(0, Math.min(total - used, fsFree))),
      allocated_capacity_gb: round2(provisioned),
      provisioned_capacity_gb: round2(provisioned),
      thin_provisioning_support: true,
      thick_provisioning_support: false,
      max_over_subscription_ratio: this.options.maxOverSubscriptionRatio,
      multiattach: true,
    };
  }

  /** Each volume file's promised size and the bytes it really occupies. */
  private async volumeFiles(): Promise<{ size: number; used: number }[]> {
    const names = (await readdir(this.options.dataDir)).filter((n) => n.startsWith('volume-'));
    const files = await Promise.all(
      names.map((name) =>
        stat(join(this.options.dataDir, name)).then(
          (s) => ({ size: s.size, used: s.blocks * 512 }),
          () => ({ size: 0, used: 0 }), // deleted while we looked
        ),
      ),
    );
    return files;
  }
}

/** Image data is written in blocks of this size, each left a hole when all zeros. */
const COPY_BLOCK = 1024 * 1024;
const ZEROS = Buffer.alloc(COPY_BLOCK);

function isZero(block: Buffer): boolean {
  return block.equals(ZEROS.subarray(0, block.length));
}

/** The data regrouped into blocks of `size` bytes (the last one shorter). */
async function* blocksOf(data: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of data) {
    let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (length + rest.length >= size) {
      const take = size - length;
      pending.push(rest.subarray(0, take));
      yield Buffer.concat(pending, size);
      rest = rest.subarray(take);
      pending = [];
      length = 0;
    }
    if (rest.length > 0) {
      pending.push(rest);
      length += rest.length;
    }
  }
  if (length > 0) yield Buffer.concat(pending, length);
}

/**
 * Copies the data of `source` into `target` at the same offsets; the target's holes stay holes
 * where the source has them (it reads as zeros there already). Only data extents are read, and
 * within them all-zero blocks are not written.
 */
async function copyData(source: FileHandle, target: FileHandle): Promise<void> {
  const { size } = await source.stat();
  const buffer = Buffer.alloc(COPY_BLOCK);
  let offset = nextData(source.fd, 0);
  while (offset < size) {
    const end = Math.min(nextHole(source.fd, offset), size);
    while (offset < end) {
      const length = Math.min(COPY_BLOCK, end - offset);
      const { bytesRead } = await source.read(buffer, 0, length, offset);
      if (bytesRead === 0) return;
      const block = buffer.subarray(0, bytesRead);
      if (!isZero(block)) await writeAll(target, block, offset);
      offset += bytesRead;
    }
    offset = nextData(source.fd, end);
  }
}

async function writeAll(file: FileHandle, block: Buffer, offset: number): Promise<void> {
  for (let done = 0; done < block.length;) {
    const { bytesWritten } = await file.write(block, done, block.length - done, offset + done);
    done += bytesWritten;
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Copies a volume file keeping its holes (and sharing its blocks where the filesystem can
 * reflink), through a temporary file renamed into place once synced: `to` is either absent, or
 * a complete copy.
 */
async function copySparse(from: string, to: string): Promise<void> {
  const partial = `${to}.partial`;
  await run('cp', ['--reflink=auto', '--sparse=always', '--', from, partial]);
  const file = await open(partial, 'r+');
  try {
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(partial, to);
}
