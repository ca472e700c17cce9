import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  FaultInjectingDriver,
  type FaultOptions,
  InjectedFaultError,
} from './fault-injecting.driver';
import type { DriverStats, DriverVolume, VolumeDriver } from './volume-driver';

const VOLUME: DriverVolume = { id: '00000000-0000-4000-8000-000000000001', size: 1 };

const STATS: DriverStats = {
  vendor_name: 'recording',
  driver_version: '0.0.1',
  storage_protocol: 'none',
  total_capacity_gb: 10,
  free_capacity_gb: 7,
  allocated_capacity_gb: 3,
  provisioned_capacity_gb: 3,
  thin_provisioning_support: false,
  thick_provisioning_support: true,
  max_over_subscription_ratio: 1,
  multiattach: false,
};

/** The buffers one after another, as a stream of image data hands them on. */
async function* streamOf(chunks: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** An in-memory VolumeDriver that records what it was asked to do. */
class RecordingDriver implements VolumeDriver {
  readonly calls: string[] = [];

  async doSetup(): Promise<void> {
    this.calls.push('setup');
  }

  async createVolume(volume: DriverVolume): Promise<void> {
    this.calls.push(`create ${volume.id} ${volume.size}`);
  }

  async deleteVolume(volume: Pick<DriverVolume, 'id'>): Promise<void> {
    this.calls.push(`delete ${volume.id}`);
  }

  async getVolumeStats(): Promise<DriverStats> {
    this.calls.push('stats');
    return STATS;
  }

  async initializeConnection(volume: Pick<DriverVolume, 'id'>, exportId: string) {
    this.calls.push(`export ${volume.id} ${exportId}`);
    return { driver_volume_type: 'local', data: { device_path: `/dev/${volume.id}` } };
  }

  async terminateConnection(volume: Pick<DriverVolume, 'id'>, exportId: string) {
    this.calls.push(`unexport ${volume.id} ${exportId}`);
  }

  async listExports(volume: Pick<DriverVolume, 'id'>) {
    this.calls.push(`exports ${volume.id}`);
    return [];
  }

  async initializeConnectionSnapshot(snapshot: { id: string }) {
    this.calls.push(`export snapshot ${snapshot.id}`);
    return { driver_volume_type: 'local', data: { device_path: `/dev/${snapshot.id}` } };
  }

  async terminateConnectionSnapshot(snapshot: { id: string }) {
    this.calls.push(`unexport snapshot ${snapshot.id}`);
  }

  async createSnapshot(snapshot: { id: string; volumeId: string }) {
    this.calls.push(`snapshot ${snapshot.volumeId} ${snapshot.id}`);
  }

  async deleteSnapshot(snapshot: { id: string }) {
    this.calls.push(`delete snapshot ${snapshot.id}`);
  }

  async createVolumeFromSnapshot(volume: DriverVolume, snapshot: { id: string }) {
    this.calls.push(`create ${volume.id} from snapshot ${snapshot.id}`);
  }

  async createClonedVolume(volume: DriverVolume, source: { id: string }) {
    this.calls.push(`clone ${source.id} to ${volume.id}`);
  }

  async revertToSnapshot(volume: DriverVolume, snapshot: { id: string }) {
    this.calls.push(`revert ${volume.id} to ${snapshot.id}`);
  }

  async extendVolume(volume: DriverVolume) {
    this.calls.push(`extend ${volume.id} ${volume.size}`);
  }

  /** When each chunk of image data arrived, in ms since the copy began. */
  readonly arrivals: number[] = [];

  async copyImageToVolume(volume: DriverVolume, data: AsyncIterable<Uint8Array>) {
    const started = Date.now();
    let bytes = 0;
    for await (const chunk of data) {
      this.arrivals.push(Date.now() - started);
      bytes += chunk.length;
    }
    this.calls.push(`copy image to ${volume.id} ${bytes}`);
    return bytes;
  }

  async clearDownload(volume: DriverVolume) {
    this.calls.push(`clear ${volume.id}`);
  }
  /** 3 MiB of a known pattern, in 64 KiB chunks. */
  readonly bytes = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 7) % 251));

  async readVolume(volume: { id: string }) {
    this.calls.push(`read ${volume.id}`);
    const chunks: Buffer[] = [];
    for (let at = 0; at < this.bytes.length; at += 64 * 1024) {
      chunks.push(this.bytes.subarray(at, at + 64 * 1024));
    }
    return { stream: Readable.from(chunks), size: this.bytes.length };
  }

  async copyVolumeData(volume: { id: string }, targetPath: string): Promise<void> {
    this.calls.push(`copy ${volume.id} ${targetPath}`);
  }
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

async function drain(stream: Readable, seen?: (bytes: number) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    seen?.(bytes);
  }
  return Buffer.concat(chunks);
}

function faults(overrides: Partial<FaultOptions> = {}): FaultOptions {
  return { failCreate: false, failureRate: 0, createDelayMs: 0, ...overrides };
}

describe('FaultInjectingDriver', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('passes creates through when no fault is configured', async () => {
    const inner = new RecordingDriver();
    await new FaultInjectingDriver(inner, faults()).createVolume(VOLUME);
    expect(inner.calls).toEqual([`create ${VOLUME.id} 1`]);
  });

  it('fails every create with failCreate, without calling the inner driver', async () => {
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(
      inner,
      faults({ failCreate: true, random: () => 0.99 }),
    );

    for (let i = 0; i < 3; i++) {
      const error = await driver.createVolume(VOLUME).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InjectedFaultError);
      expect((error as Error).name).toBe('InjectedFaultError');
      expect((error as Error).message).toContain(VOLUME.id);
    }
    expect(inner.calls).toEqual([]);
  });

  it.each([
    [0.1, true],
    [0.19, true],
    [0.2, false],
    [0.3, false],
  ])('with failureRate 0.2 and random() = %s, fails: %s', async (roll, fails) => {
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(
      inner,
      faults({ failureRate: 0.2, random: () => roll }),
    );

    const create = driver.createVolume(VOLUME);

    if (fails) {
      await expect(create).rejects.toBeInstanceOf(InjectedFaultError);
      expect(inner.calls).toEqual([]);
    } else {
      await expect(create).resolves.toBeUndefined();
      expect(inner.calls).toEqual([`create ${VOLUME.id} 1`]);
    }
  });

  it('draws a fresh random number for each create', async () => {
    const rolls = [0.5, 0.1, 0.9];
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(
      inner,
      faults({ failureRate: 0.2, random: () => rolls.shift() ?? 1 }),
    );

    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(
        await driver.createVolume(VOLUME).then(
          () => 'ok',
          (e: unknown) => (e instanceof InjectedFaultError ? 'fault' : 'other'),
        ),
      );
    }
    expect(outcomes).toEqual(['ok', 'fault', 'ok']);
    expect(inner.calls).toHaveLength(2);
  });

  it('a failureRate of 1 fails every create', async () => {
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(inner, faults({ failureRate: 1 }));
    await expect(driver.createVolume(VOLUME)).rejects.toBeInstanceOf(InjectedFaultError);
    expect(inner.calls).toEqual([]);
  });

  it('delays a create by createDelayMs before it reaches the inner driver', async () => {
    jest.useFakeTimers();
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(inner, faults({ createDelayMs: 50 }));
    let done = false;

    const create = driver.createVolume(VOLUME).then(() => {
      done = true;
    });

    await jest.advanceTimersByTimeAsync(49);
    expect(done).toBe(false);
    expect(inner.calls).toEqual([]);

    await jest.advanceTimersByTimeAsync(1);
    await create;
    expect(done).toBe(true);
    expect(inner.calls).toEqual([`create ${VOLUME.id} 1`]);
  });

  it('delays a create that then fails, so a slow failure can be staged', async () => {
    jest.useFakeTimers();
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(inner, faults({ failCreate: true, createDelayMs: 50 }));
    let settled = false;

    const create = driver.createVolume(VOLUME).finally(() => {
      settled = true;
    });
    const outcome = expect(create).rejects.toBeInstanceOf(InjectedFaultError);

    await jest.advanceTimersByTimeAsync(49);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await outcome;
    expect(settled).toBe(true);
  });

  it('really waits createDelayMs with real timers', async () => {
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(inner, faults({ createDelayMs: 50 }));
    const started = performance.now();
    await driver.createVolume(VOLUME);
    // Timers may fire up to a millisecond early due to rounding.
    expect(performance.now() - started).toBeGreaterThanOrEqual(49);
  });

  it('passes setup, delete and stats through even with every fault on', async () => {
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(
      inner,
      faults({ failCreate: true, failureRate: 1, createDelayMs: 10_000 }),
    );

    await driver.doSetup();
    await driver.deleteVolume({ id: VOLUME.id });
    await expect(driver.getVolumeStats()).resolves.toBe(STATS);

    expect(inner.calls).toEqual(['setup', `delete ${VOLUME.id}`, 'stats']);
  });

  it('passes image copies through unthrottled without imageCopyBytesPerSec', async () => {
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(inner, faults());
    const chunks = [Buffer.alloc(1000), Buffer.alloc(24)];
    await expect(driver.copyImageToVolume(VOLUME, streamOf(chunks))).resolves.toBe(1024);
    await driver.clearDownload(VOLUME);
    expect(inner.calls).toEqual([`copy image to ${VOLUME.id} 1024`, `clear ${VOLUME.id}`]);
  });

  it('holds image data to imageCopyBytesPerSec', async () => {
    jest.useFakeTimers();
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(inner, faults({ imageCopyBytesPerSec: 1000 }));
    // 4 chunks of 500 bytes at 1000 B/s: handed on at 0.5 s, 1 s, 1.5 s and 2 s.
    const copy = driver.copyImageToVolume(
      VOLUME,
      streamOf([1, 2, 3, 4].map(() => Buffer.alloc(500))),
    );
    await jest.advanceTimersByTimeAsync(1999);
    expect(inner.arrivals).toEqual([500, 1000, 1500]);
    await jest.advanceTimersByTimeAsync(1);
    await expect(copy).resolves.toBe(2000);
    expect(inner.arrivals).toEqual([500, 1000, 1500, 2000]);
  });

  it('passes a read through untouched without readDelayMs', async () => {
    const inner = new RecordingDriver();
    const read = await new FaultInjectingDriver(inner, faults()).readVolume({ id: 'v' });
    expect(read.size).toBe(inner.bytes.length);
    expect(md5(await drain(read.stream))).toBe(md5(inner.bytes));
  });

  it('holds a read back for readDelayMs once its first MiB went through, bytes unchanged', async () => {
    jest.useFakeTimers();
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(inner, faults({ readDelayMs: 1000 }));
    const read = await driver.readVolume({ id: 'v' });
    let seen = 0;
    const all = drain(read.stream, (bytes) => (seen = bytes));

    await jest.advanceTimersByTimeAsync(10);
    // Up to the chunk that crossed 1 MiB, and no further while paused.
    expect(seen).toBe(1024 * 1024);
    await jest.advanceTimersByTimeAsync(980);
    expect(seen).toBe(1024 * 1024);
    await jest.advanceTimersByTimeAsync(20);
    const bytes = await all;
    expect(bytes.length).toBe(inner.bytes.length);
    expect(md5(bytes)).toBe(md5(inner.bytes));
  });

  it("holds a migration's copy back for readDelayMs before it starts", async () => {
    jest.useFakeTimers();
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(inner, faults({ readDelayMs: 1000 }));
    const copy = driver.copyVolumeData({ id: 'v' }, '/dev/target');
    await jest.advanceTimersByTimeAsync(990);
    expect(inner.calls).toEqual([]);
    await jest.advanceTimersByTimeAsync(20);
    await copy;
    expect(inner.calls).toEqual(['copy v /dev/target']);
  });

  it('passes connections through, even when creates are set to fail', async () => {
    const inner = new RecordingDriver();
    const driver = new FaultInjectingDriver(inner, faults({ failCreate: true }));
    await driver.initializeConnection({ id: 'v' }, 'a', {}, 'rw');
    await driver.terminateConnection({ id: 'v' }, 'a');
    await driver.listExports({ id: 'v' });
    expect(inner.calls).toEqual(['export v a', 'unexport v a', 'exports v']);
  });
});
