/** The volume as a driver sees it. */
export interface DriverVolume {
  id: string;
  /** GiB */
  size: number;
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

/**
 * A storage backend. Every method is idempotent: a message delivered twice, or work resumed
 * after a crash, may call it again for the same volume. Attach and backup hooks come with
 * their flows.
 */
export interface VolumeDriver {
  /** Checks the storage is usable; the service does not take work until it is. */
  doSetup(): Promise<void>;
  createVolume(volume: DriverVolume): Promise<void>;
  /** Removes the volume's bytes; a volume that is already gone is not an error. */
  deleteVolume(volume: Pick<DriverVolume, 'id'>): Promise<void>;
  getVolumeStats(): Promise<DriverStats>;
}

export const VOLUME_DRIVER = Symbol('VOLUME_DRIVER');
