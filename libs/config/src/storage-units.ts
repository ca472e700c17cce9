/** oslo_utils.units: what Glance's storage units multiply by (binary, case-sensitive). */
const FACTORS: Record<string, number> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};

/**
 * Glance's user_storage_quota in bytes (glance/api/common.py get_remaining_quota): digits,
 * optionally followed by B, KB, MB, GB or TB with no space in between (`0`, `500`, `10GB`,
 * `1TB`). The units are binary (GB is 1024³). 0 means no quota. Anything else — a space, a
 * lower-case unit, a sign, a fraction — is Glance's InvalidOptionValue.
 */
export function parseStorageQuota(value: string): number {
  const match = /^(\d+)((K|M|G|T)?B)?$/.exec(value);
  if (!match) {
    throw new Error(`Invalid value for option user_storage_quota: ${value}`);
  }
  const bytes = Number(match[1]) * FACTORS[match[2] ?? 'B'];
  if (!Number.isSafeInteger(bytes)) {
    throw new Error(`user_storage_quota ${value} is more bytes than can be counted exactly`);
  }
  return bytes;
}
