import { evaluate, parseCheckString, PolicyParseError } from './check-language';

const never = () => false;
const check = (
  text: string,
  credentials: Record<string, unknown>,
  target: Record<string, unknown> = {},
  rule: (name: string) => boolean = never,
) => evaluate(parseCheckString(text), target, credentials, rule);

describe('oslo.policy check language', () => {
  it('knows @, ! and the empty string', () => {
    expect(check('@', {})).toBe(true);
    expect(check('!', {})).toBe(false);
    expect(check('', {})).toBe(true);
  });

  it('matches roles case-insensitively', () => {
    expect(check('role:admin', { roles: ['Admin'] })).toBe(true);
    expect(check('role:admin', { roles: ['member'] })).toBe(false);
    expect(check('role:admin', {})).toBe(false);
  });

  it('compares generic checks with the target interpolated, Python-style', () => {
    const creds = { project_id: 'p1', is_admin: true, roles: ['reader'] };
    expect(check('project_id:%(project_id)s', creds, { project_id: 'p1' })).toBe(true);
    expect(check('project_id:%(project_id)s', creds, { project_id: 'p2' })).toBe(false);
    // A target without the key fails the check (oslo's KeyError).
    expect(check('project_id:%(project_id)s', creds, {})).toBe(false);
    expect(check('is_admin:True', creds)).toBe(true);
    expect(check('is_admin:True', { ...creds, is_admin: false })).toBe(false);
    expect(check('system_scope:all', creds)).toBe(false);
    expect(check("'p1':%(project_id)s", {}, { project_id: 'p1' })).toBe(true);
    expect(check('user.roles:reader', { user: { roles: ['reader'] } })).toBe(true);
  });

  it('gives not, and, or their precedence, and honours parentheses', () => {
    const creds = { roles: ['member'], project_id: 'p' };
    expect(check('role:admin or role:member and project_id:p', creds)).toBe(true);
    expect(check('(role:admin or role:member) and project_id:q', creds)).toBe(false);
    expect(check('not role:admin and role:member', creds)).toBe(true);
    expect(check('not (role:admin or role:member)', creds)).toBe(false);
    expect(check('role:admin OR NOT role:reader', creds)).toBe(true);
    expect(check('((role:member))', creds)).toBe(true);
  });

  it('asks the enforcer for rule:x', () => {
    const rules = (name: string) => name === 'yes';
    expect(check('rule:yes', {}, {}, rules)).toBe(true);
    expect(check('rule:no', {}, {}, rules)).toBe(false);
    expect(check('rule:no or rule:yes', {}, {}, rules)).toBe(true);
  });

  it.each(['role:admin or', '(role:admin', 'role:admin)', 'and role:x', 'admin', 'role:a role:b'])(
    'refuses %p',
    (text) => {
      expect(() => parseCheckString(text)).toThrow(PolicyParseError);
    },
  );
});
