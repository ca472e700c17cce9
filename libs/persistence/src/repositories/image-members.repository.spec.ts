import { randomUUID } from 'node:crypto';
import { ImageEntity } from '../entities/image.entity';
import { createTestDatabase } from '../testing/test-database';
import { RecordNotFoundError } from '../transition';
import { ImageMembersRepository, memberRowsVisibleTo } from './image-members.repository';
import { ImagesRepository, type MemberStatusFilter } from './images.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let members: ImageMembersRepository;
let images: ImagesRepository;

const owner = { projectId: 'owner', isAdmin: false };
const admin = { projectId: 'someone', isAdmin: true };
const as = (projectId: string) => ({ projectId, isAdmin: false });

async function image(
  name: string,
  project: string,
  visibility: string,
  status: ImageEntity['status'] = 'queued',
) {
  const row = await images.insert({ id: randomUUID(), owner: project, name, visibility });
  if (status !== 'queued') {
    await db.dataSource.manager.update(ImageEntity, { id: row.id }, { status });
  }
  return row;
}

async function added(imageId: string, member: string, maximum = 128) {
  const result = await members.add(imageId, member, maximum);
  if (result.outcome !== 'added') throw new Error(`not added: ${result.outcome}`);
  return result.member;
}

beforeAll(async () => {
  db = await createTestDatabase();
  members = new ImageMembersRepository(db.dataSource.manager);
  images = new ImagesRepository(db.dataSource.manager);
});
afterAll(() => db?.drop());

describe('memberRowsVisibleTo (Glance _image_member_find)', () => {
  it('lets an admin and the owner read every row, anyone else its own only', () => {
    expect(memberRowsVisibleTo({ owner: 'owner' }, owner)).toBeNull();
    expect(memberRowsVisibleTo({ owner: 'owner' }, admin)).toBeNull();
    expect(memberRowsVisibleTo({ owner: 'owner' }, as('p2'))).toBe('p2');
    expect(memberRowsVisibleTo({ owner: null }, as('p2'))).toBe('p2');
  });
});

describe('ImageMembersRepository', () => {
  it('adds a member pending, created_at = updated_at', async () => {
    const img = await image('a', 'owner', 'shared');
    const member = await added(img.id, 'p2');
    expect(member).toMatchObject({ image_id: img.id, member: 'p2', status: 'pending' });
    expect(member.updated_at).toEqual(member.created_at);
    expect(await members.count(img.id)).toBe(1);
  });

  it('refuses a duplicate, and checks the quota before it (as Glance does)', async () => {
    const img = await image('b', 'owner', 'shared');
    await added(img.id, 'p2');
    expect(await members.add(img.id, 'p2', 128)).toEqual({ outcome: 'duplicate' });
    expect(await members.add(img.id, 'p2', 1)).toEqual({
      outcome: 'limit',
      attempted: 2,
      maximum: 1,
    });
  });

  it('counts live members against the quota; a negative quota is no limit', async () => {
    const img = await image('c', 'owner', 'shared');
    await added(img.id, 'p1', 2);
    const second = await added(img.id, 'p2', 2);
    expect(await members.add(img.id, 'p3', 2)).toEqual({
      outcome: 'limit',
      attempted: 3,
      maximum: 2,
    });
    expect(await members.add(img.id, 'p3', 0)).toMatchObject({ outcome: 'limit', maximum: 0 });
    await members.remove(second);
    await added(img.id, 'p3', 2);
    for (const p of ['p4', 'p5', 'p6']) await added(img.id, p, -1);
    expect(await members.count(img.id)).toBe(5);
  });

  it('gives a former member a new row, pending again, with its first created_at', async () => {
    const img = await image('d', 'owner', 'shared');
    const first = await added(img.id, 'p2');
    await members.setStatus(first, 'accepted');
    expect(await members.remove(first)).toBe(true);
    expect(await members.remove(first)).toBe(false);
    expect(await members.find(img, 'p2', owner)).toBeNull();
    const again = await added(img.id, 'p2');
    expect(again).toMatchObject({ status: 'pending', deleted: false });
    expect(again.id).not.toBe(first.id);
    expect(again.deleted_at).toBeNull();
    expect(again.created_at).toEqual(first.created_at);
  });

  it('adds nothing to an image that is gone', async () => {
    for (const status of ['deleted', 'pending_delete'] as const) {
      const img = await image(`gone-${status}`, 'owner', 'shared', status);
      expect(await members.add(img.id, 'p2', 128)).toEqual({ outcome: 'image_gone' });
      expect(await members.count(img.id)).toBe(0);
    }
  });

  it('holds the quota and refuses duplicates under concurrent adds', async () => {
    const img = await image('e', 'owner', 'shared');
    const many = await Promise.all(
      Array.from({ length: 12 }, (_, i) => members.add(img.id, `q${i}`, 5)),
    );
    expect(many.filter((r) => r.outcome === 'added')).toHaveLength(5);
    expect(many.filter((r) => r.outcome === 'limit')).toHaveLength(7);
    const other = await image('e2', 'owner', 'shared');
    const same = await Promise.all(Array.from({ length: 6 }, () => members.add(other.id, 'z', -1)));
    expect(same.filter((r) => r.outcome === 'added')).toHaveLength(1);
    expect(same.filter((r) => r.outcome === 'duplicate')).toHaveLength(5);
    expect(await members.count(other.id)).toBe(1);
  });

  it('sets a status through the member machine, and not on a removed member', async () => {
    const img = await image('f', 'owner', 'shared');
    const member = await added(img.id, 'p2');
    const accepted = await members.setStatus(member, 'accepted');
    expect(accepted.status).toBe('accepted');
    expect(accepted.updated_at!.getTime()).toBeGreaterThanOrEqual(member.updated_at!.getTime());
    expect((await members.setStatus(member, 'accepted')).status).toBe('accepted');
    expect((await members.setStatus(member, 'rejected')).status).toBe('rejected');
    expect((await members.setStatus(member, 'pending')).status).toBe('pending');
    await members.remove(member);
    await expect(members.setStatus(member, 'accepted')).rejects.toBeInstanceOf(RecordNotFoundError);
  });

  it('lists every member to the owner and an admin, its own row to a member, none to others', async () => {
    const img = await image('g', 'owner', 'shared');
    for (const p of ['p1', 'p2', 'p3']) await added(img.id, p);
    await members.remove((await members.find(img, 'p3', owner))!);
    const names = async (viewer: { projectId: string; isAdmin: boolean }) =>
      (await members.list(img, viewer)).map((m) => m.member);
    expect(await names(owner)).toEqual(['p1', 'p2']);
    expect(await names(admin)).toEqual(['p1', 'p2']);
    expect(await names(as('p2'))).toEqual(['p2']);
    expect(await names(as('p3'))).toEqual([]);
    expect(await names(as('stranger'))).toEqual([]);
    expect((await members.find(img, 'p1', as('p1')))?.member).toBe('p1');
    expect(await members.find(img, 'p1', as('p2'))).toBeNull();
    expect((await members.find(img, 'p1', owner))?.member).toBe('p1');
    expect(await members.find(img, 'nobody', owner)).toBeNull();
  });
});

describe('ImagesRepository.visibleToClause (Glance _select_images_query)', () => {
  const fixture: Record<string, string> = {};

  beforeAll(async () => {
    for (const visibility of ['public', 'community', 'private', 'shared']) {
      fixture[`other-${visibility}`] = (
        await image(`v-other-${visibility}`, 'other', visibility)
      ).id;
      fixture[`mine-${visibility}`] = (
        await image(`v-mine-${visibility}`, 'viewer', visibility)
      ).id;
    }
    for (const status of ['pending', 'accepted', 'rejected'] as const) {
      const id = (await image(`v-shared-${status}`, 'other', 'shared')).id;
      fixture[`shared-${status}`] = id;
      const member = await added(id, 'viewer');
      if (status !== 'pending') await members.setStatus(member, status);
    }
    // A membership that was removed, and one of a private image: neither shows anything.
    fixture['shared-removed'] = (await image('v-shared-removed', 'other', 'shared')).id;
    await members.remove(await added(fixture['shared-removed'], 'viewer'));
    fixture['private-member'] = (await image('v-private-member', 'other', 'private')).id;
    await added(fixture['private-member'], 'viewer');
  });

  async function visible(
    viewer: { projectId: string; isAdmin: boolean },
    memberStatus?: MemberStatusFilter,
  ): Promise<string[]> {
    const { sql, params } = ImagesRepository.visibleToClause(viewer, memberStatus, 'img');
    const rows = await db.dataSource.manager
      .createQueryBuilder(ImageEntity, 'img')
      .where('img.name LIKE :prefix', { prefix: 'v-%' })
      .andWhere(sql, params)
      .getMany();
    const names = new Map(Object.entries(fixture).map(([name, id]) => [id, name]));
    return rows.map((row) => names.get(row.id)!).sort();
  }

  const always = [
    'mine-community',
    'mine-private',
    'mine-public',
    'mine-shared',
    'other-community',
    'other-public',
  ];

  it.each<[MemberStatusFilter | undefined, string[]]>([
    [undefined, ['shared-accepted']],
    ['accepted', ['shared-accepted']],
    ['pending', ['shared-pending']],
    ['rejected', ['shared-rejected']],
    ['all', ['shared-accepted', 'shared-pending', 'shared-rejected']],
  ])('member_status %s: public, community, own, and shared as a member in it', async (s, extra) => {
    expect(await visible(as('viewer'), s)).toEqual([...always, ...extra].sort());
  });

  it('shows an admin every image, whatever the member status', async () => {
    const all = Object.keys(fixture).sort();
    expect(await visible(admin)).toEqual(all);
    expect(await visible(admin, 'rejected')).toEqual(all);
  });

  it('refuses an alias or a member status it cannot put in SQL', () => {
    expect(() => ImagesRepository.visibleToClause(owner, 'accepted', 'i; DROP')).toThrow();
    expect(() => ImagesRepository.visibleToClause(owner, 'x' as MemberStatusFilter)).toThrow();
  });
});
