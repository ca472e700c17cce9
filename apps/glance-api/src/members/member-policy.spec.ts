import { memberPolicy, type MemberRule } from './member-policy';

const shared = { owner: 'owner', visibility: 'shared' };
const caller = (projectId: string, roles: string[]) => ({
  projectId,
  roles,
  isAdmin: roles.includes('admin'),
});
const ownerMember = caller('owner', ['member', 'reader']);
const sharedMember = caller('p2', ['member', 'reader']);
const admin = caller('elsewhere', ['admin']);

const RULES: MemberRule[] = [
  'add_member',
  'get_member',
  'get_members',
  'modify_member',
  'delete_member',
];

describe('memberPolicy (Glance secure-RBAC defaults)', () => {
  it.each<[string, ReturnType<typeof caller>, Record<MemberRule, string>]>([
    [
      'the owner',
      ownerMember,
      {
        add_member: 'allowed',
        get_member: 'allowed',
        get_members: 'allowed',
        modify_member: 'forbidden',
        delete_member: 'allowed',
      },
    ],
    [
      'a member project',
      sharedMember,
      {
        add_member: 'forbidden',
        get_member: 'allowed',
        get_members: 'allowed',
        modify_member: 'allowed',
        delete_member: 'forbidden',
      },
    ],
    [
      'an admin of another project',
      admin,
      {
        add_member: 'allowed',
        get_member: 'allowed',
        get_members: 'allowed',
        modify_member: 'allowed',
        delete_member: 'allowed',
      },
    ],
    [
      "a reader of the owner's project",
      caller('owner', ['reader']),
      {
        add_member: 'forbidden',
        get_member: 'allowed',
        get_members: 'allowed',
        modify_member: 'forbidden',
        delete_member: 'forbidden',
      },
    ],
    [
      "a reader of the member's project",
      caller('p2', ['reader']),
      {
        add_member: 'forbidden',
        get_member: 'allowed',
        get_members: 'allowed',
        modify_member: 'forbidden',
        delete_member: 'forbidden',
      },
    ],
    [
      'a caller with no role Glance knows',
      caller('owner', ['other']),
      {
        add_member: 'not_found',
        get_member: 'not_found',
        get_members: 'not_found',
        modify_member: 'not_found',
        delete_member: 'not_found',
      },
    ],
  ])('decides for %s on a shared image', (_who, who, expected) => {
    for (const rule of RULES)
      expect([rule, memberPolicy(rule, who, shared)]).toEqual([rule, expected[rule]]);
  });

  it('reads `member` alone as also `reader` (Keystone implies it)', () => {
    expect(memberPolicy('get_members', caller('p2', ['member']), shared)).toBe('allowed');
  });

  it('has no member project on an image that is not shared', () => {
    const privateImage = { owner: 'owner', visibility: 'private' };
    expect(memberPolicy('modify_member', sharedMember, privateImage)).toBe('not_found');
    const publicImage = { owner: 'owner', visibility: 'public' };
    expect(memberPolicy('get_members', sharedMember, publicImage)).toBe('forbidden');
    expect(memberPolicy('modify_member', sharedMember, publicImage)).toBe('forbidden');
    expect(memberPolicy('add_member', ownerMember, publicImage)).toBe('allowed');
  });
});
