import type { SnapshotEntity } from '@cinderflow/persistence';
import { ApiVersion } from '../common/microversion';
import { RequestSchema } from '../common/validation';
import { checkProgress, createSnapshotSchema, updateSnapshotSchema } from './snapshot.schemas';
import { snapshotDetail, snapshotSummary } from './snapshot.views';

const row: SnapshotEntity = {
  id: '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  project_id: 'p',
  user_id: 'u',
  volume_id: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
  status: 'available',
  progress: '100%',
  volume_size: 2,
  display_name: 'n',
  display_description: null,
  volume_type_id: '00000000-0000-4000-8000-000000000001',
  metadata: { k: 'v' },
  group_snapshot_id: null,
  provider_location: null,
  use_quota: true,
  created_at: new Date('2026-12-01T01:02:03.456Z'),
  updated_at: null,
  deleted_at: null,
  deleted: false,
};

describe('snapshot views (cinder/api/views/snapshots.py, v3/views/snapshots.py)', () => {
  it('summary: the nine keys, timestamps as Cinder prints them', () => {
    expect(snapshotSummary(row)).toEqual({
      id: row.id,
      created_at: '2026-12-01T01:02:03.456000',
      updated_at: null,
      name: 'n',
      description: null,
      volume_id: row.volume_id,
      status: 'available',
      size: 2,
      metadata: { k: 'v' },
    });
  });

  it.each([
    ['3.0', []],
    ['3.13', []],
    ['3.14', ['group_snapshot_id']],
    ['3.40', ['group_snapshot_id']],
    ['3.41', ['group_snapshot_id', 'user_id']],
    ['3.64', ['group_snapshot_id', 'user_id']],
    ['3.65', ['group_snapshot_id', 'user_id', 'consumes_quota']],
    ['3.70', ['group_snapshot_id', 'user_id', 'consumes_quota']],
  ])('detail at %s adds %j', (version, added) => {
    const view = snapshotDetail(row, ApiVersion.parse(version), false);
    expect(Object.keys(view)).toEqual([...Object.keys(snapshotSummary(row)), ...added]);
  });

  it('the extension keys come last, for show and the detailed list', () => {
    const view = snapshotDetail(row, ApiVersion.parse('3.0'), true);
    expect(Object.entries(view).slice(-2)).toEqual([
      ['os-extended-snapshot-attributes:project_id', 'p'],
      ['os-extended-snapshot-attributes:progress', '100%'],
    ]);
  });
});

describe('snapshot request schemas', () => {
  const create = new RequestSchema(createSnapshotSchema);
  const update = new RequestSchema(updateSnapshotSchema);

  it('create needs volume_id and takes no other keys than Cinder names', () => {
    expect(() => create.check({ snapshot: {} })).toThrow("'volume_id' is a required property");
    expect(() =>
      create.check({ snapshot: { volume_id: row.volume_id, display_description: 'x' } }),
    ).toThrow("Additional properties are not allowed ('display_description' was unexpected)");
    expect(create.check({ snapshot: { volume_id: null, force: 'yes' } })).toEqual({
      snapshot: { volume_id: null, force: 'yes' },
    });
    expect(() => create.check({ snapshot: { volume_id: row.volume_id, force: 'maybe' } })).toThrow(
      /^Invalid input for field\/attribute force/,
    );
  });

  it('update takes the names and descriptions only', () => {
    expect(update.check({ snapshot: { display_description: null } })).toEqual({
      snapshot: { display_description: null },
    });
    expect(() => update.check({ snapshot: { metadata: {} } })).toThrow(/'metadata' was unexpected/);
  });

  it.each([
    [undefined, undefined],
    ['', undefined],
    ['0%', '0%'],
    ['100%', '100%'],
    [' 5%', ' 5%'],
  ])('progress %j is fine', (value, result) => {
    expect(checkProgress(value)).toBe(result);
  });

  it.each([
    ['x', 'Invalid input received: progress must be an integer percentage'],
    ['5', 'Invalid input received: progress must be an integer percentage'],
    [50, 'Invalid input received: progress must be an integer percentage'],
    ['101%', 'Invalid input received: progress must be an integer percentage between 0 and 100'],
    ['-1%', 'Invalid input received: progress must be an integer percentage between 0 and 100'],
    ['50x', 'Invalid input received: progress must be an integer percentage between 0 and 100'],
  ])('progress %j is refused', (value, message) => {
    expect(() => checkProgress(value)).toThrow(message);
  });
});
