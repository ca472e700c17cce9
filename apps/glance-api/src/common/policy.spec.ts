import type { RequestContext } from '@cinderflow/request-context';
import { hasRole, isAdminOrOwningMember, notAuthorized } from './policy';

const caller = (roles: string[], projectId = 'p'): RequestContext => ({
  requestId: 'req-x',
  userId: 'u',
  projectId,
  roles,
  isAdmin: roles.includes('admin'),
});

describe('hasRole (Keystone default implied roles: admin → member → reader)', () => {
  it.each([
    [['admin'], { admin: true, member: true, reader: true }],
    [['member'], { admin: false, member: true, reader: true }],
    [['reader'], { admin: false, member: false, reader: true }],
    [['other'], { admin: false, member: false, reader: false }],
  ] as const)('%j holds %o', (roles, held) => {
    for (const role of ['admin', 'member', 'reader'] as const) {
      expect([role, hasRole(caller([...roles]), role)]).toEqual([role, held[role]]);
    }
  });
});

describe('isAdminOrOwningMember (delete_image, modify_image: admin or a member of the owning project)', () => {
  it.each([
    [caller(['admin'], 'other'), 'p', true],
    [caller(['member', 'reader']), 'p', true],
    [caller(['reader']), 'p', false],
    [caller(['member'], 'other'), 'p', false],
    [caller(['member']), null, false],
  ])('%o on an image of %s → %s', (who, owner, allowed) => {
    expect(isAdminOrOwningMember(who, { owner })).toBe(allowed);
  });

  it('words a refusal as oslo.policy does', () => {
    expect(notAuthorized('deactivate').message).toBe(
      'You are not authorized to complete deactivate action.',
    );
    expect(notAuthorized('deactivate').status).toBe(403);
  });
});
