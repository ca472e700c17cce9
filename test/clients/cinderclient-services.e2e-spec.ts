import { ApiClient } from '../support/api-client';
import { Cluster } from '../support/cluster';
import { CLI_PROJECT, cinderCli, requireCinderCli, table } from '../support/cinder-cli';
import { openstackNoauth, requireOpenstackCli } from '../support/openstack-cli';

/** The real clients' service and backend commands (issue 14, "Services and backends"). */
describe('the real cinder and openstack CLIs: services and backends', () => {
  const cluster = new Cluster([{ name: 'cli', capacityGb: 100 }]);
  const cinder = cinderCli(cluster);
  let api: ApiClient;
  const host = () => cluster.serviceHost('cli');

  const openstack = openstackNoauth(cluster, { project: CLI_PROJECT });

  beforeAll(async () => {
    requireCinderCli();
    requireOpenstackCli();
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, CLI_PROJECT);
  });
  afterAll(() => cluster.stop());

  const volumeRow = async () =>
    table(await cinder('service-list', '--binary', 'cinder-volume')).find((r) => r.Host === host());

  it('service-list, service-disable --reason, service-enable', async () => {
    const rows = table(await cinder('service-list'));
    expect(rows.map((r) => r.Binary).sort()).toEqual([
      'cinder-backup',
      'cinder-scheduler',
      'cinder-volume',
    ]);
    expect(await volumeRow()).toMatchObject({ Host: host(), Status: 'enabled', State: 'up' });

    const disabled = table(
      await cinder('service-disable', '--reason', 'disk swap', host(), 'cinder-volume'),
    );
    expect(disabled).toEqual([
      expect.objectContaining({
        Host: host(),
        Binary: 'cinder-volume',
        Status: 'disabled',
        'Disabled Reason': 'disk swap',
      }),
    ]);
    expect(await volumeRow()).toMatchObject({ Status: 'disabled', 'Disabled Reason': 'disk swap' });

    expect(table(await cinder('service-enable', host(), 'cinder-volume'))).toEqual([
      expect.objectContaining({ Host: host(), Binary: 'cinder-volume', Status: 'enabled' }),
    ]);
    expect(await volumeRow()).toMatchObject({ Status: 'enabled' });
  });

  it('freeze-host and thaw-host', async () => {
    await cinder('freeze-host', host());
    const [service] = (await api.get(`os-services?host=${host()}`)).body.services as {
      frozen: boolean;
    }[];
    expect(service.frozen).toBe(true);
    const replication = table(
      await cinder('service-list', '--binary', 'cinder-volume', '--withreplication', 'True'),
    );
    expect(replication).toEqual([
      expect.objectContaining({
        Host: host(),
        Frozen: 'True',
        'Replication Status': 'disabled',
        'Active Backend ID': '-',
      }),
    ]);
    await cinder('thaw-host', host());
    expect((await api.get(`os-services?host=${host()}`)).body.services[0].frozen).toBe(false);
    // No backend here replicates: Cinder's refusal.
    const failover = await cinder('failover-host', host()).then(
      () => '',
      (error: { stderr?: string }) => (error.stderr ?? '').trim(),
    );
    expect(failover).toContain("must be ['enabled', 'failed-over'] and must be up to failover.");
  });

  it('service-set-log and service-get-log (3.32)', async () => {
    const levels = async () =>
      table(
        await cinder(
          '--os-volume-api-version',
          '3.32',
          'service-get-log',
          '--binary',
          'cinder-volume',
        ),
      );
    expect(await levels()).toEqual([
      { Binary: 'cinder-volume', Host: host(), Prefix: 'cinder', Level: 'DEBUG' },
    ]);
    await cinder(
      '--os-volume-api-version',
      '3.32',
      'service-set-log',
      '--binary',
      'cinder-volume',
      '--server',
      host(),
      'INFO',
    );
    expect(await levels()).toEqual([
      { Binary: 'cinder-volume', Host: host(), Prefix: 'cinder', Level: 'INFO' },
    ]);
  });

  it('get-capabilities, list-extensions and list-filters (3.33)', async () => {
    // Two tables: the backend's stats, then its properties (extra-spec keys).
    const caps = await cinder('get-capabilities', host());
    const row = (key: string, value: string) =>
      new RegExp(`\\|\\s+${key}\\s+\\|\\s+${value}\\s+\\|`);
    expect(caps).toMatch(row('volume_backend_name', 'cli'));
    expect(caps).toMatch(row('storage_protocol', 'file'));
    expect(caps).toMatch(row('namespace', `OS::Storage::Capabilities::${host()}`));
    expect(caps).toMatch(/\|\s+thin_provisioning\s+\|/);
    const extensions = table(await cinder('list-extensions'));
    expect(extensions).toContainEqual(
      expect.objectContaining({ Name: 'Hosts', Alias: 'os-hosts' }),
    );
    const filters = table(
      await cinder('--os-volume-api-version', '3.33', 'list-filters', '--resource', 'backup'),
    );
    expect(filters).toEqual([{ Resource: 'backup', Filters: 'name, status, volume_id' }]);
  });

  it('openstack volume service list and set', async () => {
    const list = async () =>
      (
        JSON.parse(await openstack('volume', 'service', 'list', '--long', '-f', 'json')) as Record<
          string,
          string
        >[]
      ).find((s) => s.Host === host());
    expect(await list()).toMatchObject({ Binary: 'cinder-volume', Status: 'enabled', State: 'up' });
    await openstack(
      'volume',
      'service',
      'set',
      '--disable',
      '--disable-reason',
      'osc says so',
      host(),
      'cinder-volume',
    );
    expect(await list()).toMatchObject({
      Status: 'disabled',
      'Disabled Reason': 'osc says so',
    });
    await openstack('volume', 'service', 'set', '--enable', host(), 'cinder-volume');
    expect(await list()).toMatchObject({ Status: 'enabled' });
  });
});
