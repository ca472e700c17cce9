import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from '../support/cluster';
import {
  KEYSTONE_PASSWORDS,
  keystoneAuthEnv,
  keystoneAvailable,
  keystoneToken,
  startKeystone,
  type StartedKeystone,
} from '../support/keystone';
import { OPENSTACK, openstackCli, writeCloudsYaml, type CloudUser } from '../support/openstack-cli';
import { freePort } from '../support/ports';

// Issue 13, "Keystone here and for users": python-openstackclient, as a user runs it with
// keystone/clouds.yaml, against cinder-api and glance-api with AUTH_STRATEGY=keystone and a
// real Keystone whose catalog points at them. What each role may do is Cinder's policy.
const available = keystoneAvailable() && existsSync(OPENSTACK);
if (!available) {
  process.stdout.write(
    `[e2e] SKIPPING openstack with Keystone: it needs a container engine and ${OPENSTACK}\n`,
  );
}

interface Volume {
  id: string;
  name: string;
  size: number;
  status: string;
}
type ListedVolume = { ID: string; Name: string; Status: string; Size: number };

(available ? describe : describe.skip)('openstack with Keystone (AUTH_STRATEGY=keystone)', () => {
  let keystone: StartedKeystone | undefined;
  let cluster: Cluster | undefined;
  let cli: ReturnType<typeof openstackCli>;
  const projects: Partial<Record<CloudUser, string>> = {};

  beforeAll(async () => {
    const keystonePort = await freePort();
    cluster = new Cluster(
      [{ name: 'osc', capacityGb: 100 }],
      {},
      { apiEnv: keystoneAuthEnv(`http://127.0.0.1:${keystonePort}`) },
    );
    // The catalog names cinder-api and glance-api: their ports are chosen first.
    await cluster.choosePorts();
    keystone = await startKeystone({
      port: keystonePort,
      volumeUrl: `${cluster.apiUrl}/v3/%(project_id)s`,
      imageUrl: cluster.glanceUrl,
    });
    await cluster.start();
    await cluster.startGlanceApi(keystoneAuthEnv(keystone.url));
    cli = openstackCli(writeCloudsYaml(cluster.workDir, keystone.url), cluster.workDir);
    for (const [user, password, project] of [
      ['admin', KEYSTONE_PASSWORDS.admin, 'admin'],
      ['member', KEYSTONE_PASSWORDS.demo, 'demo'],
      ['reader', KEYSTONE_PASSWORDS.demo, 'demo'],
      ['other', KEYSTONE_PASSWORDS.demo, 'other'],
    ] as const) {
      projects[user] = (await keystoneToken(keystone.url, user, password, project)).projectId;
    }
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
    await keystone?.stop();
  });

  const show = (user: CloudUser, id: string) => cli.json<Volume>(user, 'volume', 'show', id);
  const list = (user: CloudUser) => cli.json<ListedVolume[]>(user, 'volume', 'list');

  /** `volume create --size 1`, then `volume show` until it is available. */
  async function createVolume(user: CloudUser, name: string): Promise<Volume> {
    const created = await cli.json<Volume>(user, 'volume', 'create', '--size', '1', name);
    expect(created).toMatchObject({ name, size: 1 });
    await cluster!.waitFor(
      async () => (await show(user, created.id)).status === 'available',
      30_000,
      () => `volume ${created.id} of ${user} did not become available`,
    );
    return created;
  }

  it.each(['admin', 'member'] as const)(
    'lets %s create, list, show and delete a volume in its project',
    async (user) => {
      const created = await createVolume(user, `osc-${user}`);
      expect(await list(user)).toContainEqual(
        expect.objectContaining({ ID: created.id, Name: `osc-${user}`, Status: 'available' }),
      );
      expect(await show(user, created.id)).toMatchObject({
        id: created.id,
        name: `osc-${user}`,
        size: 1,
        status: 'available',
        'os-vol-tenant-attr:tenant_id': projects[user],
      });
      await cli.run(user, 'volume', 'delete', created.id);
      await cluster!.waitFor(
        async () => !(await list(user)).some((v) => v.ID === created.id),
        30_000,
        () => `volume ${created.id} of ${user} was not deleted`,
      );
    },
    120_000,
  );

  it.each(['admin', 'member'] as const)(
    "lets %s see its project's quotas",
    async (user) => {
      const quotas = await cli.json(user, 'quota', 'show');
      // The cluster runs with unlimited volumes and gigabytes (test/support/cluster.ts).
      expect(quotas).toMatchObject({ project: projects[user], volumes: -1, gigabytes: -1 });
      expect(quotas.snapshots).toEqual(expect.any(Number));
    },
    60_000,
  );

  it.each(['admin', 'member'] as const)(
    'lets %s create an image with data, owned by its project',
    async (user) => {
      const file = join(cluster!.workDir, `image-${user}.raw`);
      writeFileSync(file, Buffer.alloc(64 * 1024, user));
      const image = await cli.json(
        user,
        'image',
        'create',
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--file',
        file,
        `osc-image-${user}`,
      );
      expect(image).toMatchObject({ name: `osc-image-${user}`, owner: projects[user] });
      // Created queued, then uploaded by the client.
      expect(await cli.json(user, 'image', 'show', image.id as string)).toMatchObject({
        status: 'active',
        size: 64 * 1024,
        owner: projects[user],
      });
    },
    60_000,
  );

  describe("a volume of project demo's member", () => {
    let volume: Volume;
    beforeAll(async () => {
      volume = await createVolume('member', 'demo-volume');
    }, 60_000);

    it('is listed and shown to the reader of demo', async () => {
      expect(await list('reader')).toContainEqual(
        expect.objectContaining({ ID: volume.id, Name: 'demo-volume', Status: 'available' }),
      );
      expect(await show('reader', volume.id)).toMatchObject({ id: volume.id, size: 1 });
      expect(Array.isArray(await cli.json('reader', 'image', 'list'))).toBe(true);
    }, 60_000);

    // Cinder's policy (volume:create and volume:delete need member): this passes once the
    // policy engine is in.
    it('may not be changed by the reader, who may create none either', async () => {
      const create = await cli.fails('reader', 'volume', 'create', '--size', '1', 'by-reader');
      expect(create.code).toBe(1);
      expect(create.stderr).toContain(
        "Policy doesn't allow volume:create to be performed. (HTTP 403)",
      );
      const remove = await cli.fails('reader', 'volume', 'delete', volume.id);
      expect(remove.code).toBe(1);
      expect(remove.stderr).toContain(
        "Policy doesn't allow volume:delete to be performed. (HTTP 403)",
      );
      expect(await show('member', volume.id)).toMatchObject({ status: 'available' });
      expect((await list('reader')).map((v) => v.Name)).not.toContain('by-reader');
    }, 60_000);

    it('is not found from project other', async () => {
      expect(await list('other')).toEqual([]);
      const shown = await cli.fails('other', 'volume', 'show', volume.id);
      expect(shown.code).toBe(1);
      expect(shown.stderr).toContain(`No volume with a name or ID of '${volume.id}' exists.`);
      // What the client turned into that message: Cinder's 404 for the id.
      const other = await keystoneToken(keystone!.url, 'other', KEYSTONE_PASSWORDS.demo, 'other');
      const response = await fetch(
        `${cluster!.apiUrl}/v3/${other.projectId}/volumes/${volume.id}`,
        {
          headers: { 'X-Auth-Token': other.token, Accept: 'application/json' },
        },
      );
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        itemNotFound: { code: 404, message: `Volume ${volume.id} could not be found.` },
      });
    }, 60_000);
  });
});
