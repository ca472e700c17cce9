import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { taskMachine, volumeAttachMachine, volumeMachine } from '@cinderflow/status-machines';
import { TaskEntity } from './entities/image.entity';
import { VolumeEntity } from './entities/volume.entity';
import { conflictCases, insertVolume } from './testing/conflict-cases';
import { createTestDatabase } from './testing/test-database';
import { applyTransition, StatusConflictError } from './transition';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ds: DataSource;

beforeAll(async () => {
  db = await createTestDatabase();
  ds = db.dataSource;
});
afterAll(() => db.drop());

describe('50 concurrent conflicting events on one row, for every machine', () => {
  it('exactly one wins, the rest get the conflict, and the row ends in a legal status', async () => {
    for (const c of conflictCases(ds)) {
      const id = await c.row();
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, () =>
          applyTransition(ds.manager, {
            machine: c.machine,
            entity: c.entity,
            column: c.column,
            id,
            event: c.event,
            set: c.set as never,
          }),
        ),
      );
      expect({ case: c.name, won: results.filter((r) => r.status === 'fulfilled').length }).toEqual(
        {
          case: c.name,
          won: 1,
        },
      );
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(lost).toHaveLength(49);
      for (const r of lost) {
        expect(r.reason).toBeInstanceOf(StatusConflictError);
        expect(r.reason).toMatchObject({ machine: c.machine.name, current: c.to, event: c.event });
      }
      const row = await ds.manager.findOneByOrFail(c.entity, { id } as never);
      const status = (row as Record<string, string>)[c.column ?? 'status'];
      expect(status).toBe(c.to);
      expect(c.machine.statuses).toContain(status);
    }
  });
});

describe("a volume's status and attach status, changed together", () => {
  /** os-complete as the API applies it: both machines, one transaction. */
  const complete = (id: string) =>
    ds.transaction(async (tx) => {
      await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id,
        event: 'attachment_complete',
      });
      return applyTransition(tx, {
        machine: volumeAttachMachine,
        entity: VolumeEntity,
        column: 'attach_status',
        id,
        event: 'complete',
      });
    });

  it('50 concurrent completes: one wins both, the others change neither', async () => {
    const id = await insertVolume(ds, 'attaching', { attach_status: 'attaching' });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => complete(id)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StatusConflictError);
    }
    expect(await ds.manager.findOneByOrFail(VolumeEntity, { id })).toMatchObject({
      status: 'in-use',
      attach_status: 'attached',
    });
  });

  it('an attach status that refuses the event undoes the status change beside it', async () => {
    // e.g. an admin reset the attach status meanwhile
    const id = await insertVolume(ds, 'attaching', { attach_status: 'detached' });
    await expect(complete(id)).rejects.toMatchObject({
      machine: 'volume attach',
      current: 'detached',
    });
    expect(await ds.manager.findOneByOrFail(VolumeEntity, { id })).toMatchObject({
      status: 'attaching',
      attach_status: 'detached',
    });
  });
});

describe('transitions that remember where they came from', () => {
  it('a backed-up volume returns to the status it had', async () => {
    for (const start of ['available', 'in-use'] as const) {
      const id = await insertVolume(ds, start);
      const event = 'backup_start_forced';
      const during = await applyTransition(ds.manager, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id,
        event,
      });
      expect(during).toMatchObject({ status: 'backing-up', previous_status: start });
      const after = await applyTransition(ds.manager, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id,
        event: 'backup_finished',
      });
      expect(after.status).toBe(start);
    }
  });

  it('refuses to return to a previous status the table does not allow', async () => {
    const id = await insertVolume(ds, 'backing-up', { previous_status: 'error' });
    await expect(
      applyTransition(ds.manager, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id,
        event: 'backup_finished',
      }),
    ).rejects.toBeInstanceOf(StatusConflictError);
  });

  it('a task cannot fail without a message', async () => {
    const id = randomUUID();
    await ds.manager.insert(TaskEntity, {
      id,
      type: 'import',
      status: 'processing',
      owner: 'p',
      created_at: new Date(),
    });
    await expect(
      applyTransition(ds.manager, { machine: taskMachine, entity: TaskEntity, id, event: 'fail' }),
    ).rejects.toThrow("event 'fail' needs message");
    expect((await ds.manager.findOneByOrFail(TaskEntity, { id })).status).toBe('processing');
  });
});
