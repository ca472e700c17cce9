import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { lockBackend, provisionedOnBackend } from './backend-capacity';
import { DEFAULT_VOLUME_TYPE_ID } from './entities/volume-type.entity';
import { VolumeEntity } from './entities/volume.entity';
import { createTestDatabase } from './testing/test-database';

describe('backend capacity against PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = db.dataSource;
  });
  afterAll(() => db.drop());

  async function volume(
    host: string | null,
    size: number,
    extra: Partial<VolumeEntity> = {},
  ): Promise<string> {
    const id = randomUUID();
    await ds.manager.insert(VolumeEntity, {
      id,
      project_id: 'p',
      user_id: 'u',
      display_name: null,
      display_description: null,
      size,
      status: 'available',
      availability_zone: 'nova',
      host,
      volume_type_id: DEFAULT_VOLUME_TYPE_ID,
      created_at: new Date(),
      ...extra,
    });
    return id;
  }

  describe('provisionedOnBackend', () => {
    it('sums every non-deleted volume of the backend, those still creating included', async () => {
      await volume('n1@sum#gold', 10);
      await volume('n1@sum#silver', 5, { status: 'creating' });
      await volume('n1@sum#gold', 7, { status: 'error' });
      await volume('n1@sum#gold', 100, { deleted: true, status: 'deleted' });
      expect(await provisionedOnBackend(ds.manager, 'n1@sum')).toBe(22);
    });

    it('counts no other backend, not even one whose name starts alike', async () => {
      await volume('n1@near#p', 3);
      await volume('n1@near-2#p', 40);
      await volume('n1@near_#p', 50);
      await volume('n2@near#p', 60);
      await volume(null, 70, { status: 'creating' });
      expect(await provisionedOnBackend(ds.manager, 'n1@near')).toBe(3);
      expect(await provisionedOnBackend(ds.manager, 'n1@near-2')).toBe(40);
      expect(await provisionedOnBackend(ds.manager, 'n1@nowhere')).toBe(0);
    });

    it('leaves out the volume being placed', async () => {
      await volume('n1@self#p', 4);
      const self = await volume('n1@self#p', 9, { status: 'creating' });
      expect(await provisionedOnBackend(ds.manager, 'n1@self')).toBe(13);
      expect(await provisionedOnBackend(ds.manager, 'n1@self', { excludeVolumeId: self })).toBe(4);
    });

    it('counts an extend in progress at its new size', async () => {
      await volume('n1@grow#p', 2, {
        status: 'extending',
        admin_metadata: { extend_new_size: '5' },
      });
      await volume('n1@grow#p', 1);
      expect(await provisionedOnBackend(ds.manager, 'n1@grow')).toBe(6);
    });

    it('counts a volume migrating in on its destination too', async () => {
      await volume('n1@from#p', 4, { admin_metadata: { migration_host: 'n1@to#p' } });
      expect(await provisionedOnBackend(ds.manager, 'n1@from')).toBe(4);
      expect(await provisionedOnBackend(ds.manager, 'n1@to')).toBe(4);
    });

    it('adds up beyond 32 bits', async () => {
      await volume('n1@huge#p', 2_000_000_000);
      await volume('n1@huge#p', 2_000_000_000);
      expect(await provisionedOnBackend(ds.manager, 'n1@huge')).toBe(4_000_000_000);
    });
  });

  describe('lockBackend', () => {
    it('makes a second transaction on the same backend wait until the first ends', async () => {
      const events: string[] = [];
      let releaseFirst!: () => void;
      const firstMayEnd = new Promise<void>((resolve) => (releaseFirst = resolve));
      let firstLocked!: () => void;
      const firstHasLock = new Promise<void>((resolve) => (firstLocked = resolve));

      const first = ds.transaction(async (tx) => {
        await lockBackend(tx, 'n1@lock');
        events.push('first locked');
        firstLocked();
        await firstMayEnd;
        events.push('first ends');
      });
      await firstHasLock;
      const second = ds.transaction(async (tx) => {
        await lockBackend(tx, 'n1@lock');
        events.push('second locked');
      });
      // Another backend is not held up.
      await ds.transaction((tx) => lockBackend(tx, 'n1@other'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(events).toEqual(['first locked']);

      releaseFirst();
      await Promise.all([first, second]);
      expect(events).toEqual(['first locked', 'first ends', 'second locked']);
    });

    it('refuses to run outside a transaction, where it would hold nothing', async () => {
      await expect(lockBackend(ds.manager, 'n1@lock')).rejects.toThrow(
        'lockBackend needs a transaction',
      );
    });
  });
});
