/** oslo_utils.units.Mi: Keystone's image_size_total is in MiB. */
export const MiB = 1024 * 1024;

/**
 * What limits the bytes a project's images hold: Glance's user_storage_quota (bytes), or with
 * use_keystone_limits the unified limit image_size_total (MiB, for `project`), or nothing.
 */
export type StorageLimit =
  | { kind: 'none' }
  | { kind: 'bytes'; bytes: number }
  | { kind: 'unified'; mib: number; project: string };

/** Glance's StorageQuotaFull: the data would take the owner past user_storage_quota. */
export class StorageQuotaFullError extends Error {
  constructor(
    readonly imageSize: number | null,
    readonly remaining: number,
  ) {
    super(
      `The size of the data ${imageSize ?? 'None'} will exceed the limit. ${remaining} bytes remaining.`,
    );
    this.name = 'StorageQuotaFullError';
  }
}

/**
 * Glance's LimitExceeded around oslo.limit's ProjectOverLimit: a unified limit (image_size_total,
 * image_count_total, image_count_uploading) would be passed. Its message is what Glance answers.
 */
export class LimitExceededError extends Error {
  constructor(
    readonly project: string,
    readonly resource: string,
    readonly limit: number,
    readonly usage: number,
    readonly delta: number,
  ) {
    super(
      `The request returned a 413 Request Entity Too Large. This generally means that rate ` +
        `limiting or a quota threshold was breached.\n\nThe response body:\nProject ${project} ` +
        `is over a limit for [Resource ${resource} is over limit of ${limit} due to current ` +
        `usage ${usage} and delta ${delta}]`,
    );
    this.name = 'LimitExceededError';
  }
}

/**
 * oslo.limit's check of one resource: over when usage + delta passes the limit; -1 is
 * unlimited. Throws LimitExceededError.
 */
export function enforceUnifiedLimit(
  project: string,
  resource: string,
  limit: number,
  usage: number,
  delta: number,
): void {
  if (limit >= 0 && usage + delta > limit) {
    throw new LimitExceededError(project, resource, limit, usage, delta);
  }
}

/**
 * Bytes an upload may hold beside `usage` (everything else of the owner's, stored or
 * reserved): with user_storage_quota what is left of it; with image_size_total the largest
 * size whose whole MiB still fit, as oslo.limit compares usage // Mi + size // Mi with the
 * limit. Negative when the owner is already past the limit; Infinity without a limit.
 */
export function roomFor(limit: StorageLimit, usage: number): number {
  switch (limit.kind) {
    case 'none':
      return Infinity;
    case 'bytes':
      return limit.bytes - usage;
    case 'unified':
      if (limit.mib < 0) return Infinity;
      return (limit.mib - Math.floor(usage / MiB) + 1) * MiB - 1;
  }
}

/**
 * Glance's refusal of an upload of `size` bytes (null: not known) beside `usage`, or
 * undefined when it fits. An upload of unknown size is refused only when nothing is left:
 * Glance's check_quota (remaining ≤ 0), or oslo.limit with a delta of 0.
 */
export function refusal(
  limit: StorageLimit,
  usage: number,
  size: number | null,
): StorageQuotaFullError | LimitExceededError | undefined {
  const room = roomFor(limit, usage);
  if (limit.kind === 'bytes') {
    const refused = size === null ? room <= 0 : size > room;
    return refused ? new StorageQuotaFullError(size, room) : undefined;
  }
  if (limit.kind === 'unified' && (size ?? 0) > room) {
    return new LimitExceededError(
      limit.project,
      'image_size_total',
      limit.mib,
      Math.floor(usage / MiB),
      Math.floor((size ?? 0) / MiB),
    );
  }
  return undefined;
}
