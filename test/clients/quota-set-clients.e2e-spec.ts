import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { ApiClient } from '../support/api-client';
import { CLI_PROJECT, cinderCli, properties, requireCinderCli, table } from '../support/cinder-cli';
import { Cluster } from '../support/cluster';

const OPENSTACK = '/usr/bin/openstack';
const OSC_PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

/**
 * Issue 13: quota updates with the real clients, against Cinder's defaults (10 volumes,
 * 1000 GB): python-cinderclient's quota-update, quota-delete, quota-class-show and
 * quota-class-update, and python-openstackclient's `quota set` and `quota show`.
 */
describe('the real clients update quotas', () => {
  const cluster = new Cluster(
    [{ name: 'cli', capacityGb: 100 }],
    {},
    { apiEnv: { QUOTA_VOLUMES: '10', QUOTA_GIGABYTES: '1000' } },
  );
  const cinder = cinderCli(cluster);
  let identityFront: Server | undefined;
  let frontUrl = '';

  beforeAll(async () => {
    requireCinderCli();
    await cluster.start();
    identityFront = await startMiniKeystone(cluster.apiUrl, OSC_PROJECT);
    frontUrl = `http://127.0.0.1:${(identityFront.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => (identityFront ? identityFront.close(r) : r(undefined)));
    await cluster.stop();
  });

  /** cinder's stderr and exit status, for the refusals. */
  const cinderFails = (...args: string[]) =>
    cinder(...args).then(
      () => {
        throw new Error(`cinder ${args.join(' ')} did not fail`);
      },
      (error: { stderr: string; code: number }) => ({ code: error.code, stderr: error.stderr }),
    );

  it('quota-update, then a create over the new limit is refused with 413', async () => {
    const updated = properties(await cinder('quota-update', '--volumes', '1', CLI_PROJECT));
    expect(updated).toMatchObject({ volumes: '1', gigabytes: '1000' });
    expect(properties(await cinder('quota-show', CLI_PROJECT))).toMatchObject({ volumes: '1' });
    await cinder('create', '--name', 'q1', '1');
    const refused = await cinderFails('create', '--name', 'q2', '1');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "ERROR: Maximum number of volumes allowed (1) exceeded for quota 'volumes'. (HTTP 413)",
    );
    // Below what the project uses: Cinder's 400.
    const below = await cinderFails('quota-update', '--volumes', '0', CLI_PROJECT);
    expect(below.stderr).toContain(
      'ERROR: Quota volumes limit must be equal or greater than existing resources. Current usage is 1 and the requested limit is 0. (HTTP 400)',
    );
  });

  it('quota-delete goes back to the defaults', async () => {
    await cinder('quota-delete', CLI_PROJECT);
    expect(properties(await cinder('quota-show', CLI_PROJECT))).toMatchObject({
      volumes: '10',
      gigabytes: '1000',
    });
    const usage = Object.fromEntries(
      table(await cinder('quota-usage', CLI_PROJECT)).map((row) => [row.Type, row]),
    );
    expect(usage.volumes).toMatchObject({ In_use: '1', Limit: '10' });
  });

  it('quota-class-show default and quota-class-update change everyone’s defaults', async () => {
    expect(properties(await cinder('quota-class-show', 'default'))).toMatchObject({
      volumes: '10',
      gigabytes: '1000',
      snapshots: '10',
    });
    const updated = properties(await cinder('quota-class-update', '--volumes', '2', 'default'));
    expect(updated).toMatchObject({ volumes: '2' });
    expect(properties(await cinder('quota-class-show', 'default'))).toMatchObject({
      volumes: '2',
    });
    expect(properties(await cinder('quota-defaults', CLI_PROJECT))).toMatchObject({
      volumes: '2',
    });
    await cinder('create', '--name', 'q2', '1');
    const refused = await cinderFails('create', '--name', 'q3', '1');
    expect(refused.stderr).toContain(
      "ERROR: Maximum number of volumes allowed (2) exceeded for quota 'volumes'. (HTTP 413)",
    );
    await cinder('quota-class-update', '--volumes', '10', 'default');
  });

  const describeOsc = existsSync(OPENSTACK) ? it : it.skip;
  describeOsc('openstack quota set and quota show', async () => {
    // Password auth against the mini Keystone below: its catalog has no network and Nova
    // knows no quotas, so `quota show` shows the volume quotas only.
    const openstack = async (...args: string[]): Promise<string> => {
      const { stdout } = await promisify(execFile)(
        OPENSTACK,
        [
          '--os-auth-type',
          'password',
          '--os-auth-url',
          `${frontUrl}/v3`,
          '--os-username',
          'cli-user',
          '--os-password',
          'unused',
          '--os-project-id',
          OSC_PROJECT,
          '--os-user-domain-id',
          'default',
          '--os-identity-api-version',
          '3',
          ...args,
        ],
        { env: { PATH: '/usr/bin:/bin', HOME: cluster.workDir, LANG: 'C.UTF-8' }, timeout: 60_000 },
      );
      return stdout;
    };
    await openstack('quota', 'set', '--volumes', '1', '--gigabytes', '5', OSC_PROJECT);
    const shown = JSON.parse(await openstack('quota', 'show', OSC_PROJECT, '-f', 'json')) as Record<
      string,
      unknown
    >;
    expect(shown).toMatchObject({ volumes: 1, gigabytes: 5, project: OSC_PROJECT });
    const api = new ApiClient(cluster.apiUrl, OSC_PROJECT);
    expect((await api.post('volumes', { volume: { size: 1 } })).status).toBe(202);
    const over = await api.post('volumes', { volume: { size: 1 } });
    expect(over.status).toBe(413);
    expect(over.body.overLimit.message).toBe(
      "Maximum number of volumes allowed (1) exceeded for quota 'volumes'.",
    );
  });
});

/**
 * The little of Keystone that python-openstackclient needs here (no container engine runs the
 * real one in this suite; test/auth/keystone.e2e-spec.ts does): version discovery, a password
 * token whose catalog has identity, volumev3 (cinder-api) and compute (OSC's quota commands
 * make a Nova client whatever they change; its quota read is answered with no compute quotas)
 * and no network, and `GET /v3/projects/{id}`. The token is noauth's `user:project`, which cinder-api accepts.
 */
async function startMiniKeystone(apiUrl: string, project: string): Promise<Server> {
  const server = createServer((req, res) => {
    const self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '').replace(/\/$/, '');
    const found = /^\/v3\/projects\/([0-9a-f]+)$/.exec(path);
    const novaQuota = /^\/compute\/v2\.1\/os-quota-sets\/([0-9a-f]+)$/.exec(path);
    if (req.method === 'GET' && path === '/v3') {
      json(200, {
        version: {
          id: 'v3.14',
          status: 'stable',
          updated: '2020-04-07T00:00:00Z',
          links: [{ rel: 'self', href: `${self}/v3/` }],
          'media-types': [
            { base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' },
          ],
        },
      });
    } else if (req.method === 'POST' && path === '/v3/auth/tokens') {
      req.resume();
      const domain = { id: 'default', name: 'Default' };
      const endpoint = (url: string) => [
        { id: randomUUID(), interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url },
      ];
      json(
        201,
        {
          token: {
            methods: ['password'],
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
            issued_at: new Date().toISOString(),
            user: { id: 'cli-user', name: 'cli-user', domain },
            project: { id: project, name: `project-${project}`, domain },
            roles: [{ id: 'admin', name: 'admin' }],
            catalog: [
              {
                id: 'identity',
                type: 'identity',
                name: 'keystone',
                endpoints: endpoint(`${self}/v3`),
              },
              {
                id: 'compute',
                type: 'compute',
                name: 'nova',
                endpoints: endpoint(`${self}/compute/v2.1`),
              },
              {
                id: 'volumev3',
                type: 'volumev3',
                name: 'cinderv3',
                endpoints: endpoint(`${apiUrl}/v3/${project}`),
              },
            ],
          },
        },
        { 'X-Subject-Token': `cli-user:${project}` },
      );
    } else if (req.method === 'GET' && novaQuota) {
      // No Nova here: a project without compute quotas.
      json(200, { quota_set: { id: novaQuota[1] } });
    } else if (req.method === 'GET' && found) {
      json(200, { project: { id: found[1], name: `project-${found[1]}`, domain_id: 'default' } });
    } else {
      json(404, { error: { code: 404, message: 'not in this Keystone' } });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
