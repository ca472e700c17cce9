import { GlanceHttpError } from '../common/glance-errors';
import { QueryParams, urlencode } from '../common/query';
import { parseTaskListParams } from './task-list.params';

const limits = { defaultLimit: 25, maxLimit: 1000 };
const parse = (query: string) =>
  parseTaskListParams(QueryParams.ofUrl(`/v2/tasks?${query}`).lastValues(), limits);

function refusal(query: string): string {
  try {
    parse(query);
  } catch (error) {
    if (error instanceof GlanceHttpError && error.status === 400) return error.message;
    throw error;
  }
  throw new Error('accepted');
}

describe("task list parameters (the tasks API's RequestDeserializer.index)", () => {
  it('defaults to the newest first, Glance’s default page size', () => {
    expect(parse('')).toEqual({
      filters: {},
      sortKey: 'created_at',
      sortKeyValid: true,
      sortDir: 'desc',
      limit: 25,
      marker: undefined,
    });
  });

  it('filters on task columns, ignores other parameters, caps the limit', () => {
    expect(
      parse('status=success&type=import&owner=p&colour=red&limit=5000&sort_key=status'),
    ).toEqual({
      filters: { status: 'success', type: 'import', owner: 'p' },
      sortKey: 'status',
      sortKeyValid: true,
      sortDir: 'desc',
      limit: 1000,
      marker: undefined,
    });
    expect(parse('limit=+7').limit).toBe(7);
    expect(parse('limit=1_0').limit).toBe(10);
    expect(parse('limit=0').limit).toBe(0);
  });

  it('says an unknown sort key after the other checks (the database says it)', () => {
    expect(parse('sort_key=colour').sortKeyValid).toBe(false);
    expect(refusal('sort_key=colour&sort_dir=sideways')).toBe('Invalid sort direction: sideways');
  });

  it.each([
    ['sort_dir=up&status=bogus', 'Invalid sort direction: up'],
    ['status=bogus&type=bogus', 'Invalid status value: bogus'],
    ['type=api_image_import', 'Invalid type value: api_image_import'],
    ['marker=123&limit=x', 'Invalid marker format'],
    ['limit=1.5', 'limit param must be an integer'],
    ['limit=-3', 'limit param must be positive'],
  ])('refuses %s first with "%s"', (query, message) => {
    expect(refusal(query)).toBe(message);
  });

  it('takes a marker that looks like a UUID, dashes or not', () => {
    expect(parse('marker=0123456789ABCDEF0123456789abcdef').marker).toBe(
      '0123456789ABCDEF0123456789abcdef',
    );
    expect(parse('marker=').marker).toBe('');
  });

  it('encodes links as Python’s urlencode, the last of repeated keys kept in first place', () => {
    const params = QueryParams.ofUrl(
      '/v2/tasks?status=a&limit=1&status=b%20c&x=%7E*!',
    ).lastValues();
    expect([...params]).toEqual([
      ['status', 'b c'],
      ['limit', '1'],
      ['x', '~*!'],
    ]);
    expect(urlencode(params)).toBe('status=b+c&limit=1&x=~%2A%21');
  });
});
