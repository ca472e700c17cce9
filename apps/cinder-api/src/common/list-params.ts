import { badRequest, invalidInput } from './cinder-errors';
import type { ApiVersion } from './microversion';

import type { SortKey } from '@cinderflow/persistence';

export type { SortKey };

export interface ListParams {
  limit: number;
  marker?: string;
  sort: SortKey[];
  filters: Record<string, string>;
  allTenants: boolean;
  withCount: boolean;
}

/** Query parameters that are not filters. */
const CONTROL = new Set([
  'limit',
  'marker',
  'offset',
  'sort',
  'sort_key',
  'sort_dir',
  'all_tenants',
  'with_count',
]);

function single(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? String(value[value.length - 1]) : String(value);
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 't', 'true', 'on', 'y', 'yes'].includes(value.toLowerCase());
}

/**
 * Cinder's list conventions (cinder/api/common.py): `limit` capped at osapi_max_limit, `marker`,
 * `sort=key[:dir],...` (or the older `sort_key`/`sort_dir`), default `created_at:desc`, filters
 * from an allowed list — unknown ones are refused from 3.31 on.
 */
export function parseListParams(
  query: Record<string, unknown>,
  options: {
    maxLimit: number;
    sortColumns: Record<string, string>;
    filters: readonly string[];
    version: ApiVersion;
  },
): ListParams {
  const rawLimit = single(query.limit);
  let limit = options.maxLimit;
  if (rawLimit !== undefined) {
    if (!/^-?\d+$/.test(rawLimit)) throw badRequest('limit param must be an integer');
    const parsed = Number(rawLimit);
    if (parsed < 0) throw badRequest('limit param must be positive');
    limit = Math.min(parsed, options.maxLimit);
  }

  const sortParam = single(query.sort);
  const sortKeyParam = single(query.sort_key);
  const sortDirParam = single(query.sort_dir);
  if (sortParam !== undefined && (sortKeyParam !== undefined || sortDirParam !== undefined)) {
    throw badRequest(
      "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.",
    );
  }
  const requested: [string, string][] =
    sortParam !== undefined
      ? sortParam.split(',').map((part) => {
          const [key, dir] = part.split(':');
          return [key.trim(), (dir ?? 'desc').trim()];
        })
      : sortKeyParam !== undefined
        ? [[sortKeyParam, sortDirParam ?? 'desc']]
        : [['created_at', sortDirParam ?? 'desc']];
  const sort = requested.map(([key, dir]): SortKey => {
    const column = options.sortColumns[key];
    if (!column) throw invalidInput('Invalid sort key');
    if (dir !== 'asc' && dir !== 'desc')
      throw invalidInput("Unknown sort direction, must be 'desc' or 'asc'");
    return { column, direction: dir };
  });

  const filters: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (CONTROL.has(key)) continue;
    if (options.filters.includes(key)) {
      filters[key] = single(value) ?? '';
    } else {
      unknown.push(key);
    }
  }
  if (unknown.length > 0 && options.version.atLeast('3.31')) {
    throw invalidInput(`Invalid filters ${unknown.join(', ')} are found in query options.`);
  }

  return {
    limit,
    marker: single(query.marker),
    sort,
    filters,
    allTenants: truthy(single(query.all_tenants)),
    withCount: truthy(single(query.with_count)) && options.version.atLeast('3.45'),
  };
}
