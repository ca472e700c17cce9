import { createTestDatabase } from './testing/test-database';
import { ServicesRepository } from './repositories/services.repository';
import { ServiceRegistry } from './service-registry';

describe('ServiceRegistry: host filters, enable/disable, freeze', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let registry: ServiceRegistry;

  beforeAll(async () => {
    db = await createTestDatabase();
    registry = new ServiceRegistry(db.dataSource);
    const service = (host: string, binary: string) =>
      registry.register({ host, binary, topic: binary, availabilityZone: 'nova' });
    await service('node1', 'cinder-scheduler');
    await service('node1@lvm', 'cinder-volume');
    await service('node1@nfs', 'cinder-volume');
    await service('node10@lvm', 'cinder-volume');
    await service('node_1@lvm', 'cinder-volume');
  });
  afterAll(() => db.drop());

  const hosts = async (host: string) => (await registry.list({ host })).map((s) => s.host);

  it("matches a host as Cinder's _filter_host: the host, its backends and pools", async () => {
    expect(await hosts('node1')).toEqual(['node1', 'node1@lvm', 'node1@nfs']);
    expect(await hosts('node1@lvm')).toEqual(['node1@lvm']);
    expect(await hosts('node1@lvm#pool')).toEqual([]);
    // `_` is no LIKE wildcard here.
    expect(await hosts('node_')).toEqual([]);
  });

  it("disables with a reason, which a plain disable and an enable keep (Cinder's service_update)", async () => {
    expect(await registry.setDisabled('node1@lvm', 'cinder-volume', true, 'maintenance')).toBe(
      true,
    );
    await registry.setDisabled('node1@lvm', 'cinder-volume', true);
    const [disabled] = await registry.list({ host: 'node1@lvm' });
    expect(disabled).toMatchObject({ disabled: true, disabled_reason: 'maintenance' });
    await registry.setDisabled('node1@lvm', 'cinder-volume', false);
    const [enabled] = await registry.list({ host: 'node1@lvm' });
    expect(enabled).toMatchObject({ disabled: false, disabled_reason: 'maintenance' });
    expect(await registry.setDisabled('nowhere', 'cinder-volume', true)).toBe(false);
  });

  it('freezes only unfrozen services; a frozen backend is frozen for its pools', async () => {
    expect(await registry.setFrozen('node1', false)).toEqual({
      changed: ['node1@lvm', 'node1@nfs'],
      unchanged: [],
    });
    expect(await registry.setFrozen('node1@lvm', false)).toEqual({
      changed: [],
      unchanged: ['node1@lvm'],
    });
    const repo = new ServicesRepository(db.dataSource.manager);
    expect(await repo.isBackendFrozen('node1@lvm#lvm')).toBe(true);
    expect(await repo.isBackendFrozen('node10@lvm#lvm')).toBe(false);
    await registry.setFrozen('node1', true);
    expect(await repo.isBackendFrozen('node1@lvm#lvm')).toBe(false);
  });
});
