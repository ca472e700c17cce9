import { CinderHttpError } from './cinder-errors';
import { parseListParams } from './list-params';
import { ApiVersion } from './microversion';

const options = (version = '3.0') => ({
  maxLimit: 1000,
  sortColumns: { created_at: 'created_at', name: 'display_name', size: 'size', id: 'id' },
  filters: ['name', 'status'],
  version: ApiVersion.parse(version),
});

function refusal(query: Record<string, unknown>, version?: string): string {
  try {
    parseListParams(query, options(version));
  } catch (e) {
    return `${(e as CinderHttpError).status} ${(e as CinderHttpError).message}`;
  }
  return 'accepted';
}

describe('parseListParams', () => {
  it('defaults to created_at desc and the max limit', () => {
    expect(parseListParams({}, options())).toMatchObject({
      limit: 1000,
      sort: [{ column: 'created_at', direction: 'desc' }],
      allTenants: false,
    });
  });

  it('reads sort, limit, marker, filters and all_tenants', () => {
    expect(
      parseListParams(
        { sort: 'name:asc,size', limit: '5', marker: 'm', status: 'available', all_tenants: '1' },
        options(),
      ),
    ).toEqual({
      limit: 5,
      marker: 'm',
      sort: [
        { column: 'display_name', direction: 'asc' },
        { column: 'size', direction: 'desc' },
      ],
      filters: { status: 'available' },
      allTenants: true,
      withCount: false,
    });
  });

  it('caps the limit', () => {
    expect(parseListParams({ limit: '5000' }, options()).limit).toBe(1000);
  });

  it.each([
    [{ limit: 'x' }, '400 limit param must be an integer'],
    [{ limit: '-1' }, '400 limit param must be positive'],
    [{ sort: 'bogus' }, '400 Invalid input received: Invalid sort key'],
    [
      { sort: 'name:up' },
      "400 Invalid input received: Unknown sort direction, must be 'desc' or 'asc'",
    ],
    [
      { sort: 'name', sort_key: 'size' },
      expect.stringContaining("400 The 'sort_key' and 'sort_dir'"),
    ],
  ])('refuses %j', (query, expected) => {
    expect(refusal(query)).toEqual(expected);
  });

  it('ignores unknown filters before 3.31 and refuses them after', () => {
    expect(refusal({ colour: 'red' }, '3.30')).toBe('accepted');
    expect(refusal({ colour: 'red' }, '3.31')).toBe(
      '400 Invalid input received: Invalid filters colour are found in query options.',
    );
  });
});
