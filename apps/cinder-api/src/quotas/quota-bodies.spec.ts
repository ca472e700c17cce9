import { CinderHttpError } from '../common/cinder-errors';
import { parseQuotaClassSet, parseQuotaSet, validateInteger } from './quota-bodies';

const RESOURCES = new Set(['volumes', 'gigabytes', 'per_volume_gigabytes', 'volumes_fast']);

function refusal(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof CinderHttpError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

describe('parseQuotaSet (cinder/api/schemas/quotas.py update + the quota_set format)', () => {
  it('accepts known resources, strings of digits and -1; ignores tenant_id and id', () => {
    expect(
      parseQuotaSet(
        { quota_set: { volumes: 5, gigabytes: '-1', volumes_fast: ' 2', id: 'x', tenant_id: 'y' } },
        RESOURCES,
      ),
    ).toEqual({ volumes: 5, gigabytes: -1, volumes_fast: 2 });
  });

  it.each([
    [
      { quota_set: { bogus: 1, volumes: 1, other: 2 } },
      'Invalid input received: Bad key(s) in quota set: bogus, other',
    ],
    [{ quota_set: { volumes: -2 } }, 'volumes must be >= -1'],
    [{ quota_set: { volumes: 2_147_483_648 } }, 'volumes must be <= 2147483647'],
    [{ quota_set: { volumes: 1.5 } }, 'volumes must be an integer'],
    [{ quota_set: { volumes: 'abc' } }, 'volumes must be an integer'],
    [{ quota_set: { volumes: true } }, 'volumes must be an integer'],
    [{ quota_set: { volumes: null } }, 'volumes must be an integer'],
    // A bad value is reported before the bad keys gathered so far, as Cinder's loop does.
    [{ quota_set: { bogus: 1, volumes: -5 } }, 'volumes must be >= -1'],
    [
      { quota_set: {} },
      'Invalid input for field/attribute quota_set. Value: {}. {} does not have enough properties',
    ],
    [{}, "'quota_set' is a required property"],
    [
      { quota_set: { volumes: 1 }, extra: 1 },
      "Additional properties are not allowed ('extra' was unexpected)",
    ],
  ])('%j → 400 %s', (body, message) => {
    expect(refusal(() => parseQuotaSet(body, RESOURCES))).toEqual({ status: 400, message });
  });
});

describe('parseQuotaClassSet (cinder/api/schemas/quota_classes.py)', () => {
  it('accepts integers from -1 and strings of digits', () => {
    expect(
      parseQuotaClassSet({ quota_class_set: { volumes: -1, gigabytes: '20' } }, RESOURCES),
    ).toEqual({ volumes: -1, gigabytes: 20 });
  });

  it.each([
    [
      { quota_class_set: { nope: 1 } },
      'Invalid input received: Bad key(s) in quota class set: nope',
    ],
    [
      { quota_class_set: { volumes: -2 } },
      'Invalid input for field/attribute volumes. Value: -2. -2 is less than the minimum of -1',
    ],
    [
      { quota_class_set: { volumes: '-1' } },
      "Invalid input for field/attribute volumes. Value: -1. '-1' does not match '^[0-9]*$'",
    ],
    [
      { quota_class_set: { volumes: 1.5 } },
      "Invalid input for field/attribute volumes. Value: 1.5. 1.5 is not of type 'integer', 'string'",
    ],
    [
      { quota_class_set: { volumes: '3000000000' } },
      'Invalid input for field/attribute volumes. Value: 3000000000. 3000000000 is greater than the maximum of 2147483647',
    ],
    [
      { quota_class_set: { volumes: '' } },
      "Invalid input for field/attribute volumes. Value: . '' is too short",
    ],
    [{}, "'quota_class_set' is a required property"],
  ])('%j → 400 %s', (body, message) => {
    expect(refusal(() => parseQuotaClassSet(body, RESOURCES))).toEqual({ status: 400, message });
  });
});

describe('validateInteger (oslo strutils.validate_integer)', () => {
  it('reads int(str(value))', () => {
    expect(validateInteger('+7', 'x', -1, 10)).toBe(7);
    expect(validateInteger(-1, 'x', -1, 10)).toBe(-1);
  });
});
