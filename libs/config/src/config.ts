import { hostname } from 'node:os';
import { bool, cleanEnv, num, port, str, url, makeValidator, type CleanedEnv } from 'envalid';
import { parseStorageQuota } from './storage-units';

/** Thrown when the environment does not describe a runnable service; lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: Record<string, string>) {
    super(
      `Invalid configuration:\n${Object.entries(problems)
        .map(([key, problem]) => `  ${key}: ${problem}`)
        .join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

const positiveInt = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error('must be a positive integer');
  }
  return value;
});

const ratio = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new Error('must be a number from 0 to 1');
  }
  return value;
});

const positiveNumber = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error('must be a number > 0');
  }
  return value;
});

const nonNegativeInt = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error('must be an integer ≥ 0');
  }
  return value;
});

/** An integer, negative allowed (Glance's quotas: below 0 means unlimited). */
const integer = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isInteger(value)) {
    throw new Error('must be an integer');
  }
  return value;
});

/** A comma-separated list of names (Glance's ListOpt), at least one. */
const nameList = makeValidator<string[]>((input) => {
  const names = input
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.length === 0) throw new Error('must name at least one');
  return names;
});

/** A name that can stand in `host@backend` and in queue names. */
const hostPart = makeValidator<string>((input) => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(input)) {
    throw new Error('must be letters, digits, dot, dash or underscore');
  }
  return input;
});

export const commonSpec = {
  DATABASE_URL: url({
    default: 'postgres://postgres@127.0.0.1:5432/cinderflow',
    desc: 'PostgreSQL URL',
  }),
  AMQP_URL: url({ default: 'amqp://guest:guest@127.0.0.1:5672', desc: 'RabbitMQ URL' }),
  AMQP_PREFIX: str({ default: '', desc: 'prefix of every queue and exchange name' }),
  AMQP_PREFETCH: positiveInt({ default: 10 }),
  LOG_LEVEL: str({
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  }),
  /** The machine's name in `services.host` (Cinder's CONF.host). */
  SERVICE_HOST: hostPart({ default: hostname().split('.')[0] || 'localhost' }),
  /** Cinder's storage_availability_zone. */
  AVAILABILITY_ZONE: str({ default: 'nova' }),
  REPORT_INTERVAL_S: positiveInt({ default: 10, desc: 'heartbeat period' }),
  SERVICE_DOWN_TIME_S: positiveInt({ default: 60 }),
  /**
   * Fault injection, for testing: the share of outgoing casts the outbox relay publishes twice,
   * the copy after a random delay of up to a second (a duplicated and reordered delivery).
   */
  FAULT_DUPLICATE_CASTS: ratio({ default: 0 }),
};

/**
 * How the APIs know their callers: Cinder's noauth (`X-Auth-Token: user:project`, an admin) or
 * Keystone tokens, validated as keystonemiddleware does with the service user its
 * `[keystone_authtoken]` options name.
 */
export const authSpec = {
  AUTH_STRATEGY: str({ default: 'noauth', choices: ['noauth', 'keystone'] }),
  KEYSTONE_AUTH_URL: str({ default: '' }),
  KEYSTONE_USERNAME: str({ default: '' }),
  KEYSTONE_PASSWORD: str({ default: '' }),
  KEYSTONE_PROJECT_NAME: str({ default: 'service' }),
  KEYSTONE_USER_DOMAIN_NAME: str({ default: 'Default' }),
  KEYSTONE_PROJECT_DOMAIN_NAME: str({ default: 'Default' }),
  /** Validated tokens kept in memory (each until it expires). */
  KEYSTONE_TOKEN_CACHE_SIZE: positiveInt({ default: 10_000 }),
};

/**
 * Cinder's no_snapshot_gb_quota: snapshots count against `snapshots` only, not `gigabytes`. The
 * API reserves and cinder-volume releases, so both read it.
 */
export const snapshotQuotaSpec = {
  NO_SNAPSHOT_GB_QUOTA: bool({ default: false }),
};

export const apiSpec = {
  ...commonSpec,
  ...snapshotQuotaSpec,
  ...authSpec,
  /**
   * An oslo.policy file (YAML or JSON) whose rules replace Cinder's defaults by name; empty:
   * the defaults alone. A file that cannot be read or parsed stops cinder-api.
   */
  POLICY_FILE: str({ default: '' }),
  API_LISTEN: str({ default: '127.0.0.1' }),
  API_PORT: port({ default: 8776 }),
  /** Cinder's default_availability_zone; the storage AZ when empty. */
  DEFAULT_AVAILABILITY_ZONE: str({ default: '' }),
  OSAPI_MAX_LIMIT: positiveInt({ default: 1000 }),
  /** Cinder's glance_api_servers: the image service volumes are made from and uploaded to. */
  GLANCE_API_URL: url({ default: 'http://127.0.0.1:9292' }),
  /**
   * Cinder's enable_force_upload: `force` uploads an in-use volume to an image. Off by
   * default, as in Cinder (a forced upload of a volume in use copies bytes still changing).
   */
  ENABLE_FORCE_UPLOAD: bool({ default: false }),
  /** Largest volume size accepted, in GiB (Cinder's DB limit). */
  MAX_VOLUME_SIZE_GB: positiveInt({ default: 2_147_483_647 }),
  /** Cinder's quota defaults (quota_volumes, ...; -1 is unlimited); the `default` quota class overrides them. */
  QUOTA_VOLUMES: integer({ default: 10 }),
  QUOTA_SNAPSHOTS: integer({ default: 10 }),
  QUOTA_GIGABYTES: integer({ default: 1000 }),
  QUOTA_BACKUPS: integer({ default: 10 }),
  QUOTA_BACKUP_GIGABYTES: integer({ default: 1000 }),
  QUOTA_GROUPS: integer({ default: 10 }),
  PER_VOLUME_SIZE_LIMIT: integer({ default: -1 }),
};

/** cinder-manage: the database, and how usage is recounted. */
export const manageSpec = {
  DATABASE_URL: commonSpec.DATABASE_URL,
  /** Cinder's no_snapshot_gb_quota: snapshots do not count towards gigabytes. */
  NO_SNAPSHOT_GB_QUOTA: bool({ default: false }),
};

export const schedulerSpec = {
  ...commonSpec,
  SCHEDULER_MAX_ATTEMPTS: positiveInt({ default: 3 }),
  CAPACITY_WEIGHT_MULTIPLIER: num({ default: 1.0 }),
  /**
   * Cinder's reservation_clean_interval: seconds between passes that roll back quota
   * reservations past their expiry (default reservation_expire, a day).
   */
  RESERVATION_CLEAN_INTERVAL_S: positiveInt({ default: 86_400 }),
};

export const volumeSpec = {
  ...commonSpec,
  ...snapshotQuotaSpec,
  /** The backend section name: the service host is `SERVICE_HOST@VOLUME_BACKEND`. */
  VOLUME_BACKEND: hostPart({ default: 'file-1' }),
  /** Reported `volume_backend_name`; the backend section name when empty. */
  VOLUME_BACKEND_NAME: str({ default: '' }),
  VOLUME_DRIVER: str({ default: 'file', choices: ['file'] }),
  /** Cinder's glance_api_servers. */
  GLANCE_API_URL: url({ default: 'http://127.0.0.1:9292' }),
  /** Cinder's glance_num_retries: more tries, a second apart, of a call glance-api did not answer. */
  GLANCE_NUM_RETRIES: nonNegativeInt({ default: 3 }),
  /** Where the file driver keeps volume files. */
  VOLUME_DATA_DIR: str({ default: './var/volumes' }),
  /** Capacity the backend offers, in GiB; 0 means the filesystem's size. */
  VOLUME_CAPACITY_GB: nonNegativeInt({ default: 0 }),
  RESERVED_PERCENTAGE: nonNegativeInt({ default: 0 }),
  /** Thin provisioning: provisioned sizes may reach this many times the capacity (Cinder: 20). */
  MAX_OVER_SUBSCRIPTION_RATIO: positiveNumber({ default: 20 }),
  CAPABILITY_REPORT_INTERVAL_S: positiveInt({ default: 10 }),
  /** Testing aids: make creates fail (always, or at a rate) or take longer. */
  DRIVER_FAIL_CREATE: bool({ default: false }),
  /** Testing aid: every extend fails in the driver. */
  DRIVER_FAIL_EXTEND: bool({ default: false }),
  DRIVER_FAILURE_RATE: ratio({ default: 0 }),
  DRIVER_CREATE_DELAY_MS: nonNegativeInt({ default: 0 }),
  DRIVER_ATTACH_DELAY_MS: nonNegativeInt({ default: 0 }),
  /** Testing aid: image data is written into volumes at most this many bytes a second (0: no limit). */
  DRIVER_IMAGE_COPY_BPS: nonNegativeInt({ default: 0 }),
  /**
   * Testing aid: a read of a volume's bytes (upload to image) pauses this long after 1 MiB; a
   * migration's copy, before it starts.
   */
  DRIVER_READ_DELAY_MS: nonNegativeInt({ default: 0 }),
};

export const backupSpec = {
  ...commonSpec,
  /** The backup repository (Cinder's posix driver: backup_posix_path). */
  BACKUP_DIR: str({ default: './var/backups' }),
  /** Bytes per stored chunk; a multiple of 4096. */
  BACKUP_CHUNK_SIZE: positiveInt({ default: 1024 * 1024 }),
  BACKUP_COMPRESSION: str({ default: 'zlib', choices: ['zlib', 'none'] }),
  /** Testing aid: each backup and restore pauses this long after its first chunk, mid-way. */
  BACKUP_DRIVER_DELAY_MS: nonNegativeInt({ default: 0 }),
};

/** One of Glance's file stores: its id and its directory. */
export interface FileStoreConfig {
  id: string;
  dir: string;
}

/**
 * Glance's `enabled_backends` for file stores: `id:directory` pairs, comma-separated. The first
 * is the default store unless GLANCE_DEFAULT_STORE names another.
 */
const fileStores = makeValidator<FileStoreConfig[]>((input) => {
  const stores = input
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const at = entry.indexOf(':');
      const id = at > 0 ? entry.slice(0, at) : '';
      const dir = at > 0 ? entry.slice(at + 1) : '';
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(id) || dir.length === 0) {
        throw new Error(`"${entry}" is not id:directory`);
      }
      return { id, dir };
    });
  if (stores.length === 0) throw new Error('names no store');
  if (new Set(stores.map((s) => s.id)).size !== stores.length)
    throw new Error('repeats a store id');
  return stores;
});

/** `{"store-id": "description", ...}`: Glance's per-store `store_description`. */
const storeDescriptions = makeValidator<Record<string, string>>((input) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch {
    throw new Error('must be a JSON object of store id to description');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('must be a JSON object of store id to description');
  }
  for (const [id, description] of Object.entries(parsed)) {
    if (typeof description !== 'string') throw new Error(`the description of ${id} is no string`);
  }
  return parsed as Record<string, string>;
});

/** What glance-api, the scrubber and the task worker share: the stores and delete policy. */
export const glanceCommonSpec = {
  ...commonSpec,
  GLANCE_STORES: fileStores({
    default: [
      { id: 'file1', dir: './var/images/file1' },
      { id: 'file2', dir: './var/images/file2' },
    ],
    desc: 'id:directory,... (default file1:./var/images/file1,file2:./var/images/file2)',
  }),
  GLANCE_DEFAULT_STORE: str({ default: '' }),
  /**
   * Each store's `store_description` (what `/v2/info/stores` shows), as a JSON object by store
   * id: `{"file1":"Fast local disk"}`. A store without one is listed without a description.
   */
  GLANCE_STORE_DESCRIPTIONS: storeDescriptions({ default: {} }),
  /**
   * glance_store's filesystem_thin_provisioning: runs of zeros in uploaded data are left as holes
   * instead of written (the image reads the same, takes only the space of its data).
   */
  GLANCE_FILESYSTEM_THIN_PROVISIONING: bool({ default: false }),
  /** Glance's delayed_delete: deleting an image leaves its data for the scrubber. */
  GLANCE_DELAYED_DELETE: bool({ default: false }),
  /** Glance's scrub_time: seconds a pending_delete location waits before it is scrubbed. */
  GLANCE_SCRUB_TIME_S: nonNegativeInt({ default: 0 }),
};

/** user_storage_quota with Glance's units, as bytes. */
const storageQuota = makeValidator<number>((input) => parseStorageQuota(String(input)));

/** A Keystone unified limit: a count (or MiB) ≥ 0, or -1 for unlimited. */
const unifiedLimit = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isInteger(value) || value < -1) {
    throw new Error('must be an integer ≥ 0, or -1 for unlimited');
  }
  return value;
});

/** A comma-separated list (empty: none). */
const list = makeValidator<string[]>((input) =>
  input
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/** A comma-separated list of TCP ports (empty: none). */
const portList = makeValidator<number[]>((input) =>
  input
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      const value = Number(item);
      if (!Number.isInteger(value) || value < 1 || value > 65535) {
        throw new Error(`"${item}" is not a port (1-65535)`);
      }
      return value;
    }),
);

/**
 * Glance's [import_filtering_opts]: which `import_from` URLs a task may fetch. An allow-list
 * wins over its deny-list; the defaults are Glance's (http and https, ports 80 and 443).
 */
export const glanceImportFilterSpec = {
  GLANCE_IMPORT_ALLOWED_SCHEMES: list({ default: ['http', 'https'] }),
  GLANCE_IMPORT_DISALLOWED_SCHEMES: list({ default: [] }),
  GLANCE_IMPORT_ALLOWED_HOSTS: list({ default: [] }),
  GLANCE_IMPORT_DISALLOWED_HOSTS: list({ default: [] }),
  GLANCE_IMPORT_ALLOWED_PORTS: portList({ default: [80, 443] }),
  GLANCE_IMPORT_DISALLOWED_PORTS: portList({ default: [] }),
};

/**
 * The quotas image data is held to, wherever it is written: glance-api's uploads and the task
 * worker's imports (Glance runs both in glance-api, under the same options).
 */
export const glanceQuotaSpec = {
  /**
   * Glance's user_storage_quota per project, in bytes once parsed: `0` (none), plain bytes, or
   * with a binary unit (`10GB`, `1TB`; B, KB, MB, GB, TB). Ignored with GLANCE_USE_KEYSTONE_LIMITS.
   */
  GLANCE_USER_STORAGE_QUOTA: storageQuota({ default: 0 }),
  /**
   * Glance's use_keystone_limits: the project limits below (Keystone's unified limits
   * image_size_total in MiB, image_count_total, image_count_uploading; -1 unlimited) replace
   * user_storage_quota. Here they are the same for every project (registered limits).
   */
  GLANCE_USE_KEYSTONE_LIMITS: bool({ default: false }),
  GLANCE_LIMIT_IMAGE_SIZE_TOTAL: unifiedLimit({ default: -1 }),
  GLANCE_LIMIT_IMAGE_COUNT_TOTAL: unifiedLimit({ default: -1 }),
  GLANCE_LIMIT_IMAGE_COUNT_UPLOADING: unifiedLimit({ default: -1 }),
  /**
   * Seconds an upload's reservation of quota holds without news from its upload (Cinder's
   * reservation_expire); a glance-api killed mid-upload gives its reservations back after it.
   */
  GLANCE_UPLOAD_RESERVATION_EXPIRE_S: positiveInt({ default: 86_400 }),
};

export const glanceApiSpec = {
  ...glanceCommonSpec,
  ...glanceQuotaSpec,
  ...authSpec,
  ...glanceImportFilterSpec,
  /**
   * An oslo.policy file (YAML or JSON) whose rules replace Glance's default policies by name;
   * empty: Glance's defaults. A file that cannot be read or used stops glance-api at start.
   */
  GLANCE_POLICY_FILE: str({ default: '' }),
  /**
   * Glance's tasks_api_access policy: admins only (Glance's default), or every caller (`@`);
   * GLANCE_POLICY_FILE may set the rule itself.
   */
  GLANCE_TASKS_API_ACCESS: str({ default: 'admin', choices: ['admin', 'everyone'] }),
  GLANCE_LISTEN: str({ default: '127.0.0.1' }),
  GLANCE_PORT: port({ default: 9292 }),
  /** Glance's show_multiple_locations and show_image_direct_url. */
  GLANCE_SHOW_MULTIPLE_LOCATIONS: bool({ default: false }),
  GLANCE_SHOW_DIRECT_URL: bool({ default: false }),
  /** Glance's image_size_cap (1 TiB). */
  GLANCE_IMAGE_SIZE_CAP: positiveInt({ default: 1099511627776 }),
  /** Glance's image_location_quota: locations an image may have; negative means no limit. */
  GLANCE_IMAGE_LOCATION_QUOTA: integer({ default: 10 }),
  GLANCE_API_LIMIT_MAX: positiveInt({ default: 1000 }),
  /** Glance's image_member_quota: members per image; negative means no limit. */
  GLANCE_IMAGE_MEMBER_QUOTA: integer({ default: 128 }),
  GLANCE_LIMIT_PARAM_DEFAULT: positiveInt({ default: 25 }),
  /** Glance's [image_format] disk_formats and container_formats (the image schema's enums). */
  GLANCE_DISK_FORMATS: nameList({
    default: ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'],
  }),
  GLANCE_CONTAINER_FORMATS: nameList({
    default: ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'],
  }),
  /** Glance's image_property_quota and image_tag_quota per image; negative: unlimited. */
  GLANCE_IMAGE_PROPERTY_QUOTA: integer({ default: 128 }),
  GLANCE_IMAGE_TAG_QUOTA: integer({ default: 128 }),
};

export const glanceScrubberSpec = {
  ...glanceCommonSpec,
  /** Glance's wakeup_time: seconds between scrub passes. */
  GLANCE_SCRUB_INTERVAL_S: positiveInt({ default: 300 }),
  /** Glance's scrub_pool_size: locations scrubbed at once. */
  GLANCE_SCRUB_POOL_SIZE: positiveInt({ default: 1 }),
  /** Testing aid: each location waits this long once claimed, before its data is deleted. */
  GLANCE_SCRUB_DELAY_MS: nonNegativeInt({ default: 0 }),
};

export const glanceTaskWorkerSpec = {
  ...glanceCommonSpec,
  ...glanceQuotaSpec,
  ...glanceImportFilterSpec,
  /** Glance's task_time_to_live: hours a task is kept after it ended (its `expires_at`). */
  GLANCE_TASK_TIME_TO_LIVE_H: positiveInt({ default: 48 }),
  /** Glance's image_size_cap, for imported images too (1 TiB). */
  GLANCE_IMAGE_SIZE_CAP: positiveInt({ default: 1099511627776 }),
  /** Seconds an import source may stay silent (connect, or between two reads) before it fails. */
  GLANCE_IMPORT_TIMEOUT_S: positiveInt({ default: 60 }),
};

export type AuthConfig = CleanedEnv<typeof authSpec>;
export type ApiConfig = CleanedEnv<typeof apiSpec>;
export type SchedulerConfig = CleanedEnv<typeof schedulerSpec>;
export type ManageConfig = CleanedEnv<typeof manageSpec>;
export type VolumeConfig = CleanedEnv<typeof volumeSpec>;
export type BackupConfig = CleanedEnv<typeof backupSpec>;
export type CommonConfig = CleanedEnv<typeof commonSpec>;
export type GlanceCommonConfig = CleanedEnv<typeof glanceCommonSpec>;
export type GlanceApiConfig = CleanedEnv<typeof glanceApiSpec>;
export type GlanceScrubberConfig = CleanedEnv<typeof glanceScrubberSpec>;
export type GlanceTaskWorkerConfig = CleanedEnv<typeof glanceTaskWorkerSpec>;
export type GlanceImportFilterConfig = CleanedEnv<typeof glanceImportFilterSpec>;

/** Validates the environment against a spec; throws one ConfigError naming every problem. */
export function loadConfig<S extends Parameters<typeof cleanEnv>[1]>(
  spec: S,
  env: NodeJS.ProcessEnv = process.env,
): CleanedEnv<S> {
  // A plain copy: envalid's strict proxy throws on any unknown key, and Nest probes providers
  // for lifecycle hooks.
  const cleaned = cleanEnv(env, spec, {
    reporter: ({ errors }) => {
      const problems = Object.fromEntries(
        Object.entries(errors).map(([key, error]) => [key, (error as Error).message]),
      );
      if (Object.keys(problems).length > 0) {
        throw new ConfigError(problems);
      }
    },
  });
  return Object.freeze({ ...cleaned }) as CleanedEnv<S>;
}
