import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '@cinderflow/logging';
import { RetryLaterError } from '@cinderflow/messaging';
import { volumeMachine } from '@cinderflow/status-machines';
import { defineWork, ManagerWork } from './manager-work';
import {
  MessageActions,
  MessageDetails,
  MessageEntity,
  unfinishedWork,
  VolumeEntity,
} from '@cinderflow/persistence';
import { createTestDatabase } from '@cinderflow/persistence/testing';

const HOST = 'host-a@main';

const ExtendWork = defineWork({
  resourceType: 'volume',
  machine: volumeMachine,
  entity: VolumeEntity,
  status: 'extending',
  succeeded: 'extend_succeeded',
  failed: 'extend_failed',
  onRestart: 'fail',
  failureMessage: {
    action: MessageActions.EXTEND_VOLUME,
    detail: MessageDetails.DRIVER_FAILED_EXTEND,
  },
});

describe('ManagerWork', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let work: ManagerWork;
  const quiet = createLogger('unit', {
    destination: new Writable({ write: (_c, _e, done) => done() }),
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    work = new ManagerWork(db.dataSource, HOST, quiet);
    work.register(ExtendWork);
  });
  afterAll(() => db.drop());

  async function volume(status: string): Promise<string> {
    const id = randomUUID();
    await db.dataSource.query(
      `INSERT INTO volumes (id, project_id, user_id, size, status, availability_zone, volume_type_id,
         host, previous_status, created_at)
       VALUES ($1, 'p', 'u', 1, $2, 'nova', (SELECT id FROM volume_types LIMIT 1), $3, 'available',
         now())`,
      [id, status, HOST],
    );
    return id;
  }

  const row = async (id: string) =>
    (await db.dataSource.manager.findOneByOrFail(VolumeEntity, { id })) as VolumeEntity;

  it('runs the driver and applies the success transition with its columns, leaving no note', async () => {
    const id = await volume('extending');
    const calls: string[] = [];
    const outcome = await work.run(ExtendWork, id, {
      run: async (v) => {
        calls.push(v.id);
        return 2;
      },
      set: (_v, size) => ({ size }),
    });
    expect(outcome).toBe('done');
    expect(calls).toEqual([id]);
    expect(await row(id)).toMatchObject({ status: 'available', size: 2 });
    expect(await unfinishedWork(db.dataSource.manager, HOST)).toEqual([]);
  });

  it('applies the failure transition and leaves a user message when the driver fails', async () => {
    const id = await volume('extending');
    const outcome = await work.run(ExtendWork, id, {
      run: () => Promise.reject(new Error('disk on fire')),
    });
    expect(outcome).toBe('failed');
    expect((await row(id)).status).toBe('error_extending');
    const messages = await db.dataSource.manager.findBy(MessageEntity, { resource_uuid: id });
    expect(messages).toMatchObject([{ event_id: 'VOLUME_VOLUME_007_010', detail: 'disk on fire' }]);
  });

  it('does nothing for a resource no longer in the work (a duplicate, a reset-status)', async () => {
    const id = await volume('available');
    const run = jest.fn();
    expect(await work.run(ExtendWork, id, { run })).toBe('skipped');
    expect(run).not.toHaveBeenCalled();
  });

  it('lets transient errors through with the note kept, so that the redelivery runs it again', async () => {
    const id = await volume('extending');
    await expect(
      work.run(ExtendWork, id, { run: () => Promise.reject(new RetryLaterError('db blinked')) }),
    ).rejects.toThrow('db blinked');
    expect((await row(id)).status).toBe('extending');
    expect((await unfinishedWork(db.dataSource.manager, HOST)).map((n) => n.resource_id)).toEqual([
      id,
    ]);
    expect(await work.run(ExtendWork, id, { run: async () => undefined })).toBe('done');
    expect(await unfinishedWork(db.dataSource.manager, HOST)).toEqual([]);
  });

  it('of two concurrent deliveries, one applies the end transition and the other changes nothing', async () => {
    const id = await volume('extending');
    const outcomes = await Promise.all(
      [1, 2].map(() =>
        work.run(ExtendWork, id, { run: async () => 3, set: (_v, size) => ({ size }) }),
      ),
    );
    expect(outcomes.filter((o) => o === 'done')).toHaveLength(1);
    expect(await row(id)).toMatchObject({ status: 'available', size: 3 });
    expect(await unfinishedWork(db.dataSource.manager, HOST)).toEqual([]);
  });

  it('settles a note left by a dead run with the failure event on restart', async () => {
    const id = await volume('extending');
    await db.dataSource.query(
      `INSERT INTO workers (resource_type, resource_id, status, service_host, created_at)
       VALUES ('volume', $1, 'extending', $2, now())`,
      [id, HOST],
    );
    const [note] = await unfinishedWork(db.dataSource.manager, HOST);
    expect(await work.settleLeftover(note)).toBe(true);
    expect((await row(id)).status).toBe('error_extending');
    expect(await unfinishedWork(db.dataSource.manager, HOST)).toEqual([]);
    // A note no kind knows is left to the caller.
    expect(await work.settleLeftover({ ...note, status: 'creating' })).toBe(false);
  });

  it('a follow-up is noted with the commit, done once, and left to the restart if the process dies', async () => {
    const done: string[] = [];
    work.registerFollowUp('extended-volume-check', async (id) => {
      done.push(id);
    });
    expect(() => work.registerFollowUp('volume', async () => undefined)).toThrow();
    const id = await volume('extending');
    // A rolled-back end leaves no note: the note is part of the end's transaction.
    await expect(
      work.run(ExtendWork, id, {
        run: async () => undefined,
        then: async (tx) => {
          await work.noteFollowUp(tx, 'extended-volume-check', id);
          throw new Error('commit failed');
        },
      }),
    ).rejects.toThrow('commit failed');
    expect(await unfinishedWork(db.dataSource.manager, HOST)).toMatchObject([
      { resource_type: 'volume', status: 'extending' },
    ]);
    await work.runFollowUp('extended-volume-check', id);
    expect(done).toEqual([]);

    expect(
      await work.run(ExtendWork, id, {
        run: async () => undefined,
        then: (tx) => work.noteFollowUp(tx, 'extended-volume-check', id),
      }),
    ).toBe('done');
    const [note] = await unfinishedWork(db.dataSource.manager, HOST);
    expect(note).toMatchObject({ resource_type: 'extended-volume-check', resource_id: id });
    // The process died before doing it: the restart cleanup does it and removes the note.
    expect(await work.settleLeftover(note)).toBe(true);
    expect(done).toEqual([id]);
    expect(await unfinishedWork(db.dataSource.manager, HOST)).toEqual([]);
    await work.runFollowUp('extended-volume-check', id);
    expect(done).toEqual([id]);
  });

  it('onClaim runs in the claiming transaction, only for a run that claims; dropFollowUp un-notes', async () => {
    work.registerFollowUp('claimed-check', async () => undefined);
    const id = await volume('extending');
    const followUp = randomUUID();
    let pendingDuringRun: boolean | null = null;
    expect(
      await work.run(ExtendWork, id, {
        onClaim: (tx) => work.noteFollowUp(tx, 'claimed-check', followUp),
        run: async () => {
          pendingDuringRun = await work.followUpPending('claimed-check', followUp);
        },
        then: (tx) => work.dropFollowUp(tx, 'claimed-check', followUp),
      }),
    ).toBe('done');
    expect(pendingDuringRun).toBe(true);
    expect(await work.followUpPending('claimed-check', followUp)).toBe(false);

    // A resource that moved on is not claimed: nothing is noted.
    const onClaim = jest.fn();
    expect(await work.run(ExtendWork, id, { onClaim, run: jest.fn() })).toBe('skipped');
    expect(onClaim).not.toHaveBeenCalled();
  });

  it('failIf guards the failure transition: a resource no longer about this work is left alone', async () => {
    const id = await volume('extending');
    const outcome = await work.run(ExtendWork, id, {
      run: () => Promise.reject(new Error('disk on fire')),
      failIf: () => ({ sql: 'size = :size', params: { size: 5 } }),
    });
    expect(outcome).toBe('skipped');
    expect((await row(id)).status).toBe('extending');
    expect(await unfinishedWork(db.dataSource.manager, HOST)).toEqual([]);
    expect(await db.dataSource.manager.findBy(MessageEntity, { resource_uuid: id })).toEqual([]);
  });
});
