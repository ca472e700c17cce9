import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './testing/test-database';
import { claimWork, finishWork, recordWork, takeOverWork, unfinishedWork } from './workers';

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

  it('lets one of several concurrent takeovers replace a note of other work, and only that', async () => {
    const id = randomUUID();
    const deleting = { ...work(id), status: 'deleting' };
    // nothing to take over: no note, or a note of the same work
    expect(await db.dataSource.transaction((tx) => takeOverWork(tx, deleting, ['creating']))).toBe(
      false,
    );
    await claimWork(db.dataSource.manager, { ...work(id), status: 'creating' });
    const takeovers = await Promise.all(
      Array.from({ length: 8 }, () =>
        db.dataSource.transaction((tx) => takeOverWork(tx, deleting, ['creating', 'restoring'])),
      ),
    );
    expect(takeovers.filter(Boolean)).toHaveLength(1);
    expect(
      (await unfinishedWork(db.dataSource.manager, 'host-a')).map((w) => [w.resource_id, w.status]),
    ).toContainEqual([id, 'deleting']);

    // The work taken over finishes its own note only: the new owner's stays.
    await finishWork(db.dataSource.manager, 'backup', id, 'creating');
    expect(await claimWork(db.dataSource.manager, deleting)).toBe(false);
    await finishWork(db.dataSource.manager, 'backup', id, 'deleting');
    expect(await claimWork(db.dataSource.manager, deleting)).toBe(true);
  });
});
