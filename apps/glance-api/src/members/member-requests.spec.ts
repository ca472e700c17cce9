import { GlanceHttpError } from '../common/glance-errors';
import { memberIdProblem, memberToAdd, statusToSet } from './member-requests';

function refusal(fn: () => unknown): [number, string] | 'accepted' {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    if (!(error instanceof GlanceHttpError)) throw error;
    return [error.status, error.message];
  }
}

describe('memberToAdd (RequestDeserializer.create)', () => {
  it('takes the member of {"member": …}', () => {
    expect(memberToAdd({ member: 'p2' })).toBe('p2');
    expect(memberToAdd({ member: 'p2', other: 1 })).toBe('p2');
  });

  it.each<[unknown, string]>([
    [undefined, 'Body expected in request.'],
    [{}, 'Member to be added not specified'],
    [{ member: '' }, "Member can't be empty"],
    [{ member: null }, "Member can't be empty"],
    [{ member: 0 }, "Member can't be empty"],
    [{ member: [] }, "Member can't be empty"],
    [['p2'], 'Expected a member in the form: {"member": "image_id"}'],
    [{ member: 12 }, 'Expected a member in the form: {"member": "image_id"}'],
    [{ member: { id: 'p2' } }, 'Expected a member in the form: {"member": "image_id"}'],
  ])('refuses %j with 400 %s', (body, message) => {
    expect(refusal(() => memberToAdd(body))).toEqual([400, message]);
  });
});

describe('memberIdProblem', () => {
  it('refuses 4-byte characters (no_4byte_params) and ids the column cannot hold', () => {
    expect(memberIdProblem('p2')).toBeNull();
    expect(memberIdProblem('é'.repeat(255))).toBeNull();
    expect(memberIdProblem('tenant-😀')).toBe("Member can't contain 4 byte unicode characters.");
    expect(memberIdProblem('x'.repeat(256))).toBe("Member can't be longer than 255 characters.");
  });
});

describe('statusToSet (RequestDeserializer.update)', () => {
  it('takes the status as sent; its value is checked after the policy', () => {
    expect(statusToSet({ status: 'accepted' })).toBe('accepted');
    expect(statusToSet({ status: 'bogus' })).toBe('bogus');
  });

  it.each<[unknown, string]>([
    [undefined, 'Body expected in request.'],
    [{}, 'Status not specified'],
    [['accepted'], 'Expected a status in the form: {"status": "status"}'],
  ])('refuses %j with 400 %s', (body, message) => {
    expect(refusal(() => statusToSet(body))).toEqual([400, message]);
  });
});
