import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './testing/test-database';
import {
  claimWork,
  finishWork,
  recordWork,
  takeOverWork,
  unfinishedWork,
  WorkClaims,
  type WorkRun,
} from './workers';
import { WorkerEntity } from './entities/worker.entity';

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

  describe('WorkClaims', () => {
    const notesOf = (id: string) => db.dataSource.manager.findBy(WorkerEntity, { resource_id: id });
    const backupWork = (resourceId: string, status: string) => ({
      resourceType: 'backup',
      resourceId,
      status,
    });

    /** Begins a run that must get through (begin and claim), as a handler does. */
    async function claimed(claims: WorkClaims, id: string, status: string): Promise<WorkRun> {
      const run = claims.begin(backupWork(id, status));
      expect(run).not.toBeNull();
      expect(await run!.claim(db.dataSource.manager)).toBe(true);
      return run!;
    }

    it('lets one run of a work on a resource begin at a time in the process', () => {
      const claims = new WorkClaims('host-a');
      const id = randomUUID();
      const first = claims.begin(backupWork(id, 'creating'));
      expect(first).not.toBeNull();
      expect(claims.begin(backupWork(id, 'creating'))).toBeNull();
      // other work on it, or the same work on another resource, is another run
      const other = claims.begin(backupWork(id, 'deleting'));
      expect(other).not.toBeNull();
      const elsewhere = claims.begin(backupWork(randomUUID(), 'creating'));
      expect(elsewhere).not.toBeNull();
      expect(claims.othersOn(backupWork(id, 'deleting'))).toEqual(['creating']);

      first!.end();
      first!.end(); // once is enough; a second end must not end the next run
      const again = claims.begin(backupWork(id, 'creating'));
      expect(again).not.toBeNull();
      first!.end();
      expect(claims.begin(backupWork(id, 'creating'))).toBeNull();
      for (const run of [again, other, elsewhere]) run!.end();
      expect(claims.othersOn(backupWork(id, 'deleting'))).toEqual([]);
    });

    it("takes over the note a run of this process left behind, never another host's", async () => {
      const here = new WorkClaims('host-a');
      const there = new WorkClaims('host-b');
      const id = randomUUID();
      const first = await claimed(here, id, 'creating');
      const [left] = await notesOf(id);
      // It could not remove its note (the database was away), and ended.
      first.end();

      const otherHost = there.begin(backupWork(id, 'creating'))!;
      expect(await otherHost.claim(db.dataSource.manager)).toBe(false);
      otherHost.end();
      expect(await notesOf(id)).toEqual([left]);

      const again = await claimed(here, id, 'creating');
      const [taken] = await notesOf(id);
      expect(taken).toMatchObject({ id: left!.id, status: 'creating', service_host: 'host-a' });
      expect(taken!.created_at.getTime()).toBeGreaterThan(left!.created_at.getTime());
      // while this run is in progress, its note is its own
      const delivery = here.begin(backupWork(id, 'creating'));
      expect(delivery).toBeNull();
      again.end();

      // a leftover of other work is one too: its run ended
      const deleting = await claimed(here, id, 'deleting');
      expect(await notesOf(id)).toEqual([
        expect.objectContaining({ status: 'deleting', service_host: 'host-a' }),
      ]);
      await finishWork(db.dataSource.manager, 'backup', id, 'deleting');
      deleting.end();
      expect(await notesOf(id)).toEqual([]);
    });

    it('leaves the note of a run in progress here alone, whatever work it is', async () => {
      const claims = new WorkClaims('host-a');
      const id = randomUUID();
      const creating = await claimed(claims, id, 'creating');
      const deleting = claims.begin(backupWork(id, 'deleting'))!;
      expect(await deleting.claim(db.dataSource.manager)).toBe(false);
      expect(await notesOf(id)).toEqual([expect.objectContaining({ status: 'creating' })]);
      // A force-delete still takes it over explicitly (takeOverWork), as before.
      expect(
        await db.dataSource.transaction((tx) =>
          takeOverWork(tx, { ...deleting.work, serviceHost: 'host-a' }, ['creating']),
        ),
      ).toBe(true);
      // The create, ending, removes its own note only: the delete's stays and is held.
      await finishWork(db.dataSource.manager, 'backup', id, 'creating');
      creating.end();
      const create = claims.begin(backupWork(id, 'creating'))!;
      expect(await create.claim(db.dataSource.manager)).toBe(false);
      create.end();
      expect(await notesOf(id)).toEqual([expect.objectContaining({ status: 'deleting' })]);
      deleting.end();
      await finishWork(db.dataSource.manager, 'backup', id);
    });

    it("gives its own note back for another run to claim, and never another host's or other work's", async () => {
      const here = new WorkClaims('host-a');
      const there = new WorkClaims('host-b');
      const id = randomUUID();
      const first = await claimed(here, id, 'importing');
      await first.release(db.dataSource.manager);
      first.end();
      expect(await notesOf(id)).toEqual([]);

      // Another host claims it now; a late release of this host's run leaves that note alone.
      const elsewhere = await claimed(there, id, 'importing');
      const late = here.begin(backupWork(id, 'importing'))!;
      await late.release(db.dataSource.manager);
      late.end();
      expect(await notesOf(id)).toEqual([
        expect.objectContaining({ status: 'importing', service_host: 'host-b' }),
      ]);
      await elsewhere.release(db.dataSource.manager);
      elsewhere.end();

      // nor a note of other work of this host
      const deleting = await claimed(here, id, 'deleting');
      const importing = here.begin(backupWork(id, 'importing'))!;
      await importing.release(db.dataSource.manager);
      importing.end();
      expect(await notesOf(id)).toEqual([
        expect.objectContaining({ status: 'deleting', service_host: 'host-a' }),
      ]);
      deleting.end();
      await finishWork(db.dataSource.manager, 'backup', id);
    });

    it('lets one of concurrent runs through, in this process and across hosts', async () => {
      const id = randomUUID();
      const hosts = ['host-a', 'host-b', 'host-c'].map((host) => new WorkClaims(host));
      // In each process a create and a delete start on the same resource at once.
      const runs = hosts.flatMap((claims) =>
        ['creating', 'deleting'].map((status) => claims.begin(backupWork(id, status))!),
      );
      const claims = await Promise.all(
        runs.map((run) =>
          db.dataSource.transaction(async (tx) => {
            const got = await run.claim(tx);
            // hold the note a moment, as a handler's claim transaction does
            await tx.query('SELECT pg_sleep(0.05)');
            return got;
          }),
        ),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await notesOf(id)).toHaveLength(1);
      for (const run of runs) run.end();
      await finishWork(db.dataSource.manager, 'backup', id);
    });
  });
});
