import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './testing/test-database';
import { claimWork, finishWork, recordWork, unfinishedWork } from './workers';

describe('workers', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const work = (resourceId: string) => ({
    resourceType: 'backup',
    resourceId,
    status: 'restoring',
    serviceHost: 'host-a',
  });

  it('lets only one of several concurrent claims on a resource through', async () => {
    const id = randomUUID();
    const claims = await Promise.all(
      Array.from({ length: 8 }, () => claimWork(db.dataSource.manager, work(id))),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    // recordWork, by contrast, takes the note over (a restarted service resuming its work).
    await recordWork(db.dataSource.manager, { ...work(id), serviceHost: 'host-b' });
    expect(
      (await unfinishedWork(db.dataSource.manager, 'host-b')).map((w) => w.resource_id),
    ).toEqual([id]);

    await finishWork(db.dataSource.manager, 'backup', id);
    expect(await claimWork(db.dataSource.manager, work(id))).toBe(true);
  });
});
