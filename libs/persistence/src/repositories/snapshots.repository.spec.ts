import { randomUUID } from 'node:crypto';
import { SnapshotEntity } from '../entities/snapshot.entity';
import { DEFAULT_VOLUME_TYPE_ID } from '../entities/volume-type.entity';
import { VolumeEntity } from '../entities/volume.entity';
import { createTestDatabase } from '../testing/test-database';
import type { PageRequest } from './keyset-page';
import { SnapshotsRepository } from './snapshots.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let repo: SnapshotsRepository;
const volumes: Record<string, string> = {};
const ids: Record<string, string> = {};

const page = (extra: Partial<PageRequest> = {}): PageRequest => ({
  sort: [{ column: 's.created_at', direction: 'asc' }],
  limit: 100,
  markerNotFound: (marker) => new Error(`no ${marker}`),
  ...extra,
});

async function volume(name: string, project: string, az: string) {
  const id = randomUUID();
  await db.dataSource.manager.insert(VolumeEntity, {
    id,
    project_id: project,
    user_id: 'u',
    size: 1,
    status: 'available',
    availability_zone: az,
    volume_type_id: DEFAULT_VOLUME_TYPE_ID,
    host: 'h@b#b',
    created_at: new Date(),
  });
  volumes[name] = id;
}

async function snapshot(name: string, volume: string, extra: Partial<SnapshotEntity> = {}) {
  const id = randomUUID();
  const project = (await db.dataSource.manager.findOneByOrFail(VolumeEntity, { id: volume }))
    .project_id;
  await db.dataSource.manager.insert(SnapshotEntity, {
    id,
    project_id: project,
    user_id: 'u',
    volume_id: volume,
    status: 'available',
    volume_size: 1,
    display_name: name,
    volume_type_id: DEFAULT_VOLUME_TYPE_ID,
    metadata: {},
    created_at: new Date(Date.now() + Object.keys(ids).length),
    ...extra,
  });
  ids[name] = id;
}

beforeAll(async () => {
  db = await createTestDatabase();
  repo = new SnapshotsRepository(db.dataSource.manager);
  await volume('v1', 'p1', 'nova');
  await volume('v2', 'p2', 'other');
  await snapshot('a', volumes.v1, { metadata: { k: 'v', x: 'y' } });
  await snapshot('b', volumes.v1, { status: 'error', use_quota: false });
  await snapshot('c', volumes.v2);
  await snapshot('gone', volumes.v1, { deleted: true, deleted_at: new Date() });
});
afterAll(() => db.drop());

const names = (rows: SnapshotEntity[]) => rows.map((r) => r.display_name);

describe('SnapshotsRepository', () => {
  it('lists a project, or every project, never the deleted ones', async () => {
    expect(names((await repo.list({ projectId: 'p1' }, {}, page())).rows)).toEqual(['a', 'b']);
    expect(names((await repo.list({}, {}, page())).rows)).toEqual(['a', 'b', 'c']);
    expect(names((await repo.list({}, { project_id: 'p2' }, page())).rows)).toEqual(['c']);
  });

  it('filters by name, status, volume, metadata, zone and quota use', async () => {
    const list = async (filters: Parameters<SnapshotsRepository['list']>[1]) =>
      names((await repo.list({}, filters, page())).rows);
    expect(await list({ name: 'b' })).toEqual(['b']);
    expect(await list({ status: 'error' })).toEqual(['b']);
    expect(await list({ volume_id: volumes.v2 })).toEqual(['c']);
    expect(await list({ volume_id: 'not-a-uuid' })).toEqual([]);
    expect(await list({ metadata: { k: 'v' } })).toEqual(['a']);
    expect(await list({ metadata: { k: 'other' } })).toEqual([]);
    expect(await list({ availability_zone: 'other' })).toEqual(['c']);
    expect(await list({ use_quota: false })).toEqual(['b']);
  });

  it('pages after a marker and counts', async () => {
    const first = await repo.list({}, {}, page({ limit: 2, withCount: true }));
    expect(names(first.rows)).toEqual(['a', 'b']);
    expect(first.count).toBe(3);
    const next = await repo.list({}, {}, page({ limit: 2, marker: ids.b }));
    expect(names(next.rows)).toEqual(['c']);
    await expect(repo.list({}, {}, page({ marker: ids.gone }))).rejects.toThrow(`no ${ids.gone}`);
  });

  it('finds live snapshots within a scope and counts those of a volume', async () => {
    expect((await repo.findLive(ids.a, { projectId: 'p1' }))?.display_name).toBe('a');
    expect(await repo.findLive(ids.a, { projectId: 'p2' })).toBeNull();
    expect(await repo.findLive(ids.gone)).toBeNull();
    expect(await repo.countLiveOfVolume(volumes.v1)).toBe(2);
    expect(names(await repo.liveOfVolume(volumes.v1))).toEqual(['a', 'b']);
  });
});
