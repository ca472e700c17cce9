import type { VolumeConfig } from '@cinderflow/config';

/** `host@backend`, the name of this cinder-volume in `services` and in its queue. */
export function serviceHostOf(config: VolumeConfig): string {
  return `${config.SERVICE_HOST}@${config.VOLUME_BACKEND}`;
}

/** The backend's name as volume types match it (`volume_backend_name`). */
export function backendNameOf(config: VolumeConfig): string {
  return config.VOLUME_BACKEND_NAME || config.VOLUME_BACKEND;
}

export const VOLUME_SERVICE = Symbol('VOLUME_SERVICE');

/** What the manager's parts need to know about the service they run in. */
export interface VolumeServiceInfo {
  serviceHost: string;
  backendName: string;
  availabilityZone: string;
}
