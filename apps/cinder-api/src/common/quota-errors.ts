import type { OverQuotaError } from '@cinderflow/persistence';
import { CinderHttpError } from './cinder-errors';

/** Resources whose count limit has its own exception (cinder/quota_utils.py). */
const COUNT_LIMIT_MESSAGES: Record<string, (allowed: number, name: string) => string> = {
  // cinder/exception.py VolumeLimitExceeded, SnapshotLimitExceeded, BackupLimitExceeded, GroupLimitExceeded
  volumes: (allowed, name) =>
    `Maximum number of volumes allowed (${allowed}) exceeded for quota '${name}'.`,
  snapshots: (allowed) => `Maximum number of snapshots allowed (${allowed}) exceeded`,
  backups: (allowed) => `Maximum number of backups allowed (${allowed}) exceeded`,
  groups: (allowed) => `Maximum number of groups allowed (${allowed}) exceeded`,
};

/**
 * Cinder's process_reserve_over_quota: turns the engine's OverQuota for a request creating
 * `resource` (volumes, snapshots, backups, groups) of `size` GB into the QuotaError (413) the API
 * answers with. The first over resource decides, in the engine's (sorted) order, as in Cinder.
 */
export function overQuotaFault(
  err: OverQuotaError,
  resource: 'volumes' | 'snapshots' | 'backups' | 'groups',
  size?: number,
): CinderHttpError {
  const consumed = (name: string) =>
    (err.usages[name]?.reserved ?? 0) + (err.usages[name]?.in_use ?? 0);
  const invalid: string[] = [];
  for (const over of err.overs) {
    if (over.includes('gigabytes')) {
      const what =
        resource === 'backups'
          ? 'Requested backup exceeds allowed Backup gigabytes quota.'
          : `Requested volume or snapshot exceeds allowed ${over} quota.`;
      return new CinderHttpError(
        413,
        `${what} Requested ${String(size)}G, quota is ${err.quotas[over]}G and ${consumed(over)}G has been consumed.`,
      );
    }
    if (over.includes(resource)) {
      return new CinderHttpError(413, COUNT_LIMIT_MESSAGES[resource](err.quotas[over], over));
    }
    invalid.push(over);
  }
  return new CinderHttpError(413, `Unexpected over quota on ${invalid.join(', ')}.`);
}

/** Cinder's VolumeSizeExceedsLimit (per_volume_gigabytes). */
export const volumeSizeExceedsLimit = (size: number, limit: number) =>
  new CinderHttpError(
    413,
    `Requested volume size ${size}G is larger than maximum allowed limit ${limit}G.`,
  );
