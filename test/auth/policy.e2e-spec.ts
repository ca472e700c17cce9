/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON that each test picks apart as it needs */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from '../support/cluster';
import {
  KEYSTONE_PASSWORDS,
  keystoneAvailable,
  keystoneToken,
  type StartedKeystone,
} from '../support/keystone';

// Issue 13, "Policies": with Keystone tokens, Cinder's default policies decide by role what a
// caller may do (reader reads, member changes its project, admin_api rules are admin-only),
// the admin-only attributes appear for admins only, another project's volume stays a 404, and
// POLICY_FILE replaces rules by name.
const available = keystoneAvailable();
if (!available)
  process.stdout.write('[e2e] SKIPPING the policy suite: it needs a container engine\n');

type Who = 'admin' | 'member' | 'reader' | 'other';
type Caller = { token: string; projectId: string; userId: string };

const refused = (rule: string) => ({
  forbidden: { code: 403, message: `Policy doesn't allow ${rule} to be performed.` },
});

(available ? describe : describe.skip)("Cinder's policies with Keystone roles", () => {
  let keystone: StartedKeystone | undefined;
  let cluster: Cluster;
  let auth: Record<string, string>;
  const callers = {} as Record<Who, Caller>;
  let volumeId: string;

  beforeAll(async () => {
    const { startKeystone } = await import('../support/keystone');
    keystone = await startKeystone();
    auth = {
      AUTH_STRATEGY: 'keystone',
      KEYSTONE_AUTH_URL: keystone.url,
      KEYSTONE_USERNAME: 'cinderflow',
      KEYSTONE_PASSWORD: KEYSTONE_PASSWORDS.cinderflow,
      KEYSTONE_PROJECT_NAME: 'service',
      KEYSTONE_USER_DOMAIN_NAME: 'Default',
      KEYSTONE_PROJECT_DOMAIN_NAME: 'Default',
    };
    cluster = new Cluster([{ name: 'only', capacityGb: 100 }], {}, { apiEnv: auth });
    await cluster.start();
    const url = keystone.url;
    callers.admin = await keystoneToken(url, 'admin', KEYSTONE_PASSWORDS.admin, 'admin');
    callers.member = await keystoneToken(url, 'member', KEYSTONE_PASSWORDS.demo, 'demo');
    callers.reader = await keystoneToken(url, 'reader', KEYSTONE_PASSWORDS.demo, 'demo');
    callers.other = await keystoneToken(url, 'other', KEYSTONE_PASSWORDS.demo, 'other');
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
    await keystone?.stop();
  });

  /** `path` under the caller's own project; a leading `/` is taken as it is. */
  async function call(who: Who, method: string, path: string, body?: unknown) {
    const { token, projectId } = callers[who];
    const url = path.startsWith('/') ? path : `/v3/${projectId}/${path}`;
    const res = await fetch(`${cluster.apiUrl}${url}`, {
      method,
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
  }

  async function createAvailable(who: Who, name: string): Promise<string> {
    const created = await call(who, 'POST', 'volumes', { volume: { size: 1, name } });
    expect(created.status).toBe(202);
    const id = created.body.volume.id as string;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const shown = await call(who, 'GET', `volumes/${id}`);
      if (shown.body.volume?.status === 'available') return id;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`volume ${id} did not become available`);
  }

  it('lets a member create a volume in its project', async () => {
    volumeId = await createAvailable('member', 'demo-volume');
  });

  it('lets a reader list and show, and refuses it create, update and delete', async () => {
    const list = await call('reader', 'GET', 'volumes/detail');
    expect(list.status).toBe(200);
    expect(list.body.volumes.map((v: { id: string }) => v.id)).toContain(volumeId);
    expect((await call('reader', 'GET', `volumes/${volumeId}`)).status).toBe(200);

    const create = await call('reader', 'POST', 'volumes', { volume: { size: 1 } });
    expect(create).toEqual({ status: 403, body: refused('volume:create') });
    const update = await call('reader', 'PUT', `volumes/${volumeId}`, { volume: { name: 'x' } });
    expect(update).toEqual({ status: 403, body: refused('volume:update') });
    const remove = await call('reader', 'DELETE', `volumes/${volumeId}`);
    expect(remove).toEqual({ status: 403, body: refused('volume:delete') });
    const snapshot = await call('reader', 'POST', 'snapshots', {
      snapshot: { volume_id: volumeId },
    });
    expect(snapshot).toEqual({ status: 403, body: refused('volume:create_snapshot') });
  });

  it('refuses a member the admin actions and admin APIs', async () => {
    const { projectId } = callers.member;
    const cases: [string, string, unknown, string][] = [
      [
        'POST',
        `volumes/${volumeId}/action`,
        { 'os-reset_status': { status: 'error' } },
        'volume_extension:volume_admin_actions:reset_status',
      ],
      [
        'POST',
        `volumes/${volumeId}/action`,
        { 'os-force_delete': {} },
        'volume_extension:volume_admin_actions:force_delete',
      ],
      ['POST', 'types', { volume_type: { name: 'mine' } }, 'volume_extension:type_create'],
      [
        'PUT',
        `os-quota-sets/${projectId}`,
        { quota_set: { volumes: 5 } },
        'volume_extension:quotas:update',
      ],
      ['DELETE', `os-quota-sets/${projectId}`, undefined, 'volume_extension:quotas:delete'],
      ['GET', 'os-quota-class-sets/default', undefined, 'volume_extension:quota_classes:get'],
      ['GET', 'os-services', undefined, 'volume_extension:services:index'],
      [
        'PUT',
        'os-services/disable',
        { host: 'nowhere', binary: 'cinder-volume' },
        'volume_extension:services:update',
      ],
      ['GET', 'os-hosts', undefined, 'volume_extension:hosts'],
      ['GET', 'capabilities/nowhere', undefined, 'volume_extension:capabilities'],
      [
        'GET',
        'scheduler-stats/get_pools',
        undefined,
        'scheduler_extension:scheduler_stats:get_pools',
      ],
    ];
    for (const [method, path, body, rule] of cases) {
      expect({ path, ...(await call('member', method, path, body)) }).toEqual({
        path,
        status: 403,
        body: refused(rule),
      });
    }
    // The member may read its own quotas (volume_extension:quotas:show: a project reader).
    expect((await call('member', 'GET', `os-quota-sets/${projectId}`)).status).toBe(200);
    // Nothing happened to the volume.
    expect((await call('member', 'GET', `volumes/${volumeId}`)).body.volume.status).toBe(
      'available',
    );
  });

  it('shows the admin-only attributes to an admin only', async () => {
    const member = (await call('member', 'GET', `volumes/${volumeId}`)).body.volume;
    expect(member).not.toHaveProperty(['os-vol-host-attr:host']);
    expect(member).not.toHaveProperty(['os-vol-mig-status-attr:migstat']);
    expect(member).not.toHaveProperty(['os-vol-mig-status-attr:name_id']);
    expect(member).not.toHaveProperty('migration_status');
    // volume_tenant_attribute is a project-reader rule in Cinder.
    expect(member['os-vol-tenant-attr:tenant_id']).toBe(callers.member.projectId);
    const type = (await call('member', 'GET', 'types')).body.volume_types[0];
    expect(type).not.toHaveProperty('qos_specs_id');

    // The admin, in its own project, reads the demo project's volume (Cinder's admin context).
    const admin = (await call('admin', 'GET', `volumes/${volumeId}`)).body.volume;
    expect(admin['os-vol-host-attr:host']).toContain('@only');
    expect(admin).toHaveProperty(['os-vol-mig-status-attr:migstat'], null);
    expect(admin).toHaveProperty(['os-vol-mig-status-attr:name_id'], null);
    expect(admin['os-vol-tenant-attr:tenant_id']).toBe(callers.member.projectId);
    expect((await call('admin', 'GET', 'types')).body.volume_types[0]).toHaveProperty(
      'qos_specs_id',
      null,
    );
  });

  it("keeps another project's volume a 404, and all_tenants for admins", async () => {
    const notFound = {
      status: 404,
      body: { itemNotFound: { code: 404, message: `Volume ${volumeId} could not be found.` } },
    };
    expect(await call('other', 'GET', `volumes/${volumeId}`)).toEqual(notFound);
    expect(await call('other', 'DELETE', `volumes/${volumeId}`)).toEqual(notFound);
    expect(
      await call('other', 'POST', `volumes/${volumeId}/action`, { 'os-reset_status': {} }),
    ).toEqual(notFound);

    const others = await createAvailable('other', 'other-volume');
    const ids = async (who: Who) =>
      (await call(who, 'GET', 'volumes?all_tenants=1')).body.volumes.map(
        (v: { id: string }) => v.id,
      );
    // Cinder ignores all_tenants for a caller who is not an admin.
    expect(await ids('member')).toEqual([volumeId]);
    expect(await ids('admin')).toEqual(expect.arrayContaining([volumeId, others]));
  });

  it('lets a member delete its own volume', async () => {
    expect((await call('member', 'DELETE', `volumes/${volumeId}`)).status).toBe(202);
    const deadline = Date.now() + 20_000;
    while ((await call('member', 'GET', `volumes/${volumeId}`)).status !== 404) {
      if (Date.now() > deadline) throw new Error('the volume was not deleted');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('replaces rules from POLICY_FILE, and refuses to start with a broken one', async () => {
    const restart = async (env: Record<string, string>) => {
      await cluster.stopService('cinder-api');
      await cluster.startService(
        'cinder-api',
        'apps/cinder-api/dist/main.js',
        { API_PORT: String(cluster.apiPort), ...auth, ...env },
        'cinder-api listening',
      );
    };
    const broken = join(cluster.workDir, 'broken.yaml');
    writeFileSync(broken, '"volume:create": "role:admin or"\n');
    await expect(restart({ POLICY_FILE: broken })).rejects.toThrow(
      /cinder-api: policy: .*broken\.yaml: volume:create: unexpected end/,
    );

    const policy = join(cluster.workDir, 'policy.yaml');
    writeFileSync(policy, '# only admins create volumes\n"volume:create": "role:admin"\n');
    await restart({ POLICY_FILE: policy });
    const create = await call('member', 'POST', 'volumes', { volume: { size: 1 } });
    expect(create).toEqual({ status: 403, body: refused('volume:create') });
    // The other rules keep their defaults.
    expect((await call('member', 'GET', 'volumes')).status).toBe(200);
    await createAvailable('admin', 'admin-volume');
  });
});
