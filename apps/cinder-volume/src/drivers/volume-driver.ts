import type { Readable } from 'node:stream';

/** The volume as a driver sees it. */
export interface DriverVolume {
  id: string;
  /** GiB */
  size: number;
}

/** A snapshot as a driver sees it. */
export interface DriverSnapshot {
  id: string;
  volumeId: string;
}

/** What a backend reports to the schedulers (a subset of Cinder's get_volume_stats). */
export interface DriverStats {
  vendor_name: string;
  driver_version: string;
  storage_protocol: string;
  total_capacity_gb: number;
  free_capacity_gb: number;
  allocated_capacity_gb: number;
  provisioned_capacity_gb: number;
  thin_provisioning_support: boolean;
  thick_provisioning_support: boolean;
  max_over_subscription_ratio: number;
  multiattach: boolean;
}

/** os-brick's connection description: how a consumer reaches the volume's bytes. */
export interface DriverConnection {
  driver_volume_type: string;
  data: Record<string, unknown>;
}

/**
 * A storage backend. Every method is idempotent: a message delivered twice, or work resumed
 * after a crash, may call it again for the same volume. Backup hooks come with their flow.
 */
export interface VolumeDriver {
  /** Checks the storage is usable; the service does not take work until it is. */
  doSetup(): Promise<void>;
  createVolume(volume: DriverVolume): Promise<void>;
  /** Removes the volume's bytes; a volume that is already gone is not an error. */
  deleteVolume(volume: Pick<DriverVolume, 'id'>): Promise<void>;
  getVolumeStats(): Promise<DriverStats>;
  /** Makes the volume reachable for a consumer (one export per attachment or connector). */
  initializeConnection(
    volume: Pick<DriverVolume, 'id'>,
    exportId: string,
    connector: Record<string, unknown>,
    mode: 'rw' | 'ro',
  ): Promise<DriverConnection>;
  /** Removes that export; one already gone is not an error. */
  terminateConnection(volume: Pick<DriverVolume, 'id'>, exportId: string): Promise<void>;
  /** The exports a volume still has. */
  listExports(volume: Pick<DriverVolume, 'id'>): Promise<string[]>;

  /** A point-in-time copy of the volume's bytes that later writes to the volume do not change. */
  createSnapshot(snapshot: DriverSnapshot): Promise<void>;
  /** Removes the snapshot's bytes; one already gone is not an error. */
  deleteSnapshot(snapshot: Pick<DriverSnapshot, 'id'>): Promise<void>;
  /** Makes the snapshot's bytes readable for a consumer (a backup), as a connection. */
  initializeConnectionSnapshot(snapshot: Pick<DriverSnapshot, 'id'>): Promise<DriverConnection>;
  /** Ends that; nothing to end is not an error. */
  terminateConnectionSnapshot(snapshot: Pick<DriverSnapshot, 'id'>): Promise<void>;
  /** A new volume holding the snapshot's bytes (then grown to the volume's size). */
  createVolumeFromSnapshot(
    volume: DriverVolume,
    snapshot: Pick<DriverSnapshot, 'id'>,
  ): Promise<void>;
  /** A new volume holding the source volume's bytes as they are now (then grown). */
  createClonedVolume(volume: DriverVolume, source: Pick<DriverVolume, 'id'>): Promise<void>;
  /** The volume's bytes become the snapshot's again; the volume keeps its (larger) size. */
  revertToSnapshot(volume: DriverVolume, snapshot: Pick<DriverSnapshot, 'id'>): Promise<void>;
  /** Grows the volume to `volume.size` GiB; never shrinks. */
  extendVolume(volume: DriverVolume): Promise<void>;
  /**
   * The volume's bytes, all of them (`size` bytes), as a stream to read once (Cinder's
   * copy_volume_to_image reads the volume the same way, through a local attach).
   */
  readVolume(volume: Pick<DriverVolume, 'id'>): Promise<{ stream: Readable; size: number }>;

  /**
   * Cinder's copy_volume_data, for a generic migration: the volume's bytes into `targetPath`, a
   * fresh (all-zero) volume of the same size that another backend exported to this host.
   */
  copyVolumeData(volume: Pick<DriverVolume, 'id'>, targetPath: string): Promise<void>;

  /**
   * Cinder's copy_image_to_volume for raw data: the volume (made by createVolume) holds the
   * image's bytes from its start, the rest zeros, whatever it held before. Returns the bytes
   * written; data beyond the volume's size is refused (ImageTooBigError).
   */
  copyImageToVolume(volume: DriverVolume, data: AsyncIterable<Uint8Array>): Promise<number>;
  /**
   * Cinder's clear_download: a download that did not finish leaves no bytes in the volume (it
   * keeps its size, all zeros). A volume that is gone is not an error.
   */
  clearDownload(volume: DriverVolume): Promise<void>;
}

/** The image's data does not fit the volume (Cinder's ImageTooBig). */
export class ImageTooBigError extends Error {
  override name = 'ImageTooBigError';
}

export const VOLUME_DRIVER = Symbol('VOLUME_DRIVER');
