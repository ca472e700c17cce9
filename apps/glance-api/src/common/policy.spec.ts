import { Enforcer, GLANCE_DEFAULT_RULES } from '@cinderflow/policy';
import {
  allows,
  authorizeOnImage,
  credentialsOf,
  installEnforcer,
  isAdminByPolicy,
} from './policy';

const caller = (roles: string[], projectId = 'p') => ({ userId: 'u', projectId, roles });
const refusal = (fn: () => void) => {
  try {
    fn();
    return undefined;
  } catch (error) {
    const { status, message } = error as { status: number; message: string };
    return [status, message];
  }
};

describe('glance-api policy helpers', () => {
  afterEach(() => installEnforcer(new Enforcer(GLANCE_DEFAULT_RULES)));

  it("adds Keystone's implied roles (admin → member → reader) to a caller's own", () => {
    expect(credentialsOf(caller(['Admin'])).roles).toEqual(['admin', 'member', 'reader']);
    expect(credentialsOf(caller(['member'])).roles).toEqual(['member', 'reader']);
    expect(credentialsOf(caller(['reader', 'other'])).roles).toEqual(['reader', 'other']);
  });

  it('is admin by context_is_admin', () => {
    expect(isAdminByPolicy(caller(['admin']))).toBe(true);
    expect(isAdminByPolicy(caller(['member']))).toBe(false);
    installEnforcer(new Enforcer(GLANCE_DEFAULT_RULES, { context_is_admin: 'role:cloud_admin' }));
    expect(isAdminByPolicy(caller(['admin']))).toBe(false);
    expect(isAdminByPolicy(caller(['cloud_admin']))).toBe(true);
  });

  it('refuses on an image with 403 when the caller may get it, else 404', () => {
    const image = { owner: 'p', visibility: 'private' };
    expect(refusal(() => authorizeOnImage(caller(['member']), 'modify_image', image))).toBe(
      undefined,
    );
    expect(refusal(() => authorizeOnImage(caller(['reader']), 'modify_image', image))).toEqual([
      403,
      'You are not authorized to complete modify_image action.',
    ]);
    expect(refusal(() => authorizeOnImage(caller(['other']), 'modify_image', image))).toEqual([
      404,
      'The resource could not be found.',
    ]);
    const foreign = { owner: 'q', visibility: 'public' };
    expect(refusal(() => authorizeOnImage(caller(['member']), 'delete_image', foreign))).toEqual([
      403,
      'You are not authorized to complete delete_image action.',
    ]);
  });

  it('asks the installed enforcer', () => {
    expect(allows(caller(['admin']), 'tasks_api_access')).toBe(true);
    installEnforcer(new Enforcer(GLANCE_DEFAULT_RULES, { tasks_api_access: '!' }));
    expect(allows(caller(['admin']), 'tasks_api_access')).toBe(false);
  });
});
