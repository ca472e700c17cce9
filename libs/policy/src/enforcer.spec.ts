import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CINDER_DEFAULT_RULES } from './cinder-defaults';
import { Enforcer, loadEnforcer, PolicyFileError, PolicyNotAuthorized } from './enforcer';

/** oslo.context's policy values for a project-scoped token, as cinder-api builds them. */
const caller = (roles: string[], project = 'demo') => ({
  roles,
  project_id: project,
  user_id: 'u',
  is_admin: roles.includes('admin'),
  is_admin_project: true,
});
const admin = caller(['admin', 'member', 'reader'], 'admin');
const member = caller(['member', 'reader']);
const reader = caller(['reader']);
const own = { project_id: 'demo', user_id: 'u' };
const other = { project_id: 'elsewhere', user_id: 'v' };

describe('Cinder default policies', () => {
  const enforcer = new Enforcer(CINDER_DEFAULT_RULES);

  it('has every default parse and resolve', () => {
    expect(Object.keys(CINDER_DEFAULT_RULES).length).toBeGreaterThan(150);
    expect(CINDER_DEFAULT_RULES['volume:create']).toBe('rule:xena_system_admin_or_project_member');
  });

  it('lets readers read their project, members change it, admins anything', () => {
    expect(enforcer.enforce('volume:get', own, reader)).toBe(true);
    expect(enforcer.enforce('volume:create', own, reader)).toBe(false);
    expect(enforcer.enforce('volume:delete', own, member)).toBe(true);
    expect(enforcer.enforce('volume:delete', other, member)).toBe(false);
    expect(enforcer.enforce('volume:delete', other, admin)).toBe(true);
  });

  it('keeps admin_api rules for admins', () => {
    for (const rule of [
      'volume_extension:volume_admin_actions:reset_status',
      'volume_extension:volume_admin_actions:force_delete',
      'volume_extension:type_create',
      'volume_extension:quotas:update',
      'volume_extension:volume_host_attribute',
    ]) {
      expect(enforcer.enforce(rule, own, member)).toBe(false);
      expect(enforcer.enforce(rule, own, admin)).toBe(true);
    }
    // admin_api's second branch: the admin role in the admin project, whatever is_admin says.
    expect(
      enforcer.enforce('admin_api', {}, { ...admin, is_admin: false, is_admin_project: true }),
    ).toBe(true);
    expect(
      enforcer.enforce('admin_api', {}, { ...admin, is_admin: false, is_admin_project: false }),
    ).toBe(false);
  });

  it('shows the tenant attribute to a project reader (Cinder does) but not the host', () => {
    expect(enforcer.enforce('volume_extension:volume_tenant_attribute', own, reader)).toBe(true);
    expect(enforcer.enforce('volume_extension:volume_host_attribute', own, reader)).toBe(false);
  });

  it('throws PolicyNotAuthorized with Cinder message', () => {
    expect(() => enforcer.authorize('volume:create', own, reader)).toThrow(
      new PolicyNotAuthorized('volume:create'),
    );
    expect(new PolicyNotAuthorized('volume:create').message).toBe(
      "Policy doesn't allow volume:create to be performed.",
    );
    expect(() => enforcer.enforce('volume:nope', own, admin)).toThrow(/not registered/);
  });
});

describe('policy files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('replaces rules by name, YAML or JSON, and keeps the others', () => {
    const yaml = loadEnforcer(
      CINDER_DEFAULT_RULES,
      file('p.yaml', '# only admins create\n"volume:create": "role:admin"\nmy_rule: "@"\n'),
    );
    expect(yaml.enforce('volume:create', own, member)).toBe(false);
    expect(yaml.enforce('volume:create', own, admin)).toBe(true);
    expect(yaml.enforce('volume:delete', own, member)).toBe(true);
    expect(yaml.enforce('my_rule', {}, {})).toBe(true);
    const json = loadEnforcer(
      CINDER_DEFAULT_RULES,
      file('p.json', '{"admin_api": "role:admin or role:member"}'),
    );
    // A base rule changes every rule that refers to it.
    expect(json.enforce('volume_extension:quotas:update', own, member)).toBe(true);
    expect(
      loadEnforcer(CINDER_DEFAULT_RULES, file('empty.yaml', '')).enforce('volume:get', own, reader),
    ).toBe(true);
  });

  it.each([
    ['not YAML', '"volume:create": [role:admin', /not valid YAML/],
    ['a list', '- role:admin\n', /must map rule names/],
    ['no check string', 'volume:create: 1\n', /must be a check string/],
    ['a bad check string', '"volume:create": "role:admin or"\n', /volume:create: unexpected end/],
    ['an undefined rule', '"volume:create": "rule:nope"\n', /undefined rule:nope/],
    ['a circle', 'a: rule:b\nb: rule:a\n', /circle/],
  ])('refuses %s', (_, text, message) => {
    expect(() => loadEnforcer(CINDER_DEFAULT_RULES, file('bad.yaml', text))).toThrow(
      PolicyFileError,
    );
    expect(() => loadEnforcer(CINDER_DEFAULT_RULES, file('bad.yaml', text))).toThrow(message);
  });

  it('refuses a file it cannot read', () => {
    expect(() => loadEnforcer(CINDER_DEFAULT_RULES, join(dir, 'missing.yaml'))).toThrow(
      /cannot read/,
    );
  });
});
