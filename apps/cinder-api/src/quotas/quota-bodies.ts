import { badRequest, invalidInput } from '../common/cinder-errors';
import { Type } from '../common/schema';
import { RequestSchema } from '../common/validation';

/** Cinder's constants.DB_MAX_INT. */
export const DB_MAX_INT = 0x7fffffff;

/** cinder/quota.py NON_QUOTA_KEYS: accepted in a quota set, and ignored. */
const NON_QUOTA_KEYS = new Set(['tenant_id', 'id']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Python's str() of a JSON value, as Cinder's messages show values. */
function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null) return 'None';
  return JSON.stringify(value);
}

/** Python's repr() of a JSON value, as python-jsonschema's messages quote them. */
function pyRepr(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : pyStr(value);
}

/**
 * oslo's strutils.validate_integer (`int(str(value))`, then the range), as Cinder's
 * api_utils.validate_integer answers: 400 with oslo's words.
 */
export function validateInteger(value: unknown, name: string, min: number, max: number): number {
  const text = typeof value === 'number' || typeof value === 'string' ? String(value).trim() : '';
  if (!/^[+-]?\d+$/.test(text)) throw badRequest(`${name} must be an integer`);
  const n = Number(text);
  if (n < min) throw badRequest(`${name} must be >= ${min}`);
  if (n > max) throw badRequest(`${name} must be <= ${max}`);
  return n;
}

/** oslo's check_string_length for a URL id (Cinder's validate_string_length). */
export function checkNameLength(value: string, name: string): void {
  if (value.length > 255) {
    throw invalidInput(`${name} has ${value.length} characters, more than 255.`);
  }
}

const quotaSetSchema = new RequestSchema(
  Type.Object(
    { quota_set: Type.Unsafe<Record<string, unknown>>({ type: 'object', minProperties: 1 }) },
    { additionalProperties: false },
  ),
);

/**
 * cinder/api/schemas/quotas.py `update` with its `quota_set` format check: every key a quota
 * resource (or a NON_QUOTA_KEY, ignored), every value an integer ≥ -1. Returns the limits to set.
 */
export function parseQuotaSet(body: unknown, resources: Set<string>): Record<string, number> {
  // python-jsonschema checks the `quota_set` property (and its format) before `required` and
  // `additionalProperties`, so its problems are the ones reported first.
  if (
    isPlainObject(body) &&
    isPlainObject(body.quota_set) &&
    Object.keys(body.quota_set).length > 0
  ) {
    const badKeys: string[] = [];
    for (const [key, value] of Object.entries(body.quota_set)) {
      if (NON_QUOTA_KEYS.has(key)) continue;
      if (!resources.has(key)) {
        badKeys.push(key);
        continue;
      }
      validateInteger(value, key, -1, DB_MAX_INT);
    }
    if (badKeys.length > 0) {
      throw invalidInput(`Bad key(s) in quota set: ${badKeys.join(', ')}`);
    }
  }
  const { quota_set } = quotaSetSchema.check(body);
  const limits: Record<string, number> = {};
  for (const [key, value] of Object.entries(quota_set)) {
    if (!NON_QUOTA_KEYS.has(key)) limits[key] = validateInteger(value, key, -1, DB_MAX_INT);
  }
  return limits;
}

const quotaClassSetSchema = new RequestSchema(
  Type.Object(
    { quota_class_set: Type.Unsafe<Record<string, unknown>>({ type: 'object' }) },
    { additionalProperties: false },
  ),
);

/** parameter_types.quota_class_set's property names. */
const CLASS_KEY = /^[a-zA-Z0-9-_:. ]{1,300}$/;

/** `Invalid input for field/attribute <key>. Value: <v>. <why>` (Cinder's ValidationError). */
function fieldError(key: string, value: unknown, why: string) {
  return badRequest(`Invalid input for field/attribute ${key}. Value: ${pyStr(value)}. ${why}`);
}

/**
 * cinder/api/schemas/quota_classes.py `update_quota_class`: known resource keys (the
 * `quota_class_set` format), each an integer, or a string of digits, from -1 to DB_MAX_INT
 * (Cinder's validator reads numbers out of strings for minimum and maximum).
 */
export function parseQuotaClassSet(body: unknown, resources: Set<string>): Record<string, number> {
  const set = isPlainObject(body) ? body.quota_class_set : undefined;
  if (isPlainObject(set)) {
    const badKeys = Object.keys(set).filter((key) => !resources.has(key));
    if (badKeys.length > 0) {
      throw invalidInput(`Bad key(s) in quota class set: ${badKeys.join(', ')}`);
    }
  }
  const { quota_class_set } = quotaClassSetSchema.check(body);
  const limits: Record<string, number> = {};
  for (const [key, value] of Object.entries(quota_class_set)) {
    if (!CLASS_KEY.test(key)) {
      throw fieldError(
        'quota_class_set',
        quota_class_set,
        `Additional properties are not allowed ('${key}' was unexpected)`,
      );
    }
    const isInt = typeof value === 'number' && Number.isInteger(value);
    if (!isInt && typeof value !== 'string') {
      throw fieldError(key, value, `${pyRepr(value)} is not of type 'integer', 'string'`);
    }
    if (typeof value === 'string' && !/^[0-9]*$/.test(value)) {
      throw fieldError(key, value, `'${value}' does not match '^[0-9]*$'`);
    }
    const n = Number(value);
    if (value !== '' && n < -1) throw fieldError(key, value, `${n} is less than the minimum of -1`);
    if (value === '') throw fieldError(key, value, `'' is too short`);
    if (n > DB_MAX_INT) {
      throw fieldError(key, value, `${n} is greater than the maximum of ${DB_MAX_INT}`);
    }
    limits[key] = n;
  }
  return limits;
}
