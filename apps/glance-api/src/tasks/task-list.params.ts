import {
  TASK_FILTER_KEYS,
  TASK_SORT_KEYS,
  type TaskFilterKey,
  type TaskListRequest,
  type TaskSortKey,
} from '@cinderflow/persistence';
import { TASK_STATUSES } from '@cinderflow/status-machines';
import { badRequest } from '../common/glance-errors';
import { type ListLimits, parseLimit } from '../common/query';

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
  const limit = parseLimit(limitText, limits);
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
    limit,
    marker,
  };
}
