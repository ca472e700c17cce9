import { createTestDatabase } from './testing/test-database';
import { OverQuotaError, QuotaEngine } from './quota-engine';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let engine: QuotaEngine;

beforeAll(async () => {
  db = await createTestDatabase();
  engine = new QuotaEngine(db.dataSource);
});
afterAll(() => db.drop());

async function setQuota(project: string, resource: string, limit: number) {
  await db.dataSource.query(
    `INSERT INTO quotas (project_id, resource, hard_limit) VALUES ($1, $2, $3)
     ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = $3`,
    [project, resource, limit],
  );
}

describe('QuotaEngine', () => {
  it('admits exactly the quota out of 100 parallel reserves', async () => {
    await setQuota('race', 'volumes', 10);
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => engine.reserve('race', { volumes: 1, gigabytes: 1 })),
    );
    const admitted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(admitted).toHaveLength(10);
    for (const r of refused) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(OverQuotaError);
      expect((r as PromiseRejectedResult).reason.overs).toEqual(['volumes']);
    }
    expect(await engine.usages('race')).toEqual({
      volumes: { in_use: 0, reserved: 10 },
      gigabytes: { in_use: 0, reserved: 10 },
    });
  });

  it('commit moves reserved to in_use; rollback releases it', async () => {
    const a = await engine.reserve('p1', { volumes: 1, gigabytes: 5 });
    const b = await engine.reserve('p1', { volumes: 1, gigabytes: 7 });
    await engine.commit(a);
    await engine.rollback(b);
    expect(await engine.usages('p1')).toEqual({
      volumes: { in_use: 1, reserved: 0 },
      gigabytes: { in_use: 5, reserved: 0 },
    });
    const count = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM reservations WHERE project_id = 'p1'`,
    );
    expect(count[0].n).toBe(0);
    // A negative delta is never held or checked, and in_use never goes below zero.
    const d = await engine.reserve('p1', { volumes: -1, gigabytes: -50 });
    expect((await engine.usages('p1')).gigabytes).toEqual({ in_use: 5, reserved: 0 });
    await engine.commit(d);
    expect(await engine.usages('p1')).toEqual({
      volumes: { in_use: 0, reserved: 0 },
      gigabytes: { in_use: 0, reserved: 0 },
    });
  });

  it('refuses with the resources, quotas and usages (Cinder OverQuota)', async () => {
    await setQuota('p2', 'gigabytes', 10);
    await engine.commit(await engine.reserve('p2', { volumes: 1, gigabytes: 4 }));
    await engine.reserve('p2', { gigabytes: 3 });
    const err = await engine.reserve('p2', { volumes: 1, gigabytes: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OverQuotaError);
    const over = err as OverQuotaError;
    expect(over.overs).toEqual(['gigabytes']);
    expect(over.quotas).toEqual({ volumes: 10, gigabytes: 10 });
    expect(over.usages).toEqual({
      volumes: { in_use: 1, reserved: 0 },
      gigabytes: { in_use: 4, reserved: 3 },
    });
    // The refused reserve left nothing held.
    expect((await engine.usages('p2')).volumes).toEqual({ in_use: 1, reserved: 0 });
  });

  it('defaults: configuration, overridden by the default class; per-type unlimited', async () => {
    expect(await engine.projectLimits('p3', ['volumes', 'gigabytes', 'volumes_lvm'])).toEqual({
      volumes: 10,
      gigabytes: 1000,
      volumes_lvm: -1,
    });
    await db.dataSource.query(
      `INSERT INTO quota_classes (class_name, resource, hard_limit) VALUES ('default', 'volumes', 2)`,
    );
    try {
      await engine.reserve('p3', { volumes: 2 });
      await expect(engine.reserve('p3', { volumes: 1 })).rejects.toBeInstanceOf(OverQuotaError);
      await setQuota('p3', 'volumes', -1);
      await expect(engine.reserve('p3', { volumes: 100 })).resolves.toHaveLength(1);
    } finally {
      await db.dataSource.query(`DELETE FROM quota_classes`);
    }
  });

  it("a reservation made in the caller's transaction goes with it", async () => {
    await expect(
      db.dataSource.transaction(async (tx) => {
        await engine.reserve('p4', { volumes: 1 }, tx);
        throw new Error('status write failed');
      }),
    ).rejects.toThrow('status write failed');
    expect((await engine.usages('p4')).volumes ?? { in_use: 0, reserved: 0 }).toEqual({
      in_use: 0,
      reserved: 0,
    });
    await db.dataSource.transaction(async (tx) => {
      const ids = await engine.reserve('p4', { volumes: 1 }, tx);
      await engine.commit(ids, tx);
    });
    expect((await engine.usages('p4')).volumes).toEqual({ in_use: 1, reserved: 0 });
  });
});
