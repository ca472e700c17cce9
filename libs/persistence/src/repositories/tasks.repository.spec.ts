import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../testing/test-database';
import { StatusConflictError } from '../transition';
import {
  TaskMarkerForbiddenError,
  TaskMarkerNotFoundError,
  TasksRepository,
  type TaskListRequest,
} from './tasks.repository';

describe('TasksRepository', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let tasks: TasksRepository;
  const ids: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    tasks = new TasksRepository(db.dataSource.manager);
    for (const owner of ['p1', 'p1', 'p1', 'p2', 'p1']) {
      const task = await tasks.insert({
        id: randomUUID(),
        type: 'import',
        owner,
        input: { import_from: 'http://x/y' },
        image_id: null,
        request_id: 'req-1',
        user_id: 'u',
      });
      ids.push(task.id);
    }
  });
  afterAll(() => db.drop());

  const page = (request: Partial<TaskListRequest>) => ({
    filters: {},
    sortKey: 'created_at' as const,
    sortDir: 'desc' as const,
    limit: 25,
    ...request,
  });
  const member = { projectId: 'p1', isAdmin: false };

  it('writes a pending task with an empty message and its input', async () => {
    const task = await tasks.find(ids[0]);
    expect(task).toMatchObject({
      status: 'pending',
      message: '',
      input: { import_from: 'http://x/y' },
      worker_host: null,
    });
    expect(task!.updated_at).toEqual(task!.created_at);
  });

  it('shows a task to its project and to admins only', async () => {
    expect(await tasks.findVisible(ids[3], member)).toBeNull();
    expect(await tasks.findVisible(ids[3], { projectId: 'p1', isAdmin: true })).not.toBeNull();
    expect(await tasks.findVisible('nope', member)).toBeNull();
  });

  it('lets exactly one of racing workers claim a task', async () => {
    const id = ids[4];
    const results = await Promise.allSettled(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((host) =>
        tasks.transition(id, 'start', { worker_host: host, import_image_id: randomUUID() }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const lost of results.filter((r) => r.status === 'rejected')) {
      expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(StatusConflictError);
    }
    const task = await tasks.find(id);
    expect(task!.status).toBe('processing');
    expect(await tasks.heldBy(task!.worker_host!)).toEqual([
      expect.objectContaining({ id, status: 'processing' }),
    ]);
  });

  it('pages a project’s tasks by keyset, in either direction, without repeats', async () => {
    const mine = ids.filter((_, i) => i !== 3);
    for (const sortDir of ['asc', 'desc'] as const) {
      const seen: string[] = [];
      let marker: string | undefined;
      for (;;) {
        const rows = await tasks.list(member, page({ sortDir, limit: 2, marker }));
        seen.push(...rows.map((r) => r.id));
        if (rows.length < 2) break;
        marker = rows[rows.length - 1].id;
      }
      expect(seen).toEqual(sortDir === 'asc' ? mine : [...mine].reverse());
    }
    const byStatus = await tasks.list(member, page({ sortKey: 'status', sortDir: 'asc' }));
    expect(byStatus.map((r) => r.status)).toEqual(['pending', 'pending', 'pending', 'processing']);
    expect(await tasks.list(member, page({ filters: { status: 'processing' } }))).toHaveLength(1);
    expect(await tasks.list(member, page({ limit: 0 }))).toEqual([]);
    // The list reads no input, result or message.
    expect((await tasks.list(member, page({ limit: 1 })))[0].input).toBeUndefined();
  });

  it('says why a marker cannot be used', async () => {
    await expect(tasks.list(member, page({ marker: randomUUID() }))).rejects.toBeInstanceOf(
      TaskMarkerNotFoundError,
    );
    await expect(tasks.list(member, page({ marker: ids[3] }))).rejects.toBeInstanceOf(
      TaskMarkerForbiddenError,
    );
  });

  it('deletes the caller’s tasks once past their expires_at, nobody else’s', async () => {
    await db.dataSource.query(
      `UPDATE tasks SET expires_at = now() AT TIME ZONE 'utc' - interval '1 second' WHERE id = ANY($1)`,
      [[ids[0], ids[3]]],
    );
    expect(await tasks.deleteExpired('p1')).toBe(1);
    expect(await tasks.find(ids[0])).toBeNull();
    expect(await tasks.find(ids[3])).not.toBeNull();
  });
});
