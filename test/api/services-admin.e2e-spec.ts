import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';

const FROZEN =
  'Invalid input received: Modification operations are not allowed on frozen storage backends.';

/** os-services' operator actions and what they do to the services (issue 14). */
describe('os-services: operator actions and their effects', () => {
  // `a` has more room: the capacity weigher places there while it may.
  const cluster = new Cluster([
    { name: 'a', capacityGb: 100 },
    { name: 'b', capacityGb: 50 },
  ]);
  let api: ApiClient;
  const put = (action: string, body: unknown, client = api) =>
    client.request('PUT', `os-services/${action}`, body);

  async function createOn(): Promise<{ id: string; host: string }> {
    const res = await api.post('volumes', { volume: { size: 1 } });
    expect(res.status).toBe(202);
    const v = await api.waitForVolume(
      res.body.volume.id as string,
      (x) => x?.status === 'available' || x?.status === 'error',
    );
    expect(v?.status).toBe('available');
    return { id: v!.id as string, host: v!['os-vol-host-attr:host'] as string };
  }

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
  });
  afterAll(() => cluster.stop());

  it('a disabled backend gets no new volume; enabled again, it does', async () => {
    const a = cluster.serviceHost('a');
    expect((await createOn()).host).toBe(`${a}#a`);

    const disabled = await put('disable-log-reason', {
      host: a,
      binary: 'cinder-volume',
      disabled_reason: 'maintenance',
    });
    expect(disabled).toMatchObject({
      status: 200,
      body: {
        host: a,
        service: '',
        binary: 'cinder-volume',
        status: 'disabled',
        disabled: true,
        disabled_reason: 'maintenance',
      },
    });
    const listed = await api.get(`os-services?host=${a}`);
    expect(listed.body.services).toEqual([
      expect.objectContaining({ host: a, status: 'disabled', disabled_reason: 'maintenance' }),
    ]);
    expect((await createOn()).host).toBe(`${cluster.serviceHost('b')}#b`);

    const enabled = await put('enable', { host: a, binary: 'cinder-volume' });
    expect(enabled.body).toEqual({
      host: a,
      service: '',
      binary: 'cinder-volume',
      status: 'enabled',
      disabled: false,
    });
    expect((await api.get(`os-services?host=${a}`)).body.services[0]).toMatchObject({
      status: 'enabled',
      // Cinder's enable changes `disabled` alone.
      disabled_reason: 'maintenance',
    });
    expect((await createOn()).host).toBe(`${a}#a`);

    // The deprecated `service` key, and Cinder's refusals.
    expect((await put('disable', { host: a, service: 'cinder-volume' })).body).toMatchObject({
      service: 'cinder-volume',
      binary: '',
      status: 'disabled',
    });
    await put('enable', { host: a, binary: 'cinder-volume' });
    expect(await put('disable', { host: 'nowhere', binary: 'cinder-volume' })).toMatchObject({
      status: 404,
      body: {
        itemNotFound: {
          code: 404,
          message: 'Service cinder-volume could not be found on host nowhere.',
        },
      },
    });
    expect((await put('disable', { binary: 'cinder-volume' })).body).toEqual({
      badRequest: { code: 400, message: 'Invalid input received: Host field is missing.' },
    });
    expect((await put('reboot', {})).body).toEqual({
      badRequest: { code: 400, message: 'Invalid input received: Unknown action' },
    });
  });

  it('lists with Cinder’s fields per microversion and host filters', async () => {
    const v37 = await api.withVersion('3.7').get('os-services?binary=cinder-volume');
    expect(v37.body.services).toHaveLength(2);
    const onA = (v37.body.services as { host: string }[]).find(
      (s) => s.host === cluster.serviceHost('a'),
    );
    expect(onA).toEqual({
      binary: 'cinder-volume',
      host: cluster.serviceHost('a'),
      zone: 'nova',
      status: 'enabled',
      state: 'up',
      updated_at: expect.any(String),
      cluster: null,
      disabled_reason: 'maintenance',
      replication_status: 'disabled',
      active_backend_id: null,
      frozen: false,
    });
    expect((await api.get('os-services')).body.services[0]).not.toHaveProperty('cluster');
    // `e2e-host` is the machine: its scheduler, backup and both backends.
    expect((await api.get('os-services?host=e2e-host')).body.services).toHaveLength(4);
    expect((await api.get('os-services?host=e2e-host@b')).body.services).toEqual([
      expect.objectContaining({ host: cluster.serviceHost('b') }),
    ]);
  });

  it('a frozen backend refuses management operations until thawed', async () => {
    const b = cluster.serviceHost('b');
    await put('disable', { host: cluster.serviceHost('a'), binary: 'cinder-volume' });
    const volume = await createOn();
    await put('enable', { host: cluster.serviceHost('a'), binary: 'cinder-volume' });
    expect(volume.host).toBe(`${b}#b`);

    const frozen = await put('freeze', { host: b });
    expect(frozen.status).toBe(200);
    expect(frozen.body).toEqual({});
    expect((await api.get(`os-services?host=${b}`)).body.services[0].frozen).toBe(true);
    expect((await put('freeze', { host: b })).body).toEqual({
      badRequest: {
        code: 400,
        message: `Invalid input received: No service could be changed: frozen in ['${b}'] must be False to failover.`,
      },
    });

    expect((await api.delete(`volumes/${volume.id}`)).body).toEqual({
      badRequest: { code: 400, message: FROZEN },
    });
    const snap = await api.post('snapshots', { snapshot: { volume_id: volume.id } });
    expect(snap.body).toEqual({ badRequest: { code: 400, message: FROZEN } });
    // The scheduler passes a frozen backend by, as Cinder's host manager does.
    await put('disable', { host: cluster.serviceHost('a'), binary: 'cinder-volume' });
    const unplaced = await api.post('volumes', { volume: { size: 1 } });
    expect(
      (await api.waitForVolume(unplaced.body.volume.id as string, (v) => v?.status === 'error'))
        ?.status,
    ).toBe('error');
    await put('enable', { host: cluster.serviceHost('a'), binary: 'cinder-volume' });

    expect((await put('thaw', { host: b })).status).toBe(200);
    expect((await api.delete(`volumes/${volume.id}`)).status).toBe(202);
    await api.waitForVolume(volume.id, (v) => v === null);

    expect((await put('freeze', { host: 'nowhere' })).body).toEqual({
      badRequest: { code: 400, message: 'No service found with host=nowhere' },
    });
    expect((await put('failover_host', { host: b })).body).toEqual({
      badRequest: {
        code: 400,
        message: `Invalid input received: No service could be changed: replication_status in ['${b}'] must be ['enabled', 'failed-over'] and must be up to failover.`,
      },
    });
  });

  it('set-log changes a running service’s level (a call over RabbitMQ), get-log reads it', async () => {
    const a = cluster.serviceHost('a');
    const v332 = api.withVersion('3.32');
    const levels = async (server: string) =>
      (await put('get-log', { binary: 'cinder-volume', server }, v332)).body;
    expect(await levels(a)).toEqual({
      log_levels: [{ host: a, binary: 'cinder-volume', levels: { cinder: 'DEBUG' } }],
    });

    expect(
      (await put('set-log', { binary: 'cinder-volume', server: a, level: 'warning' }, v332)).status,
    ).toBe(202);
    expect(await levels(a)).toEqual({
      log_levels: [{ host: a, binary: 'cinder-volume', levels: { cinder: 'WARNING' } }],
    });
    // Backend b keeps its level: the call went to a alone.
    expect((await levels(cluster.serviceHost('b'))).log_levels[0].levels).toEqual({
      cinder: 'DEBUG',
    });

    // From the change on, `a` writes no info or debug line, though it creates a volume.
    const log = () => cluster.logOf('cinder-volume@a');
    const marker = log().lastIndexOf('log level changed');
    expect(marker).toBeGreaterThan(0);
    expect((await createOn()).host).toBe(`${a}#a`);
    const after = log().slice(marker).split('\n').slice(1).filter(Boolean);
    expect(after.filter((l) => /"level":"(info|debug)"/.test(l))).toEqual([]);

    await put('set-log', { binary: 'cinder-volume', server: a, level: 'DEBUG' }, v332);
    const back = log().lastIndexOf('log level changed');
    await createOn();
    await cluster.waitFor(
      () => /"level":"(info|debug)"/.test(log().slice(back).split('\n').slice(1).join('\n')),
      10_000,
      () => 'no debug line after set-log DEBUG',
    );

    // All binaries: cinder-api answers in place, every other service by a call.
    const all = (await put('get-log', {}, v332)).body.log_levels as { binary: string }[];
    expect(all.map((l) => l.binary).sort()).toEqual([
      'cinder-api',
      'cinder-backup',
      'cinder-scheduler',
      'cinder-volume',
      'cinder-volume',
    ]);
    expect((await put('set-log', { level: 'LOUD' }, v332)).body).toEqual({
      badRequest: { code: 400, message: 'Invalid input received: LOUD is not a valid log level.' },
    });
    expect((await put('get-log', {})).body).toEqual({
      badRequest: { code: 400, message: 'Invalid input received: Unknown action' },
    });
  });

  it('os-hosts, capabilities, extensions and resource_filters', async () => {
    const a = cluster.serviceHost('a');
    const hosts = (await api.get('os-hosts')).body.hosts as Record<string, unknown>[];
    expect(hosts).toContainEqual({
      host_name: a,
      service: 'cinder-volume',
      zone: 'nova',
      'service-status': 'available',
      'service-state': 'enabled',
      'last-update': expect.any(String),
    });
    const [total, project] = (await api.get(`os-hosts/${a}`)).body.host as {
      resource: Record<string, string>;
    }[];
    expect(total.resource).toMatchObject({ host: a, project: '(total)' });
    expect(project.resource).toMatchObject({ host: a, project: PROJECT_A });
    expect(Number(project.resource.volume_count)).toBeGreaterThan(0);
    expect(total.resource.total_volume_gb).toBe(project.resource.total_volume_gb);

    expect((await api.get(`capabilities/${a}`)).body).toMatchObject({
      namespace: `OS::Storage::Capabilities::${a}`,
      volume_backend_name: 'a',
      storage_protocol: 'file',
      replication_targets: [],
      properties: expect.objectContaining({
        thin_provisioning: {
          title: 'Thin Provisioning',
          description: 'Sets thin provisioning.',
          type: 'boolean',
        },
      }),
    });
    expect((await api.get('capabilities/nowhere')).body).toEqual({
      itemNotFound: { code: 404, message: "Can't find service: nowhere" },
    });
    const extensions = (await api.get('extensions')).body.extensions as { alias: string }[];
    expect(extensions).toContainEqual({
      alias: 'os-hosts',
      description: 'Admin-only host administration.',
      links: [],
      name: 'Hosts',
      updated: '2011-06-29T00:00:00+00:00',
    });
    expect((await api.withVersion('3.33').get('resource_filters?resource=backup')).body).toEqual({
      resource_filters: [{ resource: 'backup', filters: ['name', 'status', 'volume_id'] }],
    });
  });
});
