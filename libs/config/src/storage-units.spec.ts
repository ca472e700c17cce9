import { parseStorageQuota } from './storage-units';

describe('parseStorageQuota (Glance user_storage_quota)', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['1048576', 1048576],
    ['5B', 5],
    ['2KB', 2048],
    ['3MB', 3 * 1024 ** 2],
    ['10GB', 10 * 1024 ** 3],
    ['1TB', 1024 ** 4],
    ['0GB', 0],
  ])('%s is %d bytes', (input, bytes) => {
    expect(parseStorageQuota(input)).toBe(bytes);
  });

  it.each(['', '-1', '1.5GB', '10 GB', '10gb', '10Gb', '10G', '10K', 'GB', '10PB', ' 10', '1e3'])(
    'refuses %j as Glance does',
    (input) => {
      expect(() => parseStorageQuota(input)).toThrow(
        `Invalid value for option user_storage_quota: ${input}`,
      );
    },
  );

  it('refuses a quota too large to count exactly', () => {
    expect(() => parseStorageQuota('99999999TB')).toThrow('more bytes than can be counted');
  });
});
