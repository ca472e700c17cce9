import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, readdir, stat, statfs, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDriver, GiB } from './file.driver';

const VOLUME_A = '00000000-0000-4000-8000-00000000000a';
const VOLUME_B = '00000000-0000-4000-8000-00000000000b';
const MiB = 1024 ** 2;

describe('FileDriver', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'file-driver-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  function driver(capacityGb = 10): FileDriver {
    return new FileDriver({ dataDir, capacityGb, maxOverSubscriptionRatio: 20 });
  }

  describe('doSetup', () => {
    it('creates a missing data directory, nested', async () => {
      const nested = join(dataDir, 'a', 'b');
      await new FileDriver({
        dataDir: nested,
        capacityGb: 10,
        maxOverSubscriptionRatio: 20,
      }).doSetup();
      expect((await stat(nested)).isDirectory()).toBe(true);
    });
  });

  describe('createVolume', () => {
    it('makes a sparse file of size GiB named after the volume', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 2 });

      expect(d.pathOf(VOLUME_A)).toBe(join(dataDir, `volume-${VOLUME_A}`));
      const st = await stat(d.pathOf(VOLUME_A));
      expect(st.size).toBe(2 * GiB);
      // Sparse: almost nothing is really allocated.
      expect(st.blocks * 512).toBeLessThan(GiB / 1024);
    });

    it('keeps bytes already written when the create is repeated', async () => {
      const d = driver();
      const offset = 123_456_789;
      const marker = Buffer.from('still here');
      await d.createVolume({ id: VOLUME_A, size: 1 });
      const file = await open(d.pathOf(VOLUME_A), 'r+');
      try {
        await file.write(marker, 0, marker.length, offset);
      } finally {
        await file.close();
      }

      await d.createVolume({ id: VOLUME_A, size: 1 });

      const reread = await open(d.pathOf(VOLUME_A), 'r');
      try {
        const buffer = Buffer.alloc(marker.length);
        await reread.read(buffer, 0, marker.length, offset);
        expect(buffer.toString()).toBe('still here');
        expect((await reread.stat()).size).toBe(GiB);
      } finally {
        await reread.close();
      }
    });

    it('creates a volume that reads as zeros, one file per volume', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 1 });
      const file = await open(d.pathOf(VOLUME_A), 'r');
      try {
        const buffer = Buffer.alloc(16, 0xff);
        await file.read(buffer, 0, 16, GiB - 16);
        expect(buffer.equals(Buffer.alloc(16))).toBe(true);
      } finally {
        await file.close();
      }
      expect(await readdir(dataDir)).toEqual([`volume-${VOLUME_A}`]);
    });

    it('grows a file left short by an interrupted create', async () => {
      const d = driver();
      await writeFile(d.pathOf(VOLUME_A), 'partial');
      await d.createVolume({ id: VOLUME_A, size: 1 });
      expect((await stat(d.pathOf(VOLUME_A))).size).toBe(GiB);
      const head = Buffer.alloc(7);
      const file = await open(d.pathOf(VOLUME_A), 'r');
      try {
        await file.read(head, 0, 7, 0);
      } finally {
        await file.close();
      }
      expect(head.toString()).toBe('partial');
    });
  });

  describe('deleteVolume', () => {
    it('removes the file', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 1 });
      await d.createVolume({ id: VOLUME_B, size: 1 });

      await d.deleteVolume({ id: VOLUME_A });

      await expect(stat(d.pathOf(VOLUME_A))).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await stat(d.pathOf(VOLUME_B))).size).toBe(GiB);
    });

    it('succeeds when the file is already gone', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 1 });
      await d.deleteVolume({ id: VOLUME_A });
      await expect(d.deleteVolume({ id: VOLUME_A })).resolves.toBeUndefined();
      await expect(d.deleteVolume({ id: VOLUME_B })).resolves.toBeUndefined();
    });
  });

  describe('getVolumeStats', () => {
    /** Writes `bytes` of real (non-zero) data at the start of a volume's file. */
    async function fill(d: FileDriver, volumeId: string, bytes: number): Promise<void> {
      const file = await open(d.pathOf(volumeId), 'r+');
      try {
        const chunk = Buffer.alloc(MiB, 0xab);
        for (let written = 0; written < bytes; written += MiB) {
          await file.write(chunk, 0, MiB, written);
        }
        await file.sync();
      } finally {
        await file.close();
      }
    }

    it('reports an empty backend with all of its configured capacity free', async () => {
      const stats = await driver(10).getVolumeStats();
      expect(stats).toEqual({
        vendor_name: 'cinderflow',
        driver_version: '1.0.0',
        storage_protocol: 'file',
        total_capacity_gb: 10,
        free_capacity_gb: 10,
        allocated_capacity_gb: 0,
        provisioned_capacity_gb: 0,
        thin_provisioning_support: true,
        thick_provisioning_support: false,
        max_over_subscription_ratio: 20,
        multiattach: true,
      });
    });

    it('reports the configured over-subscription ratio', async () => {
      const d = new FileDriver({ dataDir, capacityGb: 10, maxOverSubscriptionRatio: 1.5 });
      expect((await d.getVolumeStats()).max_over_subscription_ratio).toBe(1.5);
    });

    it('counts volume sizes as provisioned, but only written bytes as used (thin)', async () => {
      const d = driver(10);
      await d.createVolume({ id: VOLUME_A, size: 1 });
      await d.createVolume({ id: VOLUME_B, size: 3 });
      // Files that are not volumes do not count.
      await writeFile(join(dataDir, 'notes.txt'), 'x'.repeat(4096));

      const stats = await d.getVolumeStats();

      expect(stats.total_capacity_gb).toBe(10);
      expect(stats.provisioned_capacity_gb).toBe(4);
      expect(stats.allocated_capacity_gb).toBe(4);
      // Nothing written yet: the sparse files take (next to) no space.
      expect(stats.free_capacity_gb).toBe(10);
      expect(stats.thin_provisioning_support).toBe(true);
      expect(stats.thick_provisioning_support).toBe(false);
    });

    it('takes written data off the free space', async () => {
      const d = driver(10);
      await d.createVolume({ id: VOLUME_A, size: 1 });
      await fill(d, VOLUME_A, 64 * MiB);

      const stats = await d.getVolumeStats();

      // 10 GiB - 64 MiB = 9.9375 GiB, rounded to 2 places (block-map overhead is far below that).
      expect(stats.free_capacity_gb).toBe(9.94);
      expect(stats.provisioned_capacity_gb).toBe(1);
    });

    it('gives the space back when a volume is deleted', async () => {
      const d = driver(10);
      await d.createVolume({ id: VOLUME_A, size: 1 });
      await d.createVolume({ id: VOLUME_B, size: 3 });
      await fill(d, VOLUME_B, 64 * MiB);
      await d.deleteVolume({ id: VOLUME_B });

      const stats = await d.getVolumeStats();
      expect(stats.provisioned_capacity_gb).toBe(1);
      expect(stats.free_capacity_gb).toBe(10);
    });

    it('lets sizes exceed the capacity (over-subscription) while space is unused', async () => {
      const d = driver(2);
      await d.createVolume({ id: VOLUME_A, size: 3 });
      const stats = await d.getVolumeStats();
      expect(stats.provisioned_capacity_gb).toBe(3);
      expect(stats.free_capacity_gb).toBe(2);
    });

    it('never reports negative free space when more is written than the capacity', async () => {
      // A capacity of 0.01 GiB (~10 MiB) keeps the test from writing gigabytes.
      const d = driver(0.01);
      await d.createVolume({ id: VOLUME_A, size: 1 });
      await fill(d, VOLUME_A, 16 * MiB);
      expect((await d.getVolumeStats()).free_capacity_gb).toBe(0);
    });

    it('caps free space at what the filesystem really has', async () => {
      const fs = await statfs(dataDir);
      const fsFreeGb = (fs.bavail * fs.bsize) / GiB;
      // Far more than any test machine has.
      const capacityGb = Math.ceil(fsFreeGb) * 1000 + 1000;

      const stats = await driver(capacityGb).getVolumeStats();

      expect(stats.total_capacity_gb).toBe(capacityGb);
      expect(stats.free_capacity_gb).toBeLessThan(capacityGb);
      // Other processes may write meanwhile: allow 1 GiB of drift.
      expect(Math.abs(stats.free_capacity_gb - fsFreeGb)).toBeLessThan(1);
    });

    it('uses the filesystem size when capacityGb is 0', async () => {
      const fs = await statfs(dataDir);
      const fsTotalGb = (fs.blocks * fs.bsize) / GiB;

      const stats = await driver(0).getVolumeStats();

      expect(stats.total_capacity_gb).toBeGreaterThan(0);
      expect(Number.isInteger(stats.total_capacity_gb)).toBe(true);
      expect(stats.total_capacity_gb).toBe(Math.floor(fsTotalGb));
      expect(stats.free_capacity_gb).toBeLessThanOrEqual(stats.total_capacity_gb);
    });
  });

  describe('snapshots, clones, revert and extend', () => {
    const SNAP = '00000000-0000-4000-8000-0000000000c1';

    async function writeAt(path: string, offset: number, text: string): Promise<void> {
      const file = await open(path, 'r+');
      await file.write(Buffer.from(text), 0, text.length, offset);
      await file.close();
    }

    async function readAt(path: string, offset: number, length: number): Promise<string> {
      const file = await open(path, 'r');
      const buffer = Buffer.alloc(length);
      await file.read(buffer, 0, length, offset);
      await file.close();
      return buffer.toString();
    }

    it('a snapshot keeps the bytes of its moment; clone, revert and create-from-snapshot copy them', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 1 });
      await writeAt(d.pathOf(VOLUME_A), 5 * MiB, 'before');
      await d.createSnapshot({ id: SNAP, volumeId: VOLUME_A });
      await writeAt(d.pathOf(VOLUME_A), 5 * MiB, 'after!');

      expect(await readAt(d.snapshotPathOf(SNAP), 5 * MiB, 6)).toBe('before');
      // Holes stay holes: a 1 GiB snapshot of a few written bytes takes next to no space.
      expect((await stat(d.snapshotPathOf(SNAP))).blocks * 512).toBeLessThan(2 * MiB);

      await d.createClonedVolume({ id: VOLUME_B, size: 2 }, { id: VOLUME_A });
      expect(await readAt(d.pathOf(VOLUME_B), 5 * MiB, 6)).toBe('after!');
      expect((await stat(d.pathOf(VOLUME_B))).size).toBe(2 * GiB);

      const fromSnap = '00000000-0000-4000-8000-0000000000d1';
      await d.createVolumeFromSnapshot({ id: fromSnap, size: 1 }, { id: SNAP });
      expect(await readAt(d.pathOf(fromSnap), 5 * MiB, 6)).toBe('before');

      await d.extendVolume({ id: VOLUME_A, size: 3 });
      await d.revertToSnapshot({ id: VOLUME_A, size: 3 }, { id: SNAP });
      expect(await readAt(d.pathOf(VOLUME_A), 5 * MiB, 6)).toBe('before');
      expect((await stat(d.pathOf(VOLUME_A))).size).toBe(3 * GiB);

      await d.deleteSnapshot({ id: SNAP });
      await d.deleteSnapshot({ id: SNAP });
      expect((await readdir(dataDir)).some((n) => n.startsWith('snapshot-'))).toBe(false);
    });

    it('a repeated snapshot or create-from-snapshot changes nothing', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 1 });
      await writeAt(d.pathOf(VOLUME_A), 0, 'one');
      await d.createSnapshot({ id: SNAP, volumeId: VOLUME_A });
      await writeAt(d.pathOf(VOLUME_A), 0, 'two');
      await d.createSnapshot({ id: SNAP, volumeId: VOLUME_A });
      expect(await readAt(d.snapshotPathOf(SNAP), 0, 3)).toBe('one');
    });

    it('extend never shrinks', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 2 });
      await d.extendVolume({ id: VOLUME_A, size: 1 });
      expect((await stat(d.pathOf(VOLUME_A))).size).toBe(2 * GiB);
    });
  });

  describe('copyImageToVolume and clearDownload', () => {
    async function readAll(path: string, length: number): Promise<Buffer> {
      const file = await open(path, 'r');
      try {
        const bytes = Buffer.alloc(length);
        await file.read(bytes, 0, length, 0);
        return bytes;
      } finally {
        await file.close();
      }
    }

    /** The data in chunks of `size` bytes, as a download hands it on. */
    async function* chunks(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
    }

    it('writes the image at the start of the volume; the rest stays zeros, sparse', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 1 });
      // 3 MiB + 5: random, a run of zeros a whole block long, random; odd-sized chunks.
      const image = Buffer.concat([
        Buffer.alloc(MiB, 7),
        Buffer.alloc(MiB),
        Buffer.from(Array.from({ length: MiB + 5 }, (_, i) => (i * 31) % 251)),
      ]);
      await expect(
        d.copyImageToVolume({ id: VOLUME_A, size: 1 }, chunks(image, 65_537)),
      ).resolves.toBe(image.length);
      const st = await stat(d.pathOf(VOLUME_A));
      expect(st.size).toBe(GiB);
      expect(
        (await readAll(d.pathOf(VOLUME_A), image.length + 4096)).equals(
          Buffer.concat([image, Buffer.alloc(4096)]),
        ),
      ).toBe(true);
      // The zero block was left a hole: less than the image's 3 MiB is allocated.
      expect(st.blocks * 512).toBeLessThan(2 * MiB + 64 * 1024);
    });

    it('leaves nothing of what the volume held before', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 1 });
      const file = await open(d.pathOf(VOLUME_A), 'r+');
      await file.write(Buffer.alloc(4096, 9), 0, 4096, 0);
      await file.write(Buffer.from('old'), 0, 3, 100 * MiB);
      await file.close();
      await d.copyImageToVolume({ id: VOLUME_A, size: 1 }, chunks(Buffer.alloc(8192), 4096));
      expect((await readAll(d.pathOf(VOLUME_A), 8192)).equals(Buffer.alloc(8192))).toBe(true);
      const far = await open(d.pathOf(VOLUME_A), 'r');
      const old = Buffer.alloc(3, 1);
      await far.read(old, 0, 3, 100 * MiB);
      await far.close();
      expect(old.equals(Buffer.alloc(3))).toBe(true);
    });

    it('fails with the source when the data stops coming mid-way', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 1 });
      async function* cutShort(): AsyncGenerator<Uint8Array> {
        yield Buffer.alloc(MiB, 3);
        yield Buffer.alloc(MiB, 4);
        throw new Error('terminated');
      }
      await expect(d.copyImageToVolume({ id: VOLUME_A, size: 1 }, cutShort())).rejects.toThrow(
        'terminated',
      );
    });

    it('refuses data larger than the volume', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 1 });
      // Zeros, so that the GiB before the refusal costs no disk writes.
      async function* tooMuch(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i <= 1024; i++) yield Buffer.alloc(MiB);
      }
      await expect(d.copyImageToVolume({ id: VOLUME_A, size: 1 }, tooMuch())).rejects.toThrow(
        /exceeds the volume's 1 GiB/,
      );
    });

    it('clearDownload leaves the volume its size, all zeros; a missing one is no error', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 2 });
      await d.copyImageToVolume({ id: VOLUME_A, size: 2 }, chunks(Buffer.alloc(MiB, 5), MiB));
      await d.clearDownload({ id: VOLUME_A, size: 2 });
      const st = await stat(d.pathOf(VOLUME_A));
      expect(st.size).toBe(2 * GiB);
      expect(st.blocks).toBe(0);
      await expect(d.clearDownload({ id: VOLUME_B, size: 1 })).resolves.toBeUndefined();
      await expect(stat(d.pathOf(VOLUME_B))).rejects.toThrow(/ENOENT/);
    });
  });

  describe('readVolume', () => {
    it('streams every byte of the volume file, holes as zeros', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 1 });
      const file = await open(d.pathOf(VOLUME_A), 'r+');
      await file.write('head', 0);
      await file.write('tail', GiB - 4);
      await file.close();

      const { stream, size } = await d.readVolume({ id: VOLUME_A });
      expect(size).toBe(GiB);
      let total = 0;
      let first: Buffer | null = null;
      let last: Buffer | null = null;
      for await (const chunk of stream) {
        first ??= chunk as Buffer;
        last = chunk as Buffer;
        total += (chunk as Buffer).length;
      }
      expect(total).toBe(GiB);
      expect(first!.subarray(0, 5)).toEqual(Buffer.from('head\0'));
      expect(last!.subarray(-4).toString()).toBe('tail');
    });

    it('refuses a volume that is not there', async () => {
      await expect(driver().readVolume({ id: VOLUME_B })).rejects.toThrow(/ENOENT/);
    });
  });

  describe('copyVolumeData', () => {
    it('copies the data into a fresh target at the same offsets, the holes staying holes', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 2 });
      const data = randomBytes(3 * 1024 * 1024 + 5);
      const file = await open(d.pathOf(VOLUME_A), 'r+');
      await file.write(data, 0, data.length, GiB - 1000);
      await file.write('tail', 2 * GiB - 4);
      await file.close();
      const target = join(dataDir, 'target');
      await writeFile(target, '');
      await truncate(target, 2 * GiB);

      await d.copyVolumeData({ id: VOLUME_A }, target);
      const copy = await open(target, 'r');
      try {
        const back = Buffer.alloc(data.length);
        await copy.read(back, 0, back.length, GiB - 1000);
        expect(back.equals(data)).toBe(true);
        const tail = Buffer.alloc(4);
        await copy.read(tail, 0, 4, 2 * GiB - 4);
        expect(tail.toString()).toBe('tail');
        const { size, blocks } = await copy.stat();
        expect(size).toBe(2 * GiB);
        expect(blocks * 512).toBeLessThan(8 * 1024 * 1024);
      } finally {
        await copy.close();
      }
    });
  });

  describe('initializeConnectionSnapshot', () => {
    const SNAPSHOT = '00000000-0000-4000-8000-0000000000c1';

    it('describes the snapshot file, read-only, for a backup to read', async () => {
      const d = driver();
      await d.createVolume({ id: VOLUME_A, size: 1 });
      await d.createSnapshot({ id: SNAPSHOT, volumeId: VOLUME_A });
      expect(await d.initializeConnectionSnapshot({ id: SNAPSHOT })).toEqual({
        driver_volume_type: 'local',
        data: { device_path: d.snapshotPathOf(SNAPSHOT), snapshot_id: SNAPSHOT, access_mode: 'ro' },
      });
      await d.terminateConnectionSnapshot();
    });

    it('refuses a snapshot that is not there', async () => {
      await expect(driver().initializeConnectionSnapshot({ id: SNAPSHOT })).rejects.toThrow(
        /ENOENT/,
      );
    });
  });
});
