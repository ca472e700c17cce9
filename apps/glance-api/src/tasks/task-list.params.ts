import {
  TASK_FILTER_KEYS,
  TASK_SORT_KEYS,
  type TaskFilterKey,
  type TaskListRequest,
  type TaskSortKey,
} from '@cinderflow/persistence';
import { TASK_STATUSES } from '@cinderflow/status-machines';
import { badRequest } from '../common/glance-errors';

/**
 * A query string as webob's `request.params` turned into a dict: keys in the order they first
 * appear, the last value of a repeated key.
 */
export function queryParams(url: string): Map<string, string> {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const params = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(query)) params.set(key, value);
  return params;
}

/** Python's urllib.parse.urlencode (quote_plus: only letters, digits and `_.-~` stay). */
export function urlencode(params: Map<string, string>): string {
  const quotePlus = (text: string) =>
    encodeURIComponent(text)
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replace(/%20/g, '+');
  return [...params].map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join('&');
}

/** Python's int() of a query value: digits (`_` between them) with a sign, blanks around. */
function pythonInt(text: string): number | undefined {
  return /^\s*[+-]?\d+(_\d+)*\s*$/.test(text) ? Number(text.replace(/[\s_]/g, '')) : undefined;
}

const UUID_LIKE = /^[0-9a-f]{32}$/;

/** oslo's uuidutils.is_uuid_like: a UUID, dashes, braces and `urn:uuid:` aside. */
function isUuidLike(value: string): boolean {
  const bare = value
    .toLowerCase()
    .replace(/^urn:/, '')
    .replace(/^uuid:/, '')
    .replace(/[{}-]/g, '');
  return UUID_LIKE.test(bare);
}

export interface ListLimits {
  /** Glance's limit_param_default and api_limit_max. */
  defaultLimit: number;
  maxLimit: number;
}

/**
 * The tasks API's RequestDeserializer.index and TasksController.index: sort direction, filter
 * values, marker and limit checked in Glance's order, with Glance's messages; every other
 * parameter that names a task column filters by equality, the rest are ignored.
 */
export function parseTaskListParams(
  params: Map<string, string>,
  limits: ListLimits,
): TaskListRequest & { sortKeyValid: boolean } {
  const rest = new Map(params);
  const take = (key: string) => {
    const value = rest.get(key);
    rest.delete(key);
    return value;
  };
  const limitText = take('limit');
  const marker = take('marker');
  const sortDir = take('sort_dir') ?? 'desc';
  const sortKey = take('sort_key') ?? 'created_at';
  if (sortDir !== 'asc' && sortDir !== 'desc') {
    throw badRequest(`Invalid sort direction: ${sortDir}`);
  }
  const status = rest.get('status');
  if (status && !(TASK_STATUSES as readonly string[]).includes(status)) {
    throw badRequest(`Invalid status value: ${status}`);
  }
  const type = rest.get('type');
  if (type && type !== 'import') throw badRequest(`Invalid type value: ${type}`);
  if (marker && !isUuidLike(marker)) throw badRequest('Invalid marker format');
  let limit = limits.defaultLimit;
  if (limitText !== undefined) {
    const value = pythonInt(limitText);
    if (value === undefined) throw badRequest('limit param must be an integer');
    if (value < 0) throw badRequest('limit param must be positive');
    limit = value;
  }
  const filters: Partial<Record<TaskFilterKey, string>> = {};
  for (const key of TASK_FILTER_KEYS) {
    const value = rest.get(key);
    if (value !== undefined) filters[key] = value;
  }
  const sortKeyValid = (TASK_SORT_KEYS as readonly string[]).includes(sortKey);
  return {
    filters,
    sortKey: (sortKeyValid ? sortKey : 'created_at') as TaskSortKey,
    sortKeyValid,
    sortDir,
    limit: Math.min(limits.maxLimit, limit),
    marker,
  };
}
