import { GlanceHttpError } from '../common/glance-errors';
import { listLinks, parseImageList, splitFilterOp, splitFilterValues } from './image-list-query';
import { parseIsoTime } from './iso-time';

const limits = { defaultLimit: 25, maxLimit: 1000 };

function refusal(query: string): string {
  try {
    parseImageList(query, limits);
  } catch (e) {
    return `${(e as GlanceHttpError).status} ${(e as GlanceHttpError).message}`;
  }
  return 'accepted';
}

describe('parseImageList', () => {
  it("defaults as Glance's index: 25 newest first, hidden images out, accepted members", () => {
    expect(parseImageList('', limits)).toEqual({
      conditions: [{ kind: 'compare', column: 'os_hidden', op: '=', value: false }],
      visibility: undefined,
      memberStatus: 'accepted',
      sort: [
        { key: 'created_at', direction: 'desc' },
        { key: 'id', direction: 'desc' },
      ],
      limit: 25,
    });
  });

  it('reads every filter: operators, ranges, times, tags, booleans, properties', () => {
    const parsed = parseImageList(
      'name=in:a,"b,c"&status=active&tag=x&tag=%20y&size_min=10&size_max=20&owner=p' +
        '&created_at=gte:2024-01-01T00:00:00Z&updated_at=lt:2024-02-01T12:00:00%2B02:00' +
        '&protected=true&os_hidden=TRUE&os_distro=debian&visibility=all&member_status=all' +
        '&min_ram=512&id=eq:abc&limit=5&marker=m',
      limits,
    );
    expect(parsed).toMatchObject({ visibility: 'all', memberStatus: 'all', limit: 5, marker: 'm' });
    expect(parsed.conditions).toEqual([
      { kind: 'compare', column: 'os_hidden', op: '=', value: true },
      { kind: 'compare', column: 'protected', op: '=', value: true },
      { kind: 'tags', values: ['x', 'y'] },
      { kind: 'in', column: 'name', values: ['a', 'b,c'] },
      { kind: 'compare', column: 'status', op: '=', value: 'active' },
      { kind: 'compare', column: 'size', op: '>=', value: 10 },
      { kind: 'compare', column: 'size', op: '<=', value: 20 },
      { kind: 'compare', column: 'owner', op: '=', value: 'p' },
      { kind: 'compare', column: 'created_at', op: '>=', value: '2024-01-01 00:00:00.000000' },
      { kind: 'compare', column: 'updated_at', op: '<', value: '2024-02-01 10:00:00.000000' },
      { kind: 'property', key: 'os_distro', value: 'debian' },
      { kind: 'compare', column: 'min_ram', op: '=', value: 512 },
      { kind: 'compare', column: 'id', op: '=', value: 'abc' },
    ]);
  });

  it('caps the limit at api_limit_max', () => {
    expect(parseImageList('limit=5000', limits).limit).toBe(1000);
    expect(parseImageList('limit=0', limits).limit).toBe(0);
  });

  it('sorts with sort_key/sort_dir or sort=key:dir, completed by created_at and id', () => {
    expect(parseImageList('sort_key=name&sort_dir=asc', limits).sort).toEqual([
      { key: 'name', direction: 'asc' },
      { key: 'created_at', direction: 'asc' },
      { key: 'id', direction: 'asc' },
    ]);
    expect(parseImageList('sort_key=name&sort_key=size&sort_dir=asc', limits).sort).toEqual([
      { key: 'name', direction: 'asc' },
      { key: 'size', direction: 'asc' },
      { key: 'created_at', direction: 'asc' },
      { key: 'id', direction: 'asc' },
    ]);
    expect(parseImageList('sort=name:asc,size', limits).sort).toEqual([
      { key: 'name', direction: 'asc' },
      { key: 'size', direction: 'desc' },
      { key: 'created_at', direction: 'desc' },
      { key: 'id', direction: 'desc' },
    ]);
    expect(parseImageList('sort=id:asc', limits).sort).toEqual([
      { key: 'id', direction: 'asc' },
      { key: 'created_at', direction: 'asc' },
    ]);
  });

  it.each([
    ['limit=x', 'limit param must be an integer'],
    ['limit=-1', 'limit param must be positive'],
    ['visibility=secret', 'Invalid visibility value: secret'],
    ['changes-since=2024-01-01', 'The "changes-since" filter is no longer available on v2.'],
    ['member_status=maybe', 'Invalid status: maybe'],
    [
      'sort_key=owner',
      'Invalid sort key: owner. It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.',
    ],
    ['sort_dir=up', 'Invalid sort direction: up'],
    ['sort=name:up', 'Invalid sort direction: up'],
    ['sort=name&sort_key=size', 'Old and new sorting syntax cannot be combined'],
    [
      'sort_key=name&sort_key=size&sort_key=id&sort_dir=asc&sort_dir=desc',
      'Number of sort dirs does not match the number of sort keys',
    ],
    [
      'os_hidden=maybe',
      "Invalid value 'maybe' for 'os_hidden' filter. Valid values are 'true' or 'false'.",
    ],
    [
      'protected=TRUE',
      "Invalid value 'TRUE' for 'protected' filter. Valid values are 'true' or 'false'.",
    ],
    ['size_min=big', 'Unable to filter on a range with a non-numeric value.'],
    ['name_min=1', 'Unable to filter using the specified range.'],
    [
      'created_at=gte:yesterday',
      'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.',
    ],
    ['created_at=around:2024-01-01', 'Unable to filter on a unknown operator.'],
    ['name=like:abc', "Unable to filter by unknown operator 'like'."],
    ['status=in:a,"b', 'Invalid filter value a,"b. The quote is not closed.'],
    [
      'status=in:a"b"',
      'Invalid filter value a"b". There is no comma before opening quotation mark.',
    ],
    [
      'status=in:"a"b',
      'Invalid filter value "a"b. There is no comma after closing quotation mark.',
    ],
    ['size=abc', "Invalid value 'abc' for parameter 'size': Expected an integer."],
  ])('refuses %s: 400 %s', (query, message) => {
    expect(refusal(query)).toBe(`400 ${message}`);
  });
});

describe('filter helpers', () => {
  it('splits operators, not the colons of a bare ISO time', () => {
    expect(splitFilterOp('in:a,b')).toEqual(['in', 'a,b']);
    expect(splitFilterOp('plain')).toEqual(['eq', 'plain']);
    expect(splitFilterOp('2024-01-01T10:00:00Z')).toEqual(['eq', '2024-01-01T10:00:00Z']);
    expect(splitFilterOp('ubuntu:22.04')).toEqual(['ubuntu', '22.04']);
  });

  it('splits in: lists at commas outside quotes', () => {
    expect(splitFilterValues('a,b')).toEqual(['a', 'b']);
    expect(splitFilterValues('"a,b",c')).toEqual(['a,b', 'c']);
    expect(splitFilterValues('a,,b')).toEqual(['a', '', 'b']);
  });

  it('reads ISO 8601 times as the iso8601 library does, in UTC', () => {
    expect(parseIsoTime('2024')).toBe('2024-01-01 00:00:00.000000');
    expect(parseIsoTime('2024-03')).toBe('2024-03-01 00:00:00.000000');
    expect(parseIsoTime('20240305')).toBe('2024-03-05 00:00:00.000000');
    expect(parseIsoTime('2024-03-05 23:30:15.1234567-01:30')).toBe('2024-03-06 01:00:15.123456');
    expect(parseIsoTime('2024-02-30')).toBeUndefined();
    expect(parseIsoTime('202403')).toBeUndefined();
    expect(parseIsoTime('2024-01-01T24:00:00')).toBeUndefined();
    expect(parseIsoTime('2024-01-01T10:00:00+24:00')).toBeUndefined();
  });
});

describe('listLinks', () => {
  it('gives first without the marker and next with the last id as marker', () => {
    expect(listLinks('', undefined)).toEqual({ first: '/v2/images' });
    expect(listLinks('limit=2&marker=old&sort=name:asc&name=a b', 'new')).toEqual({
      first: '/v2/images?limit=2&sort=name%3Aasc&name=a+b',
      next: '/v2/images?limit=2&sort=name%3Aasc&name=a+b&marker=new',
    });
  });

  it('keeps repeated tags in the links', () => {
    expect(listLinks('tag=a&tag=b&limit=1', 'm').next).toBe(
      '/v2/images?tag=a&tag=b&limit=1&marker=m',
    );
  });
});
