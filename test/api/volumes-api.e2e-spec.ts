import { ApiClient, PROJECT_A, PROJECT_B } from '../support/api-client';
import { Cluster } from '../support/cluster';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

describe('cinder-api: the v3 volume API as Cinder shapes it', () => {
  const cluster = new Cluster([{ name: 'only', capacityGb: 1000 }]);
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
  });
  afterAll(() => cluster.stop());

  async function createAvailable(body: Record<string, unknown>, client = api) {
    const res = await client.post('volumes', { volume: { size: 1, ...body } });
    expect(res.status).toBe(202);
    return client.waitForVolume(res.body.volume.id as string, (v) => v?.status === 'available');
  }

  describe('versions', () => {
    it('GET / is 300 with the v3 version document', async () => {
      const res = await api.get('/');
      expect(res.status).toBe(300);
      expect(res.body.versions).toEqual([
        expect.objectContaining({
          id: 'v3.0',
          status: 'CURRENT',
          version: '3.71',
          min_version: '3.0',
        }),
      ]);
      expect(res.headers.get('x-openstack-request-id')).toMatch(/^req-/);
    });

    it('GET /v3/ is 200 with the same document', async () => {
      const res = await api.get('/v3/');
      expect(res.status).toBe(200);
      expect(res.body.versions[0].links).toContainEqual({
        href: `${cluster.apiUrl}/v3/`,
        rel: 'self',
      });
    });

    it('negotiates microversions and says which it used', async () => {
      const res = await api.withVersion('3.44').get('volumes');
      expect(res.headers.get('openstack-api-version')).toBe('volume 3.44');
      expect(res.headers.get('vary')).toBe('OpenStack-API-Version');
      expect((await api.withVersion('3.99').get('volumes')).status).toBe(406);
      expect(
        (await api.withVersion('latest').get('volumes')).headers.get('openstack-api-version'),
      ).toBe('volume 3.71');
    });
  });

  describe('noauth', () => {
    it('answers a request without a token with 204 and the token to use', async () => {
      const res = await fetch(`${cluster.apiUrl}/v3/${PROJECT_A}/volumes`, {
        headers: { 'X-Auth-User': 'bob', 'X-Auth-Project-Id': PROJECT_A },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('x-auth-token')).toBe(`bob:${PROJECT_A}`);
    });

    it('refuses a URL naming another project than the token', async () => {
      const res = await api.get(`/v3/${PROJECT_B}/volumes`);
      expect(res).toMatchObject({
        status: 400,
        body: { badRequest: { code: 400, message: 'Malformed request url' } },
      });
    });

    it('does not route project ids that are not hex, as Cinder', async () => {
      const res = await new ApiClient(cluster.apiUrl, 'not-hex').get('volumes');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        itemNotFound: { code: 404, message: 'The resource could not be found.' },
      });
    });
  });

  describe('shapes', () => {
    it('create answers 202 with the detail view without the os-vol-* keys', async () => {
      const res = await api.withVersion('3.65').post('volumes', {
        volume: { size: '2', name: 'shaped', description: 'd', metadata: { a: 'b' } },
      });
      expect(res.status).toBe(202);
      const v = res.body.volume;
      expect(Object.keys(v).sort()).toEqual(
        [
          'attachments',
          'availability_zone',
          'bootable',
          'cluster_name',
          'consistencygroup_id',
          'consumes_quota',
          'created_at',
          'description',
          'encrypted',
          'group_id',
          'id',
          'links',
          'metadata',
          'migration_status',
          'multiattach',
          'name',
          'provider_id',
          'replication_status',
          'service_uuid',
          'shared_targets',
          'size',
          'snapshot_id',
          'source_volid',
          'status',
          'updated_at',
          'user_id',
          'volume_type',
          'volume_type_id',
        ].sort(),
      );
      expect(v).toMatchObject({
        name: 'shaped',
        description: 'd',
        size: 2,
        status: 'creating',
        availability_zone: 'nova',
        bootable: 'false',
        encrypted: false,
        multiattach: false,
        metadata: { a: 'b' },
        volume_type: '__DEFAULT__',
        user_id: 'e2e-user',
        attachments: [],
      });
      expect(v.id).toMatch(UUID);
      expect(v.created_at).toMatch(TIMESTAMP);
      expect(v.links).toEqual([
        { href: `${cluster.apiUrl}/v3/${PROJECT_A}/volumes/${v.id as string}`, rel: 'self' },
        { href: `${cluster.apiUrl}/${PROJECT_A}/volumes/${v.id as string}`, rel: 'bookmark' },
      ]);
    });

    it('show adds the tenant, host and migration attributes', async () => {
      const volume = await createAvailable({ name: 'shown' });
      const res = await api.get(`volumes/${volume?.id as string}`);
      expect(res.status).toBe(200);
      expect(res.body.volume).toMatchObject({
        id: volume?.id,
        status: 'available',
        'os-vol-tenant-attr:tenant_id': PROJECT_A,
        'os-vol-host-attr:host': `${cluster.serviceHost('only')}#only`,
        'os-vol-mig-status-attr:migstat': null,
        'os-vol-mig-status-attr:name_id': null,
      });
      expect(res.body.volume.updated_at).toMatch(TIMESTAMP);
    });

    it('list is the summary view, detail the full one', async () => {
      const list = await api.get('volumes');
      expect(list.status).toBe(200);
      for (const item of list.body.volumes as Record<string, unknown>[]) {
        expect(Object.keys(item).sort()).toEqual(['id', 'links', 'name']);
      }
      const detail = await api.get('volumes/detail');
      expect(detail.body.volumes[0]).toHaveProperty('os-vol-host-attr:host');
    });

    it('a missing volume is itemNotFound', async () => {
      const id = '00000000-0000-4000-8000-000000000000';
      expect(await api.get(`volumes/${id}`)).toMatchObject({
        status: 404,
        body: { itemNotFound: { code: 404, message: `Volume ${id} could not be found.` } },
      });
    });

    it('updates name, description and metadata', async () => {
      const volume = await createAvailable({ name: 'before' });
      const res = await api.request('PUT', `volumes/${volume?.id as string}`, {
        volume: { name: 'after', metadata: { k: 'v' } },
      });
      expect(res.status).toBe(200);
      expect(res.body.volume).toMatchObject({ name: 'after', metadata: { k: 'v' } });
    });
  });

  describe('lists', () => {
    const project = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    let client: ApiClient;
    const ids: string[] = [];

    beforeAll(async () => {
      client = api.asProject(project);
      for (const name of ['p-c', 'p-a', 'p-e', 'p-b', 'p-d']) {
        ids.push(
          (await client.post('volumes', { volume: { size: 1, name } })).body.volume.id as string,
        );
      }
    });

    it('pages with limit and marker, newest first by default, with a next link while pages are full', async () => {
      const first = await client.get('volumes?limit=2');
      expect(first.body.volumes.map((v: { id: string }) => v.id)).toEqual([ids[4], ids[3]]);
      const next = new URL(first.body.volumes_links[0].href as string);
      expect(next.searchParams.get('marker')).toBe(ids[3]);
      expect(next.searchParams.get('limit')).toBe('2');
      const second = await client.get(`volumes?limit=2&marker=${ids[3]}`);
      expect(second.body.volumes.map((v: { id: string }) => v.id)).toEqual([ids[2], ids[1]]);
      const third = await client.get(`volumes?limit=2&marker=${ids[1]}`);
      expect(third.body.volumes.map((v: { id: string }) => v.id)).toEqual([ids[0]]);
      expect(third.body.volumes_links).toBeUndefined();
    });

    it('sorts by the requested keys and pages through them', async () => {
      const names: string[] = [];
      let marker = '';
      for (;;) {
        const page = await client.get(
          `volumes?sort=name:asc&limit=2${marker ? `&marker=${marker}` : ''}`,
        );
        names.push(...page.body.volumes.map((v: { name: string }) => v.name));
        if (!page.body.volumes_links) break;
        marker =
          new URL(page.body.volumes_links[0].href as string).searchParams.get('marker') ?? '';
      }
      expect(names).toEqual(['p-a', 'p-b', 'p-c', 'p-d', 'p-e']);
    });

    it('filters and counts', async () => {
      const res = await client.withVersion('3.45').get('volumes/detail?name=p-b&with_count=true');
      expect(res.body.volumes.map((v: { name: string }) => v.name)).toEqual(['p-b']);
      expect(res.body.count).toBe(1);
    });

    it('refuses bad paging parameters and unknown markers', async () => {
      expect((await client.get('volumes?limit=abc')).body).toEqual({
        badRequest: { code: 400, message: 'limit param must be an integer' },
      });
      expect((await client.get('volumes?sort=colour')).status).toBe(400);
      expect((await client.get('volumes?marker=00000000-0000-4000-8000-000000000000')).status).toBe(
        404,
      );
      expect((await client.withVersion('3.31').get('volumes?colour=red')).status).toBe(400);
    });

    it("does not show another project's volumes, unless an admin asks for all_tenants", async () => {
      const other = await client.asProject(PROJECT_B).get('volumes');
      expect(other.body.volumes.map((v: { id: string }) => v.id)).not.toEqual(
        expect.arrayContaining([ids[0]]),
      );
      const all = await client.asProject(PROJECT_B).get('volumes?all_tenants=1');
      expect(all.body.volumes.map((v: { id: string }) => v.id)).toEqual(
        expect.arrayContaining(ids),
      );
    });
  });

  describe('bad input: a clear 400 and nothing written', () => {
    const cases: [string, unknown, number, string | RegExp][] = [
      ['malformed JSON', '{"volume": {"size": 1', 400, 'Malformed request body'],
      ['no volume key', { size: 1 }, 400, "'volume' is a required property"],
      [
        'size missing',
        { volume: { name: 'x' } },
        400,
        "Invalid input received: Volume size 'None' must be an integer and greater than 0",
      ],
      [
        'size zero',
        { volume: { size: 0 } },
        400,
        'Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1',
      ],
      ['size negative', { volume: { size: -5 } }, 400, /size.*-5 is less than the minimum of 1/],
      [
        'size a word',
        { volume: { size: 'big' } },
        400,
        "Invalid input for field/attribute size. Value: big. 'big' does not match '^[0-9]+$'",
      ],
      [
        'size a fraction',
        { volume: { size: 1.5 } },
        400,
        /1\.5 is not of type 'integer', 'string', 'null'/,
      ],
      ['size absurd', { volume: { size: 1e12 } }, 400, /greater than the maximum of 2147483647/],
      ['size a list', { volume: { size: [1] } }, 400, /is not of type/],
      [
        'name too long',
        { volume: { size: 1, name: 'n'.repeat(256) } },
        400,
        /field\/attribute name.*is too long/,
      ],
      [
        'metadata not strings',
        { volume: { size: 1, metadata: { a: 1 } } },
        400,
        /field\/attribute a\. Value: 1\. 1 is not of type 'string'/,
      ],
      [
        'unknown availability zone',
        { volume: { size: 1, availability_zone: 'mars' } },
        400,
        "Availability zone 'mars' is invalid.",
      ],
      [
        'multiattach flag',
        { volume: { size: 1, multiattach: true } },
        400,
        /multiattach parameter has been removed/,
      ],
      [
        'unknown volume type',
        { volume: { size: 1, volume_type: 'gold' } },
        404,
        'Volume type with name gold could not be found.',
      ],
    ];

    it.each(cases)('%s', async (_name, body, status, message) => {
      const before = await cluster.sql<{ n: string }>('SELECT count(*) AS n FROM volumes');
      const res = await api.post('volumes', body);
      expect(res.status).toBe(status);
      const fault = res.body[status === 400 ? 'badRequest' : 'itemNotFound'] as {
        code: number;
        message: string;
      };
      expect(fault.code).toBe(status);
      expect(fault.message).toEqual(
        typeof message === 'string' ? message : expect.stringMatching(message),
      );
      const after = await cluster.sql<{ n: string }>('SELECT count(*) AS n FROM volumes');
      expect(after[0].n).toBe(before[0].n);
    });

    it('refuses unknown keys from 3.53, as Cinder', async () => {
      const res = await api
        .withVersion('3.53')
        .post('volumes', { volume: { size: 1, colour: 'red' } });
      expect(res.body).toEqual({
        badRequest: {
          code: 400,
          message: "Additional properties are not allowed ('colour' was unexpected)",
        },
      });
    });
  });

  describe('os-services and friends', () => {
    it('lists every service up from its heartbeat', async () => {
      const res = await api.withVersion('3.49').get('os-services');
      expect(res.status).toBe(200);
      const byBinary = Object.fromEntries(
        (res.body.services as Record<string, unknown>[]).map((s) => [s.binary, s]),
      );
      expect(Object.keys(byBinary).sort()).toEqual([
        'cinder-backup',
        'cinder-scheduler',
        'cinder-volume',
      ]);
      expect(byBinary['cinder-volume']).toMatchObject({
        host: cluster.serviceHost('only'),
        zone: 'nova',
        status: 'enabled',
        state: 'up',
        backend_state: 'up',
      });
      expect(byBinary['cinder-scheduler']).toMatchObject({ host: 'e2e-host', state: 'up' });
    });

    it('shows a stopped service as down once its heartbeat is stale', async () => {
      await cluster.stopService('cinder-backup');
      await cluster.sql(
        "UPDATE services SET updated_at = updated_at - interval '10 minutes' WHERE \"binary\" = 'cinder-backup'",
      );
      const res = await api.get('os-services?binary=cinder-backup');
      expect(res.body.services).toEqual([
        expect.objectContaining({ binary: 'cinder-backup', state: 'down' }),
      ]);
    });

    it('lists availability zones and scheduler pools (a call to the scheduler)', async () => {
      expect((await api.get('os-availability-zone')).body).toEqual({
        availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true } }],
      });
      const pools = await api.get('scheduler-stats/get_pools?detail=true');
      expect(pools.body.pools).toEqual([
        expect.objectContaining({
          name: `${cluster.serviceHost('only')}#only`,
          capabilities: expect.objectContaining({
            volume_backend_name: 'only',
            total_capacity_gb: 1000,
            storage_protocol: 'file',
          }),
        }),
      ]);
    });
  });
});
