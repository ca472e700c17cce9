import type {
  ImageCondition,
  ImageFilterColumn,
  ImageListRequest,
  MemberStatusFilter,
  ImageSortKey,
  ImageVisibilityFilter,
} from '@cinderflow/persistence';
import { badRequest } from '../common/glance-errors';
import { type ListLimits, parseLimit, pyInt, QueryParams, urlencode } from '../common/query';
import { parseIsoTime } from './iso-time';

const SORT_KEYS: readonly ImageSortKey[] = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
];
const VISIBILITIES = ['community', 'public', 'private', 'shared', 'all'];
const MEMBER_STATUSES = ['pending', 'accepted', 'rejected', 'all'];
/** Filters with operators (`in:`, `eq:`) on text columns. */
const OPERATOR_COLUMNS: readonly ImageFilterColumn[] = [
  'name',
  'id',
  'status',
  'container_format',
  'disk_format',
];
/** Other columns of Glance's images table a filter compares for equality. */
const EQUAL_COLUMNS: readonly ImageFilterColumn[] = [
  'owner',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
  'min_disk',
  'min_ram',
];
const INTEGER_COLUMNS: readonly string[] = ['size', 'virtual_size', 'min_disk', 'min_ram'];
const TIME_OPERATORS = { gt: '>', gte: '>=', lt: '<', lte: '<=', neq: '<>', eq: '=' } as const;

/** glance.common.utils.split_filter_op: `op:value`, or `eq` (a bare ISO time keeps its colons). */
export function splitFilterOp(expression: string): [string, string] {
  const colon = expression.indexOf(':');
  if (colon < 0) return ['eq', expression];
  if (parseIsoTime(expression) !== undefined) return ['eq', expression];
  return [expression.slice(0, colon), expression.slice(colon + 1)];
}

/** glance.common.utils.validate_quotes then split_filter_value_for_quotes (`in:` lists). */
export function splitFilterValues(value: string): string[] {
  let open = true;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '"') continue;
    if (i > 0 && value[i - 1] === '\\') continue;
    if (open) {
      if (i > 0 && value[i - 1] !== ',') {
        throw badRequest(
          `Invalid filter value ${value}. There is no comma before opening quotation mark.`,
        );
      }
    } else if (i + 1 !== value.length && value[i + 1] !== ',') {
      throw badRequest(
        `Invalid filter value ${value}. There is no comma after closing quotation mark.`,
      );
    }
    open = !open;
  }
  if (!open) throw badRequest(`Invalid filter value ${value}. The quote is not closed.`);
  const pattern = /"([^"\\]*(?:\\.[^"\\]*)*)",?|([^,]+),?|,/g;
  return [...value.matchAll(pattern)].map((m) => m[1] || m[2] || '');
}

function sortKey(key: string): ImageSortKey {
  if (!(SORT_KEYS as readonly string[]).includes(key)) {
    throw badRequest(
      `Invalid sort key: ${key}. It must be one of the following: ${SORT_KEYS.join(', ')}.`,
    );
  }
  return key as ImageSortKey;
}

function sortDir(dir: string): 'asc' | 'desc' {
  if (dir !== 'asc' && dir !== 'desc') throw badRequest(`Invalid sort direction: ${dir}`);
  return dir;
}

/** RequestDeserializer._get_sorting_params, then image_get_all's created_at/id completion. */
function sorting(params: QueryParams): ImageListRequest['sort'] {
  const keys: ImageSortKey[] = [];
  const dirs: Array<'asc' | 'desc'> = [];
  const sort = params.pop('sort');
  if (sort !== undefined) {
    if (params.has('sort_key') || params.has('sort_dir')) {
      throw badRequest('Old and new sorting syntax cannot be combined');
    }
    for (const item of sort.trim().split(',')) {
      const colon = item.indexOf(':');
      const key = colon < 0 ? item : item.slice(0, colon);
      const dir = colon < 0 ? '' : item.slice(colon + 1);
      keys.push(sortKey(key.trim()));
      dirs.push(sortDir(dir === '' ? 'desc' : dir.trim()));
    }
  } else {
    for (let key = params.pop('sort_key'); key !== undefined; key = params.pop('sort_key')) {
      keys.push(sortKey(key.trim()));
    }
    for (let dir = params.pop('sort_dir'); dir !== undefined; dir = params.pop('sort_dir')) {
      dirs.push(sortDir(dir.trim()));
    }
    if (dirs.length > 1 && dirs.length !== keys.length) {
      throw badRequest('Number of sort dirs does not match the number of sort keys');
    }
  }
  if (keys.length === 0) keys.push('created_at');
  if (dirs.length === 0) dirs.push('desc');
  // One direction applies to every key, and to the created_at and id Glance adds.
  const fallback = dirs.length === 1 ? dirs[0] : 'desc';
  const order = keys.map((key, i) => ({ key, direction: dirs.length === 1 ? dirs[0] : dirs[i] }));
  for (const key of ['created_at', 'id'] as const) {
    if (!keys.includes(key)) order.push({ key, direction: fallback });
  }
  return order;
}

/** A `true`/`false` filter; os_hidden is read case-insensitively, protected is not. */
function booleanFilter(name: 'os_hidden' | 'protected', raw: string): boolean {
  const value = name === 'os_hidden' ? raw.toLowerCase() : raw;
  if (value !== 'true' && value !== 'false') {
    throw badRequest(
      `Invalid value '${value}' for '${name}' filter. Valid values are 'true' or 'false'.`,
    );
  }
  return value === 'true';
}

/** One filter of _make_conditions_from_filters. */
function condition(key: string, value: string): ImageCondition {
  if (key.endsWith('_min') || key.endsWith('_max')) {
    const bound = pyInt(value);
    if (bound === undefined) {
      throw badRequest('Unable to filter on a range with a non-numeric value.');
    }
    const column = key.slice(0, -4);
    // Glance compares any column, and fails on a non-numeric one; ranges are for numbers.
    if (!INTEGER_COLUMNS.includes(column)) {
      throw badRequest('Unable to filter using the specified range.');
    }
    return {
      kind: 'compare',
      column: column as ImageFilterColumn,
      op: key.endsWith('_min') ? '>=' : '<=',
      value: bound,
    };
  }
  if (key === 'created_at' || key === 'updated_at') {
    const [operator, text] = splitFilterOp(value);
    const at = parseIsoTime(text);
    if (at === undefined) {
      throw badRequest(`Bad "${key}" query filter format. Use ISO 8601 DateTime notation.`);
    }
    if (!Object.hasOwn(TIME_OPERATORS, operator)) {
      throw badRequest('Unable to filter on a unknown operator.');
    }
    return {
      kind: 'compare',
      column: key,
      op: TIME_OPERATORS[operator as keyof typeof TIME_OPERATORS],
      value: at,
    };
  }
  if ((OPERATOR_COLUMNS as readonly string[]).includes(key)) {
    const [operator, text] = splitFilterOp(value);
    if (operator === 'in') {
      return { kind: 'in', column: key as ImageFilterColumn, values: splitFilterValues(text) };
    }
    if (operator === 'eq') {
      return { kind: 'compare', column: key as ImageFilterColumn, op: '=', value: text };
    }
    throw badRequest(`Unable to filter by unknown operator '${operator}'.`);
  }
  if ((EQUAL_COLUMNS as readonly string[]).includes(key)) {
    if (INTEGER_COLUMNS.includes(key)) {
      const number = pyInt(value);
      // Glance hands the text to the database, which refuses it with a 500.
      if (number === undefined) {
        throw badRequest(`Invalid value '${value}' for parameter '${key}': Expected an integer.`);
      }
      return { kind: 'compare', column: key as ImageFilterColumn, op: '=', value: number };
    }
    return { kind: 'compare', column: key as ImageFilterColumn, op: '=', value };
  }
  return { kind: 'property', key, value };
}

/** The list as the repository runs it, less who asks and the marker errors. */
export type ParsedImageList = Omit<
  ImageListRequest,
  'viewer' | 'markerNotFound' | 'markerNotVisible'
>;

/**
 * `GET /v2/images?...` parsed as Glance does (RequestDeserializer.index, then
 * ImagesController.index, then the database API's filters), with its 400s in its order.
 */
export function parseImageList(query: string, limits: ListLimits): ParsedImageList {
  const params = new QueryParams(query);
  const limitText = params.pop('limit');
  const marker = params.pop('marker');
  const memberStatus = params.pop('member_status') ?? 'accepted';
  const tags: string[] = [];
  for (let tag = params.pop('tag'); tag !== undefined; tag = params.pop('tag')) {
    tags.push(tag.trim());
  }
  const filters = params.lastValues();
  const visibility = filters.get('visibility');
  if (visibility && !VISIBILITIES.includes(visibility)) {
    throw badRequest(`Invalid visibility value: ${visibility}`);
  }
  if (filters.get('changes-since')) {
    throw badRequest('The "changes-since" filter is no longer available on v2.');
  }
  if (!MEMBER_STATUSES.includes(memberStatus)) {
    throw badRequest(`Invalid status: ${memberStatus}`);
  }
  const limit = parseLimit(limitText, limits);
  const sort = sorting(params);
  // Sorting parameters are no filters.
  const remaining = params.lastValues();
  remaining.delete('visibility');
  const osHidden = booleanFilter('os_hidden', remaining.get('os_hidden') ?? 'false');
  remaining.delete('os_hidden');
  const conditions: ImageCondition[] = [
    { kind: 'compare', column: 'os_hidden', op: '=', value: osHidden },
  ];
  const protectedValue = remaining.get('protected');
  remaining.delete('protected');
  if (protectedValue !== undefined) {
    conditions.push({
      kind: 'compare',
      column: 'protected',
      op: '=',
      value: booleanFilter('protected', protectedValue),
    });
  }
  // The API sets it; a client's `deleted` changes nothing.
  remaining.delete('deleted');
  if (tags.length > 0) conditions.push({ kind: 'tags', values: tags });
  for (const [key, value] of remaining) conditions.push(condition(key, value));
  return {
    conditions,
    visibility: visibility ? (visibility as ImageVisibilityFilter) : undefined,
    memberStatus: memberStatus as MemberStatusFilter,
    sort,
    limit,
    ...(marker === undefined ? {} : { marker }),
  };
}

/**
 * The `first` and `next` links of a list (ResponseSerializer.index): the request's own
 * parameters without the marker, and for `next` the last image's id as marker. Glance builds
 * them from dict(params), which keeps one value per key; every value is kept here, or a
 * client following `next` with two `tag`s would page through another list.
 */
export function listLinks(
  query: string,
  nextMarker: string | undefined,
): { first: string; next?: string } {
  const pairs = new QueryParams(query).pairs.filter(([key]) => key !== 'marker');
  const first = pairs.length > 0 ? `/v2/images?${urlencode(pairs)}` : '/v2/images';
  if (nextMarker === undefined) return { first };
  return { first, next: `/v2/images?${urlencode([...pairs, ['marker', nextMarker]])}` };
}
