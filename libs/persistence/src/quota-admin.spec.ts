import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './testing/test-database';
import { OverQuotaError, QuotaAdmin, QuotaEngine } from './quota-engine';
import { formatRecount, recountQuotaUsages } from './quota-recount';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let engine: QuotaEngine;
let admin: QuotaAdmin;

beforeAll(async () => {
  db = await createTestDatabase();
  engine = new QuotaEngine(db.dataSource);
  admin = new QuotaAdmin(db.dataSource, engine);
});
afterAll(() => db.drop());

const RESOURCES = ['volumes', 'gigabytes', 'snapshots'];

describe('QuotaAdmin limits', () => {
  it('sets, overrides and forgets a project’s own limits; usage stays', async () => {
    await admin.setProjectLimits('pa', { volumes: 3, gigabytes: 20 });
    await admin.setProjectLimits('pa', { volumes: 5 });
    expect(await admin.ownLimits('pa')).toEqual({ volumes: 5, gigabytes: 20 });
    expect(await engine.projectLimits('pa', RESOURCES)).toEqual({
      volumes: 5,
      gigabytes: 20,
      snapshots: 10,
    });
    await engine.commit(await engine.reserve('pa', { volumes: 2 }));
    await admin.destroyProjectLimits('pa');
    expect(await admin.ownLimits('pa')).toEqual({});
    expect(await engine.projectLimits('pa', RESOURCES)).toEqual({
      volumes: 10,
      gigabytes: 1000,
      snapshots: 10,
    });
    expect((await engine.usages('pa')).volumes).toEqual({ in_use: 2, reserved: 0 });
  });

  it('the default class is every project’s default; other classes fall back to it', async () => {
    try {
      await admin.setClassLimits('default', { volumes: 4 });
      await admin.setClassLimits('gold', { gigabytes: 5000 });
      expect(await admin.classLimits('default', RESOURCES)).toEqual({
        volumes: 4,
        gigabytes: 1000,
        snapshots: 10,
      });
      expect(await admin.classLimits('gold', RESOURCES)).toEqual({
        volumes: 4,
        gigabytes: 5000,
        snapshots: 10,
      });
      // A project without its own volumes limit gets the class's; one with its own keeps it.
      expect((await engine.projectLimits('pb', RESOURCES)).volumes).toBe(4);
      await admin.setProjectLimits('pc', { volumes: 7 });
      expect((await engine.projectLimits('pc', RESOURCES)).volumes).toBe(7);
      await admin.setClassLimits('default', { volumes: 1 });
      await engine.commit(await engine.reserve('pb', { volumes: 1 }));
      await expect(engine.reserve('pb', { volumes: 1 })).rejects.toBeInstanceOf(OverQuotaError);
    } finally {
      await db.dataSource.query(`DELETE FROM quota_classes`);
    }
  });
});

describe('QuotaAdmin.expireReservations', () => {
  const expireNow = (ids: string[]) =>
    db.dataSource.query(
      `UPDATE reservations SET expire = expire - interval '2 days' WHERE uuid = ANY($1::uuid[])`,
      [ids],
    );

  it('rolls back what is past its expiry and leaves the rest', async () => {
    const old = await engine.reserve('pe', { volumes: 2, gigabytes: 10 });
    const shrink = await engine.reserve('pe', { gigabytes: -3 });
    const fresh = await engine.reserve('pe', { volumes: 1 });
    await expireNow([...old, ...shrink]);
    expect(await admin.expireReservations()).toBe(3);
    expect(await engine.usages('pe')).toEqual({
      volumes: { in_use: 0, reserved: 1 },
      gigabytes: { in_use: 0, reserved: 0 },
    });
    const left = await db.dataSource.query(
      `SELECT uuid::text AS uuid FROM reservations WHERE project_id = 'pe'`,
    );
    expect(left).toEqual([{ uuid: fresh[0] }]);
    expect(await admin.expireReservations()).toBe(0);
  });

  it('runs beside reserves and commits of the same project without deadlock or lost counts', async () => {
    await admin.setProjectLimits('pr', { volumes: 1000, gigabytes: -1 });
    const stale: string[] = [];
    for (let i = 0; i < 10; i++)
      stale.push(...(await engine.reserve('pr', { volumes: 1, gigabytes: 1 })));
    await expireNow(stale);
    const work = Array.from({ length: 20 }, async (_, i) => {
      const ids = await engine.reserve('pr', { gigabytes: 2, volumes: 1 });
      if (i % 2 === 0) await engine.commit(ids);
      else await engine.rollback(ids);
    });
    const [expired] = await Promise.all([admin.expireReservations(), ...work]);
    expect(expired).toBe(20);
    expect(await engine.usages('pr')).toEqual({
      volumes: { in_use: 10, reserved: 0 },
      gigabytes: { in_use: 20, reserved: 0 },
    });
  }, 60_000);
});

describe('recountQuotaUsages (cinder-manage quota check|sync)', () => {
  const typeId = randomUUID();
  const project = 'recount';

  async function volume(size: number, type = typeId, deleted = false): Promise<string> {
    const id = randomUUID();
    await db.dataSource.query(
      `INSERT INTO volumes (id, project_id, user_id, size, status, availability_zone,
         volume_type_id, created_at, deleted)
       VALUES ($1, $2, 'u', $3, 'available', 'nova', $4, now(), $5)`,
      [id, project, size, type, deleted],
    );
    return id;
  }

  beforeAll(async () => {
    await db.dataSource.query(`INSERT INTO volume_types (id, name) VALUES ($1, 'fast')`, [typeId]);
  });

  it('reports drift, fixes it with sync, and then finds none', async () => {
    const v1 = await volume(5);
    await volume(3);
    await volume(100, typeId, true); // deleted: not counted
    await db.dataSource.query(
      `INSERT INTO snapshots (id, project_id, user_id, volume_id, status, volume_size,
         volume_type_id, created_at, use_quota)
       VALUES ($1, $2, 'u', $3, 'available', 5, $4, now(), true),
              ($5, $2, 'u', $3, 'available', 5, $4, now(), false)`,
      [randomUUID(), project, v1, typeId, randomUUID()],
    );
    await db.dataSource.query(
      `INSERT INTO backups (id, project_id, user_id, volume_id, status, size, created_at)
       VALUES ($1, $2, 'u', $3, 'available', 5, now())`,
      [randomUUID(), project, v1],
    );
    // Usage rows that disagree with all that: some wrong, one right, one reserved without a
    // reservation behind it.
    await engine.reserve(project, {
      volumes: 0,
      gigabytes: 0,
      snapshots: 0,
      backups: 0,
      backup_gigabytes: 0,
      volumes_fast: 0,
      gigabytes_fast: 0,
    });
    await db.dataSource.query(
      `UPDATE quota_usages SET in_use = CASE resource
         WHEN 'volumes' THEN 7 WHEN 'gigabytes' THEN 2 WHEN 'snapshots' THEN 1
         WHEN 'backups' THEN 0 WHEN 'backup_gigabytes' THEN 5 WHEN 'volumes_fast' THEN 2
         ELSE 0 END,
         reserved = CASE resource WHEN 'volumes' THEN 4 ELSE 0 END
       WHERE project_id = $1`,
      [project],
    );
    await db.dataSource.query(`DELETE FROM reservations WHERE project_id = $1`, [project]);
    const held = await engine.reserve(project, { gigabytes: 6 });

    const check = await recountQuotaUsages(db.dataSource, { projectId: project, fix: false });
    expect(check).toEqual([
      {
        projectId: project,
        drifts: [
          { resource: 'backups', field: 'in_use', saved: 0, actual: 1 },
          // Volume sizes plus snapshot sizes (Cinder's _sync_gigabytes); the 6 reserved stay.
          { resource: 'gigabytes', field: 'in_use', saved: 2, actual: 13 },
          { resource: 'gigabytes_fast', field: 'in_use', saved: 0, actual: 13 },
          { resource: 'volumes', field: 'in_use', saved: 7, actual: 2 },
          { resource: 'volumes', field: 'reserved', saved: 4, actual: 0 },
        ],
      },
    ]);
    expect(formatRecount(check, false)).toContain(
      '\tvolumes: invalid usage saved=7 actual=2\n\tvolumes: invalid reserved saved=4 actual=0\n',
    );
    // check changed nothing.
    expect((await engine.usages(project)).volumes).toEqual({ in_use: 7, reserved: 4 });

    const sync = await recountQuotaUsages(db.dataSource, { projectId: project, fix: true });
    expect(sync[0].drifts).toHaveLength(5);
    expect(formatRecount(sync, true)).toContain(
      '\tvolumes: invalid usage saved=7 actual=2 - fixed\n',
    );
    expect(await engine.usages(project)).toMatchObject({
      volumes: { in_use: 2, reserved: 0 },
      gigabytes: { in_use: 13, reserved: 6 },
      gigabytes_fast: { in_use: 13, reserved: 0 },
      snapshots: { in_use: 1, reserved: 0 },
      backups: { in_use: 1, reserved: 0 },
      backup_gigabytes: { in_use: 5, reserved: 0 },
    });
    expect(await recountQuotaUsages(db.dataSource, { projectId: project, fix: false })).toEqual([
      { projectId: project, drifts: [] },
    ]);
    await engine.rollback(held);

    // no_snapshot_gb_quota: snapshots leave gigabytes.
    const noSnap = await recountQuotaUsages(db.dataSource, {
      projectId: project,
      fix: false,
      noSnapshotGbQuota: true,
    });
    expect(noSnap[0].drifts).toEqual([
      { resource: 'gigabytes', field: 'in_use', saved: 13, actual: 8 },
      { resource: 'gigabytes_fast', field: 'in_use', saved: 13, actual: 8 },
    ]);
  });

  it('a project without usage rows has nothing to recount; all projects are walked otherwise', async () => {
    expect(await recountQuotaUsages(db.dataSource, { projectId: 'nobody', fix: false })).toEqual(
      [],
    );
    const all = await recountQuotaUsages(db.dataSource, { fix: false });
    expect(all.map((r) => r.projectId)).toContain(project);
    expect(all.map((r) => r.projectId)).not.toContain('nobody');
  });
});
