import {
  LimitExceededError,
  MiB,
  refusal,
  roomFor,
  StorageQuotaFullError,
  type StorageLimit,
} from './storage-limit';

const bytes = (n: number): StorageLimit => ({ kind: 'bytes', bytes: n });
const unified = (mib: number): StorageLimit => ({ kind: 'unified', mib, project: 'p1' });

describe('roomFor', () => {
  it('is what user_storage_quota leaves, negative past it', () => {
    expect(roomFor(bytes(10 * MiB), 6 * MiB)).toBe(4 * MiB);
    expect(roomFor(bytes(10), 10)).toBe(0);
    expect(roomFor(bytes(10), 12)).toBe(-2);
  });

  it('is the largest size whose whole MiB still fit image_size_total', () => {
    // usage 3.5 MiB counts as 3; limit 5: 2 more whole MiB, so up to 3 MiB - 1 byte.
    expect(roomFor(unified(5), 3.5 * MiB)).toBe(3 * MiB - 1);
    expect(roomFor(unified(5), 5 * MiB)).toBe(MiB - 1);
    expect(roomFor(unified(5), 6 * MiB)).toBeLessThan(0);
    expect(roomFor(unified(-1), 1e15)).toBe(Infinity);
    expect(roomFor({ kind: 'none' }, 1e15)).toBe(Infinity);
  });
});

describe('refusal', () => {
  it('answers StorageQuotaFull as Glance check_quota does', () => {
    expect(refusal(bytes(10 * MiB), 6 * MiB, 4 * MiB)).toBeUndefined();
    const over = refusal(bytes(10 * MiB), 6 * MiB, 5 * MiB);
    expect(over).toBeInstanceOf(StorageQuotaFullError);
    expect(over?.message).toBe(
      `The size of the data ${5 * MiB} will exceed the limit. ${4 * MiB} bytes remaining.`,
    );
    // Unknown size: refused only when nothing is left.
    expect(refusal(bytes(10), 9, null)).toBeUndefined();
    expect(refusal(bytes(10), 10, null)?.message).toBe(
      'The size of the data None will exceed the limit. 0 bytes remaining.',
    );
    // A known empty upload fits even with nothing left (0 > 0 is false).
    expect(refusal(bytes(10), 10, 0)).toBeUndefined();
  });

  it('answers oslo.limit over image_size_total in whole MiB', () => {
    expect(refusal(unified(5), 3 * MiB, 2 * MiB + 100)).toBeUndefined();
    const over = refusal(unified(5), 3 * MiB + 7, 3 * MiB);
    expect(over).toBeInstanceOf(LimitExceededError);
    expect(over?.message).toBe(
      'The request returned a 413 Request Entity Too Large. This generally means that rate ' +
        'limiting or a quota threshold was breached.\n\nThe response body:\nProject p1 is over ' +
        'a limit for [Resource image_size_total is over limit of 5 due to current usage 3 and ' +
        'delta 3]',
    );
    // Unknown size is a delta of 0: refused only when already over.
    expect(refusal(unified(5), 5 * MiB + MiB - 1, null)).toBeUndefined();
    expect(refusal(unified(5), 6 * MiB, null)).toBeInstanceOf(LimitExceededError);
    expect(refusal(unified(-1), 1e15, 1e15)).toBeUndefined();
  });
});
