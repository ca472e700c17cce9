import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { constants as zlibConstants, deflate as deflateCb, inflate as inflateCb } from 'node:zlib';
import { isHole } from '@cinderflow/sparse-files';
import { isVolumeMeta, type VolumeMeta } from '../volume-meta';

const deflate = promisify(deflateCb);

const SAMPLE_BYTES = 64 * 1024;

/**
 * Deflate gains nothing on random or already-compressed data and is slow on it: try a sample
 * first and skip the chunk when the sample barely shrinks (the idea of ZFS's early abort).
 */
async function worthCompressing(data: Buffer): Promise<boolean> {
  if (data.length <= SAMPLE_BYTES * 2) return true;
  const sample = data.subarray(0, SAMPLE_BYTES);
  const packed = await deflate(sample, { level: zlibConstants.Z_BEST_SPEED });
  return packed.length < sample.length * 0.95;
}
const inflate = promisify(inflateCb);

export type Compression = 'zlib' | 'none';

export interface ChunkedBackupOptions {
  repository: string;
  chunkSize: number;
  compression: Compression;
}

export interface ChunkRecord {
  index: number;
  offset: number;
  length: number;
  /** SHA-256 (hex) of the uncompressed chunk bytes. */
  sha256: string;
  /** object: written by this backup; zero: all-zero, nothing stored; parent: unchanged from parent. */
  stored: 'object' | 'zero' | 'parent';
  /** File name within this backup's container when stored === 'object'. */
  object?: string;
  /** How that object was written ('none' when compression did not shrink it). */
  compression?: Compression;
}

export interface BackupMetadata {
  version: 1;
  backup_id: string;
  volume_id: string;
  parent_id: string | null;
  size_bytes: number;
  chunk_size: number;
  created_at: string;
  /** The volume's fields and metadata when the backup was taken (absent in older backups). */
  volume_meta?: VolumeMeta;
  chunks: ChunkRecord[];
}

export type ProgressCallback = (percent: number) => void | Promise<void>;

export interface BackupInput {
  backupId: string;
  volumeId: string;
  sourcePath: string;
  sizeBytes: number;
  parentId: string | null;
  volumeMeta?: VolumeMeta;
  onProgress?: ProgressCallback;
  /**
   * Asked before each object is written: false stops the backup (BackupCancelledError), e.g.
   * once a force-delete took it over, so that nothing is written into what the delete removes.
   */
  stillWanted?: () => Promise<boolean>;
}

/** The backup was stopped through `stillWanted`; its partial data is removed. */
export class BackupCancelledError extends Error {
  override readonly name = 'BackupCancelledError';

  constructor(readonly backupId: string) {
    super(`backup ${backupId} was cancelled while it ran`);
  }
}

export interface BackupResult {
  objectCount: number;
  storedBytes: number;
  metadata: BackupMetadata;
}

export interface RestoreInput {
  backupId: string;
  targetPath: string;
  onProgress?: ProgressCallback;
}

export class BackupCorruptError extends Error {
  override readonly name = 'BackupCorruptError';

  constructor(
    readonly backupId: string,
    /** null when the problem is not tied to one chunk (e.g. unreadable metadata). */
    readonly chunkIndex: number | null,
    readonly reason: string,
  ) {
    super(
      chunkIndex === null
        ? `backup ${backupId} is corrupt: ${reason}`
        : `backup ${backupId} is corrupt at chunk ${chunkIndex}: ${reason}`,
    );
  }
}

const METADATA_FILE = 'metadata.json';
const BLOCK = 4096;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const OBJECT_NAME = /^chunk-\d{5,}$/;
// Ids become path components, so anything that could climb out of the repository is refused.
const BACKUP_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{3,}$/;

/**
 * Chunked backup into a POSIX directory tree, after Cinder's chunkeddriver + posix driver: the
 * volume is cut into fixed-size chunks, each stored as one (optionally zlib-compressed) object,
 * and a metadata file lists the chunks with their SHA-256 so incrementals can skip unchanged ones.
 */
export class ChunkedBackupDriver {
  private readonly repository: string;
  private readonly chunkSize: number;
  private readonly compression: Compression;

  constructor(options: ChunkedBackupOptions) {
    const { repository, chunkSize, compression } = options;
    if (typeof repository !== 'string' || repository.length === 0) {
      throw new Error('repository must be a non-empty path');
    }
    if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0 || chunkSize % BLOCK !== 0) {
      throw new Error(`chunkSize must be a positive multiple of ${BLOCK}, got ${chunkSize}`);
    }
    if (compression !== 'zlib' && compression !== 'none') {
      throw new Error(`unsupported compression ${String(compression)}`);
    }
    this.repository = path.resolve(repository);
    this.chunkSize = chunkSize;
    this.compression = compression;
  }

  /** Relative container path for a backup: `<id[0:2]>/<id[2:4]>/<id>` (Cinder's posix layout). */
  containerOf(backupId: string): string {
    assertBackupId(backupId);
    return path.join(backupId.slice(0, 2), backupId.slice(2, 4), backupId);
  }

  async backup(input: BackupInput): Promise<BackupResult> {
    const { backupId, volumeId, sizeBytes, parentId } = input;
    assertBackupId(backupId);
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
      throw new Error(`sizeBytes must be a non-negative integer, got ${sizeBytes}`);
    }
    if (parentId === backupId) {
      throw new Error(`backup ${backupId} cannot be its own parent`);
    }

    const parent = parentId === null ? null : await this.metadata(parentId);
    if (parent) {
      if (parent.chunk_size !== this.chunkSize) {
        // Chunk boundaries would not line up, so no chunk could be shared with the parent.
        throw new Error(
          `parent backup ${parent.backup_id} uses chunk_size ${parent.chunk_size}, ` +
            `this driver uses ${this.chunkSize}; an incremental backup needs the same chunk size`,
        );
      }
      if (parent.volume_id !== volumeId) {
        throw new Error(
          `parent backup ${parent.backup_id} is of volume ${parent.volume_id}, not ${volumeId}`,
        );
      }
    }

    const container = this.containerPath(backupId);
    if (await exists(path.join(container, METADATA_FILE))) {
      throw new Error(`backup ${backupId} already exists in ${container}`);
    }
    await fs.mkdir(container, { recursive: true });

    try {
      return await this.writeBackup(container, input, parent);
    } catch (err) {
      // A failed backup is unusable; do not leave orphaned objects behind.
      await fs.rm(container, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  }

  private async writeBackup(
    container: string,
    input: BackupInput,
    parent: BackupMetadata | null,
  ): Promise<BackupResult> {
    const { backupId, volumeId, sourcePath, sizeBytes, parentId, onProgress } = input;
    const chunkSize = this.chunkSize;
    const buffer = Buffer.alloc(chunkSize);
    const zeros = Buffer.alloc(chunkSize);
    const progress = new ProgressReporter(sizeBytes, onProgress);
    const chunks: ChunkRecord[] = [];
    let objectCount = 0;
    let storedBytes = 0;

    const source = await fs.open(sourcePath, 'r');
    try {
      const { size: sourceSize } = await source.stat();
      if (sourceSize < sizeBytes) {
        throw new Error(
          `${sourcePath} ended at byte ${sourceSize}, before the expected size was read`,
        );
      }
      for (let offset = 0, index = 0; offset < sizeBytes; offset += chunkSize, index++) {
        const length = Math.min(chunkSize, sizeBytes - offset);
        // A hole (most of a thin volume) is zeros without being read.
        const hole = isHole(source.fd, offset, offset + length);
        if (!hole) await readFully(source, buffer, length, offset, sourcePath);
        const data = hole ? zeros.subarray(0, length) : buffer.subarray(0, length);
        const zero = hole || data.equals(zeros.subarray(0, length));
        const sha256 = sha256Of(data, zero);

        const base = { index, offset, length, sha256 };
        const previous = parent?.chunks[index];
        if (zero) {
          chunks.push({ ...base, stored: 'zero' });
        } else if (previous && previous.sha256 === sha256 && previous.length === length) {
          chunks.push({ ...base, stored: 'parent' });
        } else {
          let payload: Buffer = data;
          let compression: Compression = 'none';
          if (this.compression === 'zlib' && (await worthCompressing(data))) {
            // Fastest level: most of the gain on compressible data, several times the speed.
            const packed = await deflate(data, { level: zlibConstants.Z_BEST_SPEED });
            // Random data grows under deflate; storing it raw saves space and CPU on restore.
            if (packed.length < length) {
              payload = packed;
              compression = 'zlib';
            }
          }
          if (input.stillWanted && !(await input.stillWanted())) {
            throw new BackupCancelledError(backupId);
          }
          const object = objectName(index);
          await writeAtomically(path.join(container, object), payload);
          chunks.push({ ...base, stored: 'object', object, compression });
          objectCount++;
          storedBytes += payload.length;
        }
        await progress.update(offset + length);
      }
    } finally {
      await source.close();
    }

    const metadata: BackupMetadata = {
      version: 1,
      backup_id: backupId,
      volume_id: volumeId,
      parent_id: parentId,
      size_bytes: sizeBytes,
      chunk_size: chunkSize,
      created_at: new Date().toISOString(),
      ...(input.volumeMeta ? { volume_meta: input.volumeMeta } : {}),
      chunks,
    };
    // Metadata goes last: its presence is what marks the backup as complete.
    await writeAtomically(
      path.join(container, METADATA_FILE),
      Buffer.from(JSON.stringify(metadata, null, 2)),
    );
    await syncDirectory(container);
    await progress.finish();
    return { objectCount, storedBytes, metadata };
  }

  async restore(input: RestoreInput): Promise<void> {
    const { backupId, targetPath, onProgress } = input;
    const meta = await this.metadata(backupId);
    // Ancestors are loaded lazily, only as deep as 'parent' chunks actually need.
    const chain = new AncestorChain(meta, (id) => this.metadata(id));
    // Sized from the backup's own chunk_size, so backups made with another setting still restore.
    const zeros = Buffer.alloc(meta.chunk_size);
    const current = Buffer.alloc(meta.chunk_size);
    const progress = new ProgressReporter(meta.size_bytes, onProgress);

    const target = await fs.open(targetPath, 'r+');
    try {
      const { size: targetSize } = await target.stat();
      for (const record of meta.chunks) {
        const data = await this.resolveChunk(meta, record, chain, zeros);
        const zero = data.equals(zeros.subarray(0, data.length));
        if (data.length !== record.length || sha256Of(data, zero) !== record.sha256) {
          throw new BackupCorruptError(backupId, record.index, 'sha256 mismatch');
        }
        // A zero chunk over a region that already reads as zeros (a hole in a new thin volume) is
        // not written: the restored volume stays as sparse as the source was.
        const keep =
          zero &&
          ((record.offset + data.length <= targetSize &&
            isHole(target.fd, record.offset, record.offset + data.length)) ||
            (await readsAsZeros(target, record.offset, current.subarray(0, data.length), zeros)));
        if (!keep) await writeFully(target, data, record.offset);
        await progress.update(record.offset + record.length);
      }
      await target.sync();
    } finally {
      await target.close();
    }
    await progress.finish();
  }

  /** Removes the container; already gone is fine. Dependent incrementals are the caller's concern. */
  async delete(backupId: string): Promise<void> {
    // Retries: a create stopping under a force-delete may still be finishing its last write.
    await fs.rm(this.containerPath(backupId), { recursive: true, force: true, maxRetries: 3 });
  }

  /**
   * The backup's metadata once every object it lists is found in its container (what an
   * import needs before the backup can be trusted); else BackupCorruptError.
   */
  async verify(backupId: string): Promise<BackupMetadata> {
    const meta = await this.metadata(backupId);
    const container = this.containerPath(backupId);
    for (const record of meta.chunks) {
      if (record.stored !== 'object') continue;
      try {
        const { size } = await fs.stat(path.join(container, record.object as string));
        if (size > record.length) {
          throw new BackupCorruptError(
            backupId,
            record.index,
            `object ${record.object} is larger than its chunk`,
          );
        }
      } catch (err) {
        if (isErrno(err, 'ENOENT')) {
          throw new BackupCorruptError(backupId, record.index, `missing object ${record.object}`);
        }
        throw err;
      }
    }
    return meta;
  }

  async metadata(backupId: string): Promise<BackupMetadata> {
    const file = path.join(this.containerPath(backupId), METADATA_FILE);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        throw new BackupCorruptError(backupId, null, `unreadable metadata: ${file} not found`);
      }
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new BackupCorruptError(backupId, null, `unreadable metadata: ${errorMessage(err)}`);
    }
    const problem = validateMetadata(parsed, backupId);
    if (problem !== null) {
      throw new BackupCorruptError(backupId, null, `unreadable metadata: ${problem}`);
    }
    return parsed as BackupMetadata;
  }

  /** Returns the uncompressed bytes for one chunk of `meta`, following 'parent' records. */
  private async resolveChunk(
    meta: BackupMetadata,
    record: ChunkRecord,
    chain: AncestorChain,
    zeros: Buffer,
  ): Promise<Buffer> {
    let owner = meta;
    let current = record;
    for (let depth = 1; current.stored === 'parent'; depth++) {
      const ancestor = await chain.at(depth);
      const found = ancestor?.chunks[record.index];
      if (!ancestor || !found) {
        throw new BackupCorruptError(
          meta.backup_id,
          record.index,
          'marked unchanged but no ancestor backup holds this chunk',
        );
      }
      if (ancestor.chunk_size !== meta.chunk_size) {
        // The same index would cover other bytes; the incremental could never have matched it.
        throw new BackupCorruptError(
          meta.backup_id,
          record.index,
          `ancestor ${ancestor.backup_id} has chunk_size ${ancestor.chunk_size}`,
        );
      }
      owner = ancestor;
      current = found;
    }
    if (current.stored === 'zero') {
      return zeros.subarray(0, current.length);
    }
    return this.readObject(owner, current, meta.backup_id);
  }

  private async readObject(
    owner: BackupMetadata,
    record: ChunkRecord,
    restoring: string,
  ): Promise<Buffer> {
    const via = owner.backup_id === restoring ? '' : ` (stored in ancestor ${owner.backup_id})`;
    const corrupt = (why: string) => new BackupCorruptError(restoring, record.index, why + via);
    const file = path.join(this.containerPath(owner.backup_id), record.object as string);

    let raw: Buffer;
    try {
      // Objects are never larger than their chunk; checking first keeps a bad file from
      // being pulled into memory whole.
      const { size } = await fs.stat(file);
      if (size > record.length) {
        throw corrupt(`object ${record.object} is larger than its chunk`);
      }
      raw = await fs.readFile(file);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        throw corrupt(`missing object ${record.object}`);
      }
      throw err;
    }
    if (record.compression !== 'zlib') {
      return raw;
    }
    try {
      // The cap stops a damaged stream from inflating without bound.
      return await inflate(raw, { maxOutputLength: Math.max(record.length, 1) });
    } catch (err) {
      throw corrupt(`cannot decompress object ${record.object}: ${errorMessage(err)}`);
    }
  }

  private containerPath(backupId: string): string {
    return path.join(this.repository, this.containerOf(backupId));
  }
}

/** Walks `parent_id` links on demand, refusing cycles. */
class AncestorChain {
  private readonly loaded: BackupMetadata[];
  private readonly seen: Set<string>;

  constructor(
    root: BackupMetadata,
    private readonly load: (backupId: string) => Promise<BackupMetadata>,
  ) {
    this.loaded = [root];
    this.seen = new Set([root.backup_id]);
  }

  /** depth 0 is the backup itself; undefined once the chain ends. */
  async at(depth: number): Promise<BackupMetadata | undefined> {
    while (this.loaded.length <= depth) {
      const last = this.loaded[this.loaded.length - 1];
      const parentId = last.parent_id;
      if (parentId === null) {
        return undefined;
      }
      if (this.seen.has(parentId)) {
        throw new BackupCorruptError(last.backup_id, null, `parent chain loops at ${parentId}`);
      }
      this.seen.add(parentId);
      this.loaded.push(await this.load(parentId));
    }
    return this.loaded[depth];
  }
}

/** Integer percent, strictly increasing, with 100 kept back until the operation has finished. */
class ProgressReporter {
  private last = -1;

  constructor(
    private readonly total: number,
    private readonly callback: ProgressCallback | undefined,
  ) {}

  async update(done: number): Promise<void> {
    if (this.total === 0) {
      return;
    }
    await this.emit(Math.min(99, Math.floor((done * 100) / this.total)));
  }

  finish(): Promise<void> {
    return this.emit(100);
  }

  private async emit(percent: number): Promise<void> {
    if (percent <= this.last) {
      return;
    }
    this.last = percent;
    await this.callback?.(percent);
  }
}

const zeroHashes = new Map<number, string>();

/** SHA-256 (hex); sparse volumes are mostly zeros, whose hash is computed once per length. */
function sha256Of(data: Buffer, allZeros: boolean): string {
  if (!allZeros) return createHash('sha256').update(data).digest('hex');
  let known = zeroHashes.get(data.length);
  if (known === undefined) {
    known = createHash('sha256').update(data).digest('hex');
    zeroHashes.set(data.length, known);
  }
  return known;
}

function objectName(index: number): string {
  return `chunk-${String(index).padStart(5, '0')}`;
}

function assertBackupId(backupId: string): void {
  if (typeof backupId !== 'string' || !BACKUP_ID.test(backupId)) {
    throw new Error(`invalid backup id ${JSON.stringify(backupId)}`);
  }
}

async function readFully(
  handle: FileHandle,
  buffer: Buffer,
  length: number,
  position: number,
  sourcePath: string,
): Promise<void> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw new Error(
        `${sourcePath} ended at byte ${position + filled}, before the expected size was read`,
      );
    }
    filled += bytesRead;
  }
}

/** Whether `into.length` bytes at `position` of the file are all zeros (read into `into`). */
async function readsAsZeros(
  handle: FileHandle,
  position: number,
  into: Buffer,
  zeros: Buffer,
): Promise<boolean> {
  let filled = 0;
  while (filled < into.length) {
    const { bytesRead } = await handle.read(into, filled, into.length - filled, position + filled);
    if (bytesRead === 0) return false; // past the end: the write has to extend the file
    filled += bytesRead;
  }
  return into.equals(zeros.subarray(0, into.length));
}

async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(
      data,
      written,
      data.length - written,
      position + written,
    );
    written += bytesWritten;
  }
}

/** Writes to a hidden temp name, fsyncs, then renames so the real name only ever holds whole data. */
async function writeAtomically(file: string, data: Buffer): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await writeFully(handle, data, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Makes the renames themselves durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) {
      return false;
    }
    throw err;
  }
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Returns why `value` is not usable metadata for `backupId`, or null. Object names are checked
 * so a tampered file cannot point a restore outside its container.
 */
function validateMetadata(value: unknown, backupId: string): string | null {
  if (typeof value !== 'object' || value === null) {
    return 'not an object';
  }
  const m = value as Record<string, unknown>;
  if (m.version !== 1) return `unsupported version ${String(m.version)}`;
  if (m.backup_id !== backupId) return `backup_id is ${String(m.backup_id)}`;
  if (typeof m.volume_id !== 'string') return 'volume_id missing';
  if (m.parent_id !== null && (typeof m.parent_id !== 'string' || !BACKUP_ID.test(m.parent_id))) {
    return 'parent_id invalid';
  }
  if (!isCount(m.size_bytes)) return 'size_bytes invalid';
  if (!isCount(m.chunk_size) || m.chunk_size === 0 || m.chunk_size % BLOCK !== 0) {
    return 'chunk_size invalid';
  }
  if (typeof m.created_at !== 'string') return 'created_at missing';
  if (m.volume_meta !== undefined && !isVolumeMeta(m.volume_meta)) return 'volume_meta invalid';
  if (!Array.isArray(m.chunks)) return 'chunks missing';

  const chunkSize = m.chunk_size;
  const expected = Math.ceil(m.size_bytes / chunkSize);
  if (m.chunks.length !== expected) {
    return `${m.chunks.length} chunks listed, ${expected} expected for size_bytes`;
  }
  for (let i = 0; i < m.chunks.length; i++) {
    const c = m.chunks[i] as Record<string, unknown> | null;
    const length = Math.min(chunkSize, m.size_bytes - i * chunkSize);
    if (typeof c !== 'object' || c === null) return `chunk ${i} is not an object`;
    if (c.index !== i || c.offset !== i * chunkSize || c.length !== length) {
      return `chunk ${i} has wrong index/offset/length`;
    }
    if (typeof c.sha256 !== 'string' || !SHA256_HEX.test(c.sha256)) {
      return `chunk ${i} sha256 invalid`;
    }
    if (c.stored === 'object') {
      if (typeof c.object !== 'string' || !OBJECT_NAME.test(c.object)) {
        return `chunk ${i} object name invalid`;
      }
      if (c.compression !== 'zlib' && c.compression !== 'none') {
        return `chunk ${i} compression invalid`;
      }
    } else if (c.stored !== 'zero' && c.stored !== 'parent') {
      return `chunk ${i} stored invalid`;
    }
  }
  return null;
}
