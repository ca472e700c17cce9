import { pipeline, Transform, type Readable } from 'node:stream';
import type {
  DriverConnection,
  DriverSnapshot,
  DriverStats,
  DriverVolume,
  VolumeDriver,
} from './volume-driver';

export interface FaultOptions {
  /** Every create fails. */
  failCreate: boolean;
  /** Every extend fails. */
  failExtend?: boolean;
  /** Share of creates that fail, 0..1. */
  failureRate: number;
  /** Extra time a create takes, to make a crash mid-create easy to stage. */
  createDelayMs: number;
  /** Extra time an export (attach) takes, to make a crash mid-attach easy to stage. */
  attachDelayMs?: number;
  /** Image data written at most this many bytes a second, to stage a failure mid-download. */
  imageCopyBytesPerSec?: number;
  /**
   * A pause in a read of a volume's bytes (upload to image) once its first MiB went through, or
   * before a migration's copy, to make a failure or a crash mid-upload or mid-copy easy to stage.
   */
  readDelayMs?: number;
  random?: () => number;
}

export class InjectedFaultError extends Error {
  override name = 'InjectedFaultError';
}

/**
 * Wraps a driver to make creates fail or slow, or attaches slow, on demand, for testing
 * rescheduling and recovery.
 */
export class FaultInjectingDriver implements VolumeDriver {
  constructor(
    private readonly inner: VolumeDriver,
    private readonly faults: FaultOptions,
  ) {}

  doSetup(): Promise<void> {
    return this.inner.doSetup();
  }

  async createVolume(volume: DriverVolume): Promise<void> {
    if (this.faults.createDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.faults.createDelayMs));
    }
    const random = this.faults.random ?? Math.random;
    if (this.faults.failCreate || random() < this.faults.failureRate) {
      throw new InjectedFaultError(`injected failure creating volume ${volume.id}`);
    }
    return this.inner.createVolume(volume);
  }

  deleteVolume(volume: Pick<DriverVolume, 'id'>): Promise<void> {
    return this.inner.deleteVolume(volume);
  }

  getVolumeStats(): Promise<DriverStats> {
    return this.inner.getVolumeStats();
  }

  async initializeConnection(
    volume: Pick<DriverVolume, 'id'>,
    exportId: string,
    connector: Record<string, unknown>,
    mode: 'rw' | 'ro',
  ): Promise<DriverConnection> {
    if (this.faults.attachDelayMs) {
      await new Promise((resolve) => setTimeout(resolve, this.faults.attachDelayMs));
    }
    return this.inner.initializeConnection(volume, exportId, connector, mode);
  }

  terminateConnection(volume: Pick<DriverVolume, 'id'>, exportId: string): Promise<void> {
    return this.inner.terminateConnection(volume, exportId);
  }

  listExports(volume: Pick<DriverVolume, 'id'>): Promise<string[]> {
    return this.inner.listExports(volume);
  }

  initializeConnectionSnapshot(snapshot: Pick<DriverSnapshot, 'id'>): Promise<DriverConnection> {
    return this.inner.initializeConnectionSnapshot(snapshot);
  }

  terminateConnectionSnapshot(snapshot: Pick<DriverSnapshot, 'id'>): Promise<void> {
    return this.inner.terminateConnectionSnapshot(snapshot);
  }

  createSnapshot(snapshot: DriverSnapshot): Promise<void> {
    return this.inner.createSnapshot(snapshot);
  }

  deleteSnapshot(snapshot: Pick<DriverSnapshot, 'id'>): Promise<void> {
    return this.inner.deleteSnapshot(snapshot);
  }

  createVolumeFromSnapshot(
    volume: DriverVolume,
    snapshot: Pick<DriverSnapshot, 'id'>,
  ): Promise<void> {
    return this.inner.createVolumeFromSnapshot(volume, snapshot);
  }

  createClonedVolume(volume: DriverVolume, source: Pick<DriverVolume, 'id'>): Promise<void> {
    return this.inner.createClonedVolume(volume, source);
  }

  revertToSnapshot(volume: DriverVolume, snapshot: Pick<DriverSnapshot, 'id'>): Promise<void> {
    return this.inner.revertToSnapshot(volume, snapshot);
  }

  extendVolume(volume: DriverVolume): Promise<void> {
    if (this.faults.failExtend) {
      return Promise.reject(
        new InjectedFaultError(`injected failure extending volume ${volume.id}`),
      );
    }
    return this.inner.extendVolume(volume);
  }

  copyImageToVolume(volume: DriverVolume, data: AsyncIterable<Uint8Array>): Promise<number> {
    const rate = this.faults.imageCopyBytesPerSec ?? 0;
    return this.inner.copyImageToVolume(volume, rate > 0 ? throttled(data, rate) : data);
  }

  clearDownload(volume: DriverVolume): Promise<void> {
    return this.inner.clearDownload(volume);
  }

  async readVolume(volume: Pick<DriverVolume, 'id'>): Promise<{ stream: Readable; size: number }> {
    const read = await this.inner.readVolume(volume);
    const delayMs = this.faults.readDelayMs ?? 0;
    if (delayMs === 0) return read;
    const paused = pauseAfter(1024 * 1024, delayMs);
    // pipeline, not pipe: a reader that gives up (destroys the stream) closes the file too.
    pipeline(read.stream, paused, () => undefined);
    return { stream: paused, size: read.size };
  }

  async copyVolumeData(volume: Pick<DriverVolume, 'id'>, targetPath: string): Promise<void> {
    const delayMs = this.faults.readDelayMs ?? 0;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return this.inner.copyVolumeData(volume, targetPath);
  }
}

/** Passes bytes through, holding back for `delayMs` once, when `after` bytes have passed. */
function pauseAfter(after: number, delayMs: number): Transform {
  let passed = 0;
  let paused = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      passed += chunk.length;
      if (paused || passed < after) return done(null, chunk);
      paused = true;
      this.push(chunk);
      setTimeout(done, delayMs);
    },
  });
}

/** The data at no more than `bytesPerSec`: each chunk waits until the rate allows it. */
async function* throttled(
  data: AsyncIterable<Uint8Array>,
  bytesPerSec: number,
): AsyncGenerator<Uint8Array> {
  const started = Date.now();
  let sent = 0;
  for await (const chunk of data) {
    sent += chunk.length;
    const due = started + (sent / bytesPerSec) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    yield chunk;
  }
}
