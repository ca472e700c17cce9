import { CINDER_DEFAULT_RULES, Enforcer } from '@cinderflow/policy';
import type { RequestContext } from '@cinderflow/request-context';
import { CinderHttpError } from './cinder-errors';
import { allows, authorize, installEnforcer, isAdminByPolicy } from './policy';

const caller = (roles: string[], projectId = 'demo'): RequestContext => {
  const who = { userId: 'u', projectId, roles };
  return { requestId: 'req-1', ...who, isAdmin: isAdminByPolicy(who) };
};

describe('cinder-api policy', () => {
  afterEach(() => installEnforcer(new Enforcer(CINDER_DEFAULT_RULES)));

  it("refuses with Cinder's PolicyNotAuthorized as a 403", () => {
    expect(() => authorize(caller(['reader']), 'volume_extension:quotas:update')).toThrow(
      new CinderHttpError(
        403,
        "Policy doesn't allow volume_extension:quotas:update to be performed.",
      ),
    );
    expect(() => authorize(caller(['admin']), 'volume_extension:quotas:update')).not.toThrow();
  });

  it("judges owner rules by the resource's project, the caller's by default", () => {
    const member = caller(['member', 'reader']);
    expect(allows(member, 'volume:delete')).toBe(true);
    expect(allows(member, 'volume:delete', { project_id: 'demo', user_id: 'x' })).toBe(true);
    expect(allows(member, 'volume:delete', { project_id: 'other' })).toBe(false);
  });

  it('makes is_admin what context_is_admin says, overrides included', () => {
    expect(caller(['admin']).isAdmin).toBe(true);
    expect(caller(['member']).isAdmin).toBe(false);
    installEnforcer(new Enforcer(CINDER_DEFAULT_RULES, { context_is_admin: 'role:operator' }));
    expect(caller(['admin']).isAdmin).toBe(false);
    expect(caller(['operator']).isAdmin).toBe(true);
  });

  it('uses the installed enforcer for every check', () => {
    installEnforcer(new Enforcer(CINDER_DEFAULT_RULES, { 'volume:create': 'role:admin' }));
    expect(allows(caller(['member', 'reader']), 'volume:create')).toBe(false);
    expect(allows(caller(['admin']), 'volume:create')).toBe(true);
  });
});
