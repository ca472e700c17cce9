import { badRequest, tooLarge } from '../common/glance-errors';

/**
 * Checks Glance makes below its API layer (domain, quota proxies, database API) whatever the
 * request: the same for a create, a PATCH and a tag.
 */

/** glance/api/common.py GLANCE_RESERVED_NS. */
export const RESERVED_NAMESPACE = 'os_glance';

const FOUR_BYTE = /[\u{10000}-\u{10ffff}]/u;
const MAX_DB_INT = 2 ** 31 - 1;

/** Python's str.title(). */
function pyTitle(text: string): string {
  let out = '';
  let previousCased = false;
  for (const char of text) {
    const cased = /[\p{Lu}\p{Ll}\p{Lt}]/u.test(char);
    out += cased ? (previousCased ? char.toLowerCase() : char.toUpperCase()) : char;
    previousCased = cased;
  }
  return out;
}

/** What an image row takes from a create or an update, as Glance's database API sees it. */
export interface ImageValues {
  name: string | null;
  owner: string | null;
  properties: Record<string, string | null>;
  tags: readonly string[];
  min_disk: number;
  min_ram: number;
}

/**
 * utils.no_4byte_params on _image_update and _image_tag_create (a MySQL limit Glance keeps
 * everywhere), then _validate_db_int: Glance's 400s, in its order.
 */
export function checkDatabaseValues(values: ImageValues): void {
  if (values.name !== null && FOUR_BYTE.test(values.name)) {
    throw badRequest("Name can't contain 4 byte unicode characters.");
  }
  if (values.owner !== null && FOUR_BYTE.test(values.owner)) {
    throw badRequest("Owner can't contain 4 byte unicode characters.");
  }
  for (const [key, value] of Object.entries(values.properties)) {
    if (FOUR_BYTE.test(key)) throw badRequest("Property names can't contain 4 byte unicode.");
    if (value !== null && FOUR_BYTE.test(value)) {
      throw badRequest(`${pyTitle(key)} can't contain 4 byte unicode characters.`);
    }
  }
  for (const param of ['min_disk', 'min_ram'] as const) {
    if (values[param] > MAX_DB_INT) {
      throw badRequest(`'${param}' value out of range, must not exceed ${MAX_DB_INT}.`);
    }
  }
  if (values.tags.some((tag) => FOUR_BYTE.test(tag))) {
    throw badRequest("Param values can't contain 4 byte unicode.");
  }
}

/** The domain Image's min_disk / min_ram setters. */
export function checkMinimum(param: 'min_disk' | 'min_ram', value: number): void {
  if (value < 0) {
    throw badRequest(
      `Invalid value '${value}' for parameter '${param}': Cannot be a negative value`,
    );
  }
}

/** glance.quota _enforce_image_tag_quota (a negative quota is unlimited). */
export function checkTagQuota(count: number, quota: number): void {
  if (quota >= 0 && count > quota) {
    throw tooLarge(
      `The limit has been exceeded on the number of allowed image tags. Attempted: ${count}, Maximum: ${quota}`,
    );
  }
}

/** glance.quota ImageRepoProxy._enforce_image_property_quota: reserved names do not count. */
export function checkPropertyQuota(properties: Record<string, unknown>, quota: number): void {
  if (quota < 0) return;
  const attempted = Object.keys(properties).filter(
    (key) => !key.startsWith(RESERVED_NAMESPACE),
  ).length;
  if (attempted > quota) {
    throw tooLarge(
      `The limit has been exceeded on the number of allowed image properties. Attempted: ${attempted}, Maximum: ${quota}`,
    );
  }
}
