import { mkdir, open, readdir, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { DriverStats, DriverVolume, VolumeDriver } from '../volume-driver';

export const GiB = 1024 ** 3;

export interface FileDriverOptions {
  /** Directory holding one file per volume. */
  dataDir: string;
  /** Capacity offered, in GiB; 0 = the filesystem's size. */
  capacityGb: number;
}

/**
 * Keeps each volume as a sparse file of the volume's size. Capacity is accounted thick (a
 * volume's full size counts as used) so that the scheduler's view matches what was promised,
 * and free space never exceeds what the filesystem really has.
 */
export class FileDriver implements VolumeDriver {
  constructor(private readonly options: FileDriverOptions) {}

  pathOf(volumeId: string): string {
    return join(this.options.dataDir, `volume-${volumeId}`);
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
    await rm(this.pathOf(volume.id), { force: true });
  }

  async getVolumeStats(): Promise<DriverStats> {
    const fs = await statfs(this.options.dataDir);
    const fsTotal = (fs.blocks * fs.bsize) / GiB;
    const fsFree = (fs.bavail * fs.bsize) / GiB;
    const provisioned = (await this.volumeSizes()).reduce((sum, bytes) => sum + bytes, 0) / GiB;
    const total = this.options.capacityGb > 0 ? this.options.capacityGb : Math.floor(fsTotal);
    // Sparse files use little real space, but the promise made is the full size.
    const free = Math.max(0, Math.min(total - provisioned, fsFree));
    return {
      vendor_name: 'cinderflow',
      driver_version: '1.0.0',
      storage_protocol: 'file',
      total_capacity_gb: total,
      free_capacity_gb: round2(free),
      allocated_capacity_gb: round2(provisioned),
      provisioned_capacity_gb: round2(provisioned),
      thin_provisioning_support: false,
      thick_provisioning_support: true,
      max_over_subscription_ratio: 1,
      multiattach: true,
    };
  }

  private async volumeSizes(): Promise<number[]> {
    const names = (await readdir(this.options.dataDir)).filter((n) => n.startsWith('volume-'));
    const sizes = await Promise.all(
      names.map((name) =>
        stat(join(this.options.dataDir, name)).then(
          (s) => s.size,
          () => 0, // deleted while we looked
        ),
      ),
    );
    return sizes;
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
