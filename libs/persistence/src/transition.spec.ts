import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { volumeMachine } from '@cinderflow/status-machines';
import { createDataSource, runMigrations } from './data-source';
import { DEFAULT_VOLUME_TYPE_ID } from './entities/volume-type.entity';
import { VolumeEntity } from './entities/volume.entity';
import { createTestDatabase } from './testing/test-database';
import { applyTransition, RecordNotFoundError, StatusConflictError } from './transition';

describe('applyTransition against PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = db.dataSource;
  });
  afterAll(() => db.drop());

  async function volume(
    status: VolumeEntity['status'],
    extra: Partial<VolumeEntity> = {},
  ): Promise<string> {
    const id = randomUUID();
    await ds.manager.insert(VolumeEntity, {
      id,
      project_id: 'p',
      user_id: 'u',
      display_name: null,
      display_description: null,
      size: 1,
      status,
      availability_zone: 'nova',
      host: 'h@b#b',
      volume_type_id: DEFAULT_VOLUME_TYPE_ID,
      created_at: new Date(),
      ...extra,
    });
    return id;
  }

  const remove = (id: string, where?: { sql: string; params: Record<string, unknown> }) =>
    applyTransition(ds.manager, {
      machine: volumeMachine,
      entity: VolumeEntity,
      id,
      event: 'delete',
      where,
    });

  it('moves an allowed status and returns the updated row', async () => {
    const id = await volume('available');
    const row = await remove(id);
    expect(row).toMatchObject({ id, status: 'deleting' });
    expect(row.updated_at).toBeInstanceOf(Date);
    expect((await ds.manager.findOneByOrFail(VolumeEntity, { id })).status).toBe('deleting');
  });

  it('refuses a status the event is not allowed from, naming it, and changes nothing', async () => {
    const id = await volume('in-use');
    const error = await remove(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatusConflictError);
    expect(error).toMatchObject({ machine: 'volume', id, current: 'in-use', event: 'delete' });
    expect((error as StatusConflictError).allowedFrom).toContain('available');
    expect((await ds.manager.findOneByOrFail(VolumeEntity, { id })).status).toBe('in-use');
  });

  it('tells a missing or soft-deleted row from a conflict', async () => {
    await expect(remove(randomUUID())).rejects.toBeInstanceOf(RecordNotFoundError);
    const gone = await volume('available', { deleted: true });
    await expect(remove(gone)).rejects.toBeInstanceOf(RecordNotFoundError);
  });

  it('treats a failed extra guard as a conflict', async () => {
    const id = await volume('available');
    await expect(
      remove(id, { sql: 'host = :host', params: { host: 'elsewhere' } }),
    ).rejects.toBeInstanceOf(StatusConflictError);
    expect((await ds.manager.findOneByOrFail(VolumeEntity, { id })).status).toBe('available');
  });

  it('lets exactly one of many concurrent requests win', async () => {
    const id = await volume('available');
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => remove(id)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(29);
    for (const r of lost) expect(r.reason).toBeInstanceOf(StatusConflictError);
  });

  it('migrations can run from several processes at once', async () => {
    const others = [createDataSource(db.url, 2), createDataSource(db.url, 2)];
    await Promise.all(others.map((o) => o.initialize()));
    try {
      await expect(Promise.all(others.map((o) => runMigrations(o)))).resolves.toEqual([[], []]);
    } finally {
      await Promise.all(others.map((o) => o.destroy()));
    }
  });
});
