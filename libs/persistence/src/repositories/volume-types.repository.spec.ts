import { randomUUID } from 'node:crypto';
import { VolumeTypeEntity } from '../entities/volume-type.entity';
import { createTestDatabase } from '../testing/test-database';
import { VolumeTypesRepository } from './volume-types.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let repo: VolumeTypesRepository;
const ids: Record<string, string> = {};

async function type(name: string, isPublic: boolean) {
  ids[name] = randomUUID();
  await db.dataSource.manager.insert(VolumeTypeEntity, {
    id: ids[name],
    name,
    description: null,
    is_public: isPublic,
    extra_specs: {},
    created_at: new Date(),
    deleted: false,
  });
}

const member = (projectId: string) => ({ isAdmin: false, projectId });
const admin = { isAdmin: true, projectId: 'admin-project' };

beforeAll(async () => {
  db = await createTestDatabase();
  repo = new VolumeTypesRepository(db.dataSource.manager);
  await type('pub', true);
  await type('shared', false);
  await type('hidden', false);
  await repo.addAccess(ids.shared, 'p1');
});
afterAll(() => db.drop());

const names = (types: VolumeTypeEntity[]) =>
  types.map((t) => t.name).filter((n) => n !== '__DEFAULT__');

describe('VolumeTypesRepository: who sees private types (Cinder _volume_type_get_query)', () => {
  it('a non-admin sees public types and the private ones shared with its project', async () => {
    expect(names(await repo.list(member('p1'), true))).toEqual(['pub', 'shared']);
    expect(names(await repo.list(member('p2'), true))).toEqual(['pub']);
    // Whatever it asks for, nothing outside that.
    expect(names(await repo.list(member('p2'), null))).toEqual(['pub']);
    expect(await repo.findVisible(ids.shared, member('p1'))).not.toBeNull();
    expect(await repo.findVisible(ids.shared, member('p2'))).toBeNull();
    expect(await repo.findVisibleByName('hidden', member('p1'))).toBeNull();
  });

  it('an admin chooses with is_public: true (public + shared with it), false, null', async () => {
    expect(names(await repo.list(admin, true))).toEqual(['pub']);
    expect(names(await repo.list(admin, false))).toEqual(['hidden', 'shared']);
    expect(names(await repo.list(admin, null))).toEqual(['hidden', 'pub', 'shared']);
    expect(await repo.findVisible(ids.hidden, admin)).not.toBeNull();
  });

  it('access rows: a second add and a missing remove say so', async () => {
    expect(await repo.addAccess(ids.hidden, 'p3')).toBe(true);
    expect(await repo.addAccess(ids.hidden, 'p3')).toBe(false);
    expect((await repo.accessList(ids.hidden)).map((r) => r.project_id)).toEqual(['p3']);
    expect(await repo.removeAccess(ids.hidden, 'p3')).toBe(true);
    expect(await repo.removeAccess(ids.hidden, 'p3')).toBe(false);
  });

  it('a deleted type takes its encryption and access rows with it', async () => {
    await type('doomed', false);
    await repo.addAccess(ids.doomed, 'p1');
    await repo.createEncryption({
      encryption_id: randomUUID(),
      volume_type_id: ids.doomed,
      provider: 'luks',
      cipher: null,
      key_size: null,
      control_location: 'front-end',
      created_at: new Date(),
      updated_at: null,
      deleted: false,
      deleted_at: null,
    });
    await repo.softDelete(ids.doomed);
    expect(await repo.encryption(ids.doomed)).toBeNull();
    expect(await repo.accessList(ids.doomed)).toEqual([]);
    expect(await repo.findLive(ids.doomed)).toBeNull();
  });
});
