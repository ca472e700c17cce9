import { Enforcer } from './enforcer';
import {
  GLANCE_DEFAULT_RULES,
  glanceImageTarget,
  glanceProposedImageTarget,
} from './glance-defaults';

/** Keystone's project-scoped tokens: a role brings the roles it implies (admin → member → reader). */
const caller = (roles: string[], project: string) => ({ roles, project_id: project, user_id: 'u' });
const admin = caller(['admin', 'member', 'reader'], 'admins');
const ownerMember = caller(['member', 'reader'], 'p1');
const ownerReader = caller(['reader'], 'p1');
const otherMember = caller(['member', 'reader'], 'p2');
const otherReader = caller(['reader'], 'p2');
const noRole = caller(['observer'], 'p1');

const image = (visibility: string, owner: string | null = 'p1') => ({ owner, visibility });

describe("Glance's default policies", () => {
  const enforcer = new Enforcer(GLANCE_DEFAULT_RULES);
  const on = (rule: string, who: ReturnType<typeof caller>, img = image('private')) =>
    enforcer.enforce(rule, glanceImageTarget(img, who.project_id), who);

  it('parses and resolves every rule, with upstream check strings', () => {
    expect(GLANCE_DEFAULT_RULES.get_image).toBe(
      "rule:context_is_admin or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s or 'community':%(visibility)s or 'public':%(visibility)s or 'shared':%(visibility)s))",
    );
    expect(GLANCE_DEFAULT_RULES.add_image).toBe(
      'rule:context_is_admin or (role:member and project_id:%(project_id)s and project_id:%(owner)s)',
    );
    expect(GLANCE_DEFAULT_RULES.default).toBe('');
  });

  it('lets readers get images of their project, public, community and shared ones', () => {
    expect(on('get_image', ownerReader)).toBe(true);
    expect(on('get_image', otherReader)).toBe(false);
    for (const visibility of ['public', 'community', 'shared']) {
      expect(on('get_image', otherReader, image(visibility))).toBe(true);
    }
    expect(on('get_image', noRole)).toBe(false);
    expect(on('get_image', admin)).toBe(true);
  });

  it('lets members of the owning project change an image, readers and others not', () => {
    for (const rule of ['modify_image', 'delete_image', 'upload_image', 'set_image_location']) {
      expect([rule, on(rule, ownerMember)]).toEqual([rule, true]);
      expect([rule, on(rule, ownerReader)]).toEqual([rule, false]);
      expect([rule, on(rule, otherMember, image('public'))]).toEqual([rule, false]);
      expect([rule, on(rule, admin)]).toEqual([rule, true]);
    }
    expect(on('deactivate', ownerMember)).toBe(true);
    expect(on('reactivate', otherMember, image('shared'))).toBe(false);
  });

  it('keeps publicize_image and delete_image_location for admins', () => {
    expect(on('publicize_image', ownerMember)).toBe(false);
    expect(on('publicize_image', admin)).toBe(true);
    expect(on('communitize_image', ownerMember)).toBe(true);
    expect(on('delete_image_location', ownerMember)).toBe(false);
    expect(on('delete_image_location', admin)).toBe(true);
  });

  it('lets members (not readers) download what they may see', () => {
    expect(on('download_image', ownerMember)).toBe(true);
    expect(on('download_image', ownerReader)).toBe(false);
    expect(on('download_image', otherMember, image('public'))).toBe(true);
    expect(on('download_image', otherMember, image('shared'))).toBe(true);
    expect(on('download_image', otherMember)).toBe(false);
  });

  it('creates in the own project only, unless admin', () => {
    const add = (who: ReturnType<typeof caller>, owner?: string | null) =>
      enforcer.enforce('add_image', glanceProposedImageTarget({ owner }, who.project_id), who);
    expect(add(ownerMember)).toBe(true);
    expect(add(ownerMember, 'p1')).toBe(true);
    expect(add(ownerMember, 'p2')).toBe(false);
    expect(add(ownerReader)).toBe(false);
    expect(add(admin, 'p2')).toBe(true);
  });

  it('splits the member rules between the owner and the shared member', () => {
    const shared = image('shared');
    // The owner manages the list; the member project only answers (modify_member).
    expect(on('add_member', ownerMember, shared)).toBe(true);
    expect(on('delete_member', ownerMember, shared)).toBe(true);
    expect(on('modify_member', ownerMember, shared)).toBe(false);
    expect(on('add_member', otherMember, shared)).toBe(false);
    expect(on('modify_member', otherMember, shared)).toBe(true);
    expect(on('modify_member', otherReader, shared)).toBe(false);
    // Readers of either side list members; a stranger to a public image does not.
    expect(on('get_members', ownerReader, shared)).toBe(true);
    expect(on('get_members', otherReader, shared)).toBe(true);
    expect(on('get_member', otherReader, image('public'))).toBe(false);
    expect(on('get_members', admin, shared)).toBe(true);
  });

  it('sees the member only in a shared image the caller does not own', () => {
    expect(glanceImageTarget(image('shared'), 'p2')).toMatchObject({
      project_id: 'p1',
      member_id: 'p2',
    });
    expect(glanceImageTarget(image('shared'), 'p1')).toMatchObject({ member_id: null });
    expect(glanceImageTarget(image('community'), 'p2')).toMatchObject({ member_id: null });
  });

  it('keeps the tasks API and the stores detail for admins (and the service role)', () => {
    expect(enforcer.enforce('tasks_api_access', {}, ownerMember)).toBe(false);
    expect(enforcer.enforce('tasks_api_access', {}, admin)).toBe(true);
    expect(enforcer.enforce('get_tasks', {}, ownerReader)).toBe(true);
    expect(enforcer.enforce('stores_info_detail', {}, ownerMember)).toBe(false);
    expect(enforcer.enforce('stores_info_detail', {}, caller(['service'], 'svc'))).toBe(true);
  });

  it('lets an override change a decision', () => {
    const strict = new Enforcer(GLANCE_DEFAULT_RULES, { add_image: 'role:admin' });
    expect(strict.enforce('add_image', glanceProposedImageTarget({}, 'p1'), ownerMember)).toBe(
      false,
    );
  });
});
