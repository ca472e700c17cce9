/**
 * Queue and exchange names, after Cinder's topics. Every name gets the deployment's prefix
 * (empty by default) so that test runs can share one broker without seeing each other.
 */
export const Binaries = {
  api: 'cinder-api',
  scheduler: 'cinder-scheduler',
  volume: 'cinder-volume',
  backup: 'cinder-backup',
} as const;

export type Binary = (typeof Binaries)[keyof Binaries];
type Binaries = typeof Binaries;

/** Where a message goes: a (durable, competing-consumers) queue or a fanout exchange. */
export type Destination =
  | { readonly kind: 'queue'; readonly name: string }
  | { readonly kind: 'fanout'; readonly name: string };

export const Destinations = {
  /** All schedulers compete for this queue. */
  scheduler: (): Destination => ({ kind: 'queue', name: Binaries.scheduler }),
  /** Every scheduler hears every capability report. */
  schedulerFanout: (): Destination => ({ kind: 'fanout', name: `${Binaries.scheduler}_fanout` }),
  /** One queue per volume backend: `cinder-volume.<host>@<backend>`. */
  volume: (serviceHost: string): Destination => ({
    kind: 'queue',
    name: `${Binaries.volume}.${serviceHost}`,
  }),
  /** Every cinder-volume hears this (e.g. a new scheduler asking for capabilities). */
  volumeFanout: (): Destination => ({ kind: 'fanout', name: `${Binaries.volume}_fanout` }),
  /** Any backup service (new backups). */
  backup: (): Destination => ({ kind: 'queue', name: Binaries.backup }),
  /** The backup service on one host (restores and deletes of the backups it holds). */
  backupHost: (host: string): Destination => ({
    kind: 'queue',
    name: `${Binaries.backup}.${host}`,
  }),
  /**
   * One service's own queue, `<binary>.<host>` (Cinder's topic.host): the same queue as
   * volume(host) and backupHost(host) for those binaries.
   */
  service: (binary: string, host: string): Destination => ({
    kind: 'queue',
    name: `${binary}.${host}`,
  }),
} as const;

/** `host@backend#pool` → `host@backend`, Cinder's volume_utils.extract_host(level='backend'). */
export function backendOf(volumeHost: string): string {
  return volumeHost.split('#')[0];
}
