import { existsSync } from 'node:fs';
import { ApiClient } from '../support/api-client';
import {
  cinderCli,
  CLI_PROJECT as PROJECT,
  properties,
  requireCinderCli,
  table,
} from '../support/cinder-cli';
import { Cluster } from '../support/cluster';
import { OPENSTACK, openstackNoauth } from '../support/openstack-cli';

const OTHER = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

/**
 * Issue 14, "Volume transfers", with the real clients: python-cinderclient's transfer-* commands
 * (3.55+ on volume-transfers, 3.0 on os-volume-transfer) and python-openstackclient's `volume
 * transfer request ...` (keystoneauth's admin_token plugin: a fixed endpoint and a noauth token).
 */
describe('the real cinder and openstack CLIs: volume transfers', () => {
  const cluster = new Cluster([{ name: 'cli', capacityGb: 100 }]);
  const cinder = cinderCli(cluster);
  const other = cinderCli(cluster, OTHER);
  let api: ApiClient;

  beforeAll(async () => {
    requireCinderCli();
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT, 'cli-user');
  });
  afterAll(() => cluster.stop());

  async function availableVolume(name: string): Promise<string> {
    const created = properties(await cinder('create', '--name', name, '1'));
    await api.waitForVolume(created.id, (v) => v?.status === 'available');
    return created.id;
  }
  const ownerOf = async (id: string) =>
    (
      await cluster.sql<{ project_id: string }>(`SELECT project_id FROM volumes WHERE id = $1`, [
        id,
      ])
    )[0].project_id;

  it('cinder transfer-create, -list, -show, -accept (another project), -delete', async () => {
    const volumeId = await availableVolume('given');
    const created = properties(await cinder('transfer-create', '--name', 'gift', 'given'));
    expect(created).toMatchObject({ name: 'gift', volume_id: volumeId, no_snapshots: 'False' });
    expect(created.auth_key).toMatch(/^[0-9a-f]{16}$/);
    expect(table(await cinder('transfer-list'))).toEqual([
      { ID: created.id, 'Volume ID': volumeId, Name: 'gift' },
    ]);
    const shown = properties(await cinder('transfer-show', created.id));
    expect(shown).toMatchObject({ id: created.id, name: 'gift', volume_id: volumeId });
    expect(shown.auth_key).toBeUndefined();
    expect(table(await other('transfer-list'))).toEqual([]);

    const accepted = properties(await other('transfer-accept', created.id, created.auth_key));
    expect(accepted).toMatchObject({ id: created.id, name: 'gift', volume_id: volumeId });
    expect(await ownerOf(volumeId)).toBe(OTHER);
    expect(table(await other('list')).map((r) => r.ID)).toContain(volumeId);
    expect(table(await cinder('transfer-list'))).toEqual([]);

    // The legacy route (3.0), and transfer-delete giving the volume back.
    const legacy = cinderCli(cluster);
    const second = await availableVolume('kept');
    const offered = properties(
      await legacy('--os-volume-api-version', '3.0', 'transfer-create', 'kept'),
    );
    expect(offered.no_snapshots).toBeUndefined();
    expect(
      table(await legacy('--os-volume-api-version', '3.0', 'transfer-list')).map((r) => r.ID),
    ).toEqual([offered.id]);
    expect((await api.get(`volumes/${second}`)).body.volume.status).toBe('awaiting-transfer');
    await cinder('transfer-delete', offered.id);
    expect((await api.get(`volumes/${second}`)).body.volume.status).toBe('available');
    expect(table(await cinder('transfer-list'))).toEqual([]);
    expect(await ownerOf(second)).toBe(PROJECT);
  });

  (existsSync(OPENSTACK) ? it : it.skip)(
    'openstack volume transfer request create, list, show, accept, delete',
    async () => {
      const openstack = (project: string) =>
        openstackNoauth(cluster, { project, user: 'osc-user', volumeApiVersion: '3.55' });
      const mine = openstack(PROJECT);
      const theirs = openstack(OTHER);
      const json = async <T = Record<string, string>>(
        run: (...a: string[]) => Promise<string>,
        ...args: string[]
      ) => JSON.parse(await run(...args, '-f', 'json')) as T;

      const volumeId = await availableVolume('osc-given');
      const created = await json(
        mine,
        'volume',
        'transfer',
        'request',
        'create',
        '--name',
        'osc-gift',
        volumeId,
      );
      expect(created).toMatchObject({ name: 'osc-gift', volume_id: volumeId });
      expect(created.auth_key).toMatch(/^[0-9a-f]{16}$/);
      const listed = await json<Record<string, string>[]>(
        mine,
        'volume',
        'transfer',
        'request',
        'list',
      );
      expect(listed).toEqual([{ ID: created.id, Name: 'osc-gift', Volume: volumeId }]);
      const shown = await json(mine, 'volume', 'transfer', 'request', 'show', created.id);
      expect(shown).toMatchObject({ id: created.id, name: 'osc-gift', volume_id: volumeId });
      const accepted = await json(
        theirs,
        'volume',
        'transfer',
        'request',
        'accept',
        '--auth-key',
        created.auth_key,
        created.id,
      );
      expect(accepted).toMatchObject({ id: created.id, volume_id: volumeId });
      expect(await ownerOf(volumeId)).toBe(OTHER);

      const second = await availableVolume('osc-kept');
      const offered = await json(mine, 'volume', 'transfer', 'request', 'create', second);
      await mine('volume', 'transfer', 'request', 'delete', offered.id);
      expect((await api.get(`volumes/${second}`)).body.volume.status).toBe('available');
      expect(await json<unknown[]>(mine, 'volume', 'transfer', 'request', 'list')).toEqual([]);
    },
  );
});
