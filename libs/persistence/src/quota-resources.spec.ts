import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './testing/test-database';
import { backupDeltas, QuotaEngine, reservationsIn, snapshotDeltas } from './quota-engine';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let engine: QuotaEngine;

beforeAll(async () => {
  db = await createTestDatabase();
  engine = new QuotaEngine(db.dataSource);
});
afterAll(() => db.drop());

describe('quota deltas of snapshots and backups (Cinder reserve_opts)', () => {
  it('a snapshot counts in snapshots and gigabytes, with the per-type resources', () => {
    expect(snapshotDeltas(3, 'gold', false)).toEqual({
      snapshots: 1,
      snapshots_gold: 1,
      gigabytes: 3,
      gigabytes_gold: 3,
    });
    expect(snapshotDeltas(3, 'gold', true, -1)).toEqual({ snapshots: -1, snapshots_gold: -1 });
    expect(snapshotDeltas(3, null, false)).toEqual({ snapshots: 1, gigabytes: 3 });
  });

  it('a backup counts in backups and backup_gigabytes', () => {
    expect(backupDeltas(4)).toEqual({ backups: 1, backup_gigabytes: 4 });
    expect(backupDeltas(4, -1)).toEqual({ backups: -1, backup_gigabytes: -4 });
  });

  it("reads a message's reservations leniently", () => {
    const id = randomUUID();
    expect(reservationsIn({ reservations: [id, 'nope', 3] })).toEqual([id]);
    expect(reservationsIn({})).toEqual([]);
    expect(reservationsIn(null)).toEqual([]);
  });
});

describe('settling carried reservations', () => {
  it('a second commit (a redelivery) or a rollback after it changes nothing', async () => {
    const ids = await engine.reserve('redelivered', { gigabytes: 3 });
    expect((await engine.usages('redelivered')).gigabytes).toEqual({ in_use: 0, reserved: 3 });
    await engine.commit(ids);
    await engine.commit(ids);
    await engine.rollback(ids);
    expect((await engine.usages('redelivered')).gigabytes).toEqual({ in_use: 3, reserved: 0 });
  });

  it("releaseSnapshot gives back its volume's type's resources; none if it used no quota", async () => {
    const [type] = (await db.dataSource.query(
      `INSERT INTO volume_types (id, name, is_public, deleted) VALUES ($1, 'silver', true, false)
       RETURNING id`,
      [randomUUID()],
    )) as { id: string }[];
    await db.dataSource.transaction((tx) =>
      engine.consume('snap', snapshotDeltas(2, 'silver', false), tx),
    );
    const snapshot = {
      project_id: 'snap',
      volume_id: randomUUID(), // its volume is gone: the snapshot's own type counts
      volume_size: 2,
      volume_type_id: type.id,
      use_quota: true,
    };
    await db.dataSource.transaction((tx) =>
      engine.releaseSnapshot(tx, { ...snapshot, use_quota: false }, false),
    );
    expect((await engine.usages('snap')).snapshots_silver).toEqual({ in_use: 1, reserved: 0 });
    await db.dataSource.transaction((tx) => engine.releaseSnapshot(tx, snapshot, false));
    const usages = await engine.usages('snap');
    for (const r of ['snapshots', 'snapshots_silver', 'gigabytes', 'gigabytes_silver']) {
      expect(usages[r]).toEqual({ in_use: 0, reserved: 0 });
    }
  });
});
