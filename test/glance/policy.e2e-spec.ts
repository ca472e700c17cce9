/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON picked apart per test */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from '../support/cluster';
import { GlanceClient } from '../support/glance-client';

/**
 * glance-api decides by Glance's default policies (glance/policies/*.py), which
 * GLANCE_POLICY_FILE overrides rule by rule; a file it cannot use stops glance-api at start.
 * Under noauth the roles come in `X-Roles` (admin, member, reader as Keystone implies them).
 */
const A = 'aaaaaaaa0000000000000000000000a1';
const B = 'bbbbbbbb0000000000000000000000b2';
const JSON_ERRORS = { Accept: 'application/json' };

describe('glance-api: policies (defaults and GLANCE_POLICY_FILE)', () => {
  const cluster = new Cluster([]);
  let admin: GlanceClient;
  let memberA: GlanceClient;
  let readerA: GlanceClient;
  let memberB: GlanceClient;

  beforeAll(async () => {
    await cluster.startGlanceApi();
    admin = new GlanceClient(cluster.glanceUrl, A);
    memberA = new GlanceClient(cluster.glanceUrl, A, 'user-a', ['member']);
    readerA = new GlanceClient(cluster.glanceUrl, A, 'reader-a', ['reader']);
    memberB = new GlanceClient(cluster.glanceUrl, B, 'user-b', ['member']);
  });
  afterAll(() => cluster.stop());

  const refusal = async (res: Promise<{ status: number; body: any }>) => {
    const { status, body } = await res;
    return [status, body.message];
  };
  const refused = (rule: string) => [403, `You are not authorized to complete ${rule} action.`];

  async function restart(env: Record<string, string>): Promise<void> {
    await cluster.stopService('glance-api');
    await cluster.startGlanceApi(env);
  }

  it("decides by Glance's defaults", async () => {
    const created = await memberA.post('/v2/images', { name: 'a', visibility: 'private' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    // A reader reads its project's images but changes nothing.
    expect((await readerA.get(`/v2/images/${id}`)).status).toBe(200);
    expect((await readerA.get('/v2/images')).status).toBe(200);
    expect(await refusal(readerA.post('/v2/images', { name: 'r' }, JSON_ERRORS))).toEqual(
      refused('add_image'),
    );
    const rename = await readerA.request(
      'PATCH',
      `/v2/images/${id}`,
      JSON.stringify([{ op: 'replace', path: '/name', value: 'x' }]),
      { ...JSON_ERRORS, 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
    );
    expect([rename.status, rename.body.message]).toEqual(refused('modify_image'));

    // Publicizing is admin's; another project neither sees the private image nor creates in A.
    const publicize = await memberA.request(
      'PATCH',
      `/v2/images/${id}`,
      JSON.stringify([{ op: 'replace', path: '/visibility', value: 'public' }]),
      { ...JSON_ERRORS, 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
    );
    expect([publicize.status, publicize.body.message]).toEqual(refused('publicize_image'));
    expect((await memberB.get(`/v2/images/${id}`)).status).toBe(404);
    expect(
      (await memberB.request('DELETE', `/v2/images/${id}`, undefined, JSON_ERRORS)).status,
    ).toBe(404);
    // webob's detail after the explanation, as Glance's HTTPForbidden(msg) shows it.
    expect(await refusal(memberB.post('/v2/images', { owner: A }, JSON_ERRORS))).toEqual([
      403,
      `Access was denied to this resource.<br /><br />\nYou are not permitted to create images owned by '${A}'`,
    ]);

    // Admin-only APIs.
    expect(await refusal(memberA.get('/v2/info/stores/detail', JSON_ERRORS))).toEqual(
      refused('stores_info_detail'),
    );
    expect((await admin.get('/v2/info/stores/detail')).status).toBe(200);
    expect(await refusal(memberA.get('/v2/tasks', JSON_ERRORS))).toEqual(
      refused('tasks_api_access'),
    );

    // A caller with no role Glance knows does not even see its project's image.
    const nobody = new GlanceClient(cluster.glanceUrl, A, 'nobody', ['observer']);
    expect((await nobody.get(`/v2/images/${id}`)).status).toBe(404);
  });

  it('replaces rules from GLANCE_POLICY_FILE, and refuses to start with a broken one', async () => {
    const broken = join(cluster.workDir, 'glance-broken.yaml');
    writeFileSync(broken, '"add_image": "role:admin or"\n');
    await expect(restart({ GLANCE_POLICY_FILE: broken })).rejects.toThrow(
      /glance-api: policy: .*glance-broken\.yaml: add_image: unexpected end/,
    );
    const undefinedRule = join(cluster.workDir, 'glance-undefined.json');
    writeFileSync(undefinedRule, JSON.stringify({ get_image: 'rule:nowhere' }));
    await expect(restart({ GLANCE_POLICY_FILE: undefinedRule })).rejects.toThrow(
      /glance-api: policy: .*get_image: refers to undefined rule:nowhere/,
    );

    const policy = join(cluster.workDir, 'glance-policy.yaml');
    writeFileSync(
      policy,
      [
        '# only admins create images; members of the owner may make them public',
        '"add_image": "role:admin"',
        '"publicize_image": "rule:context_is_admin or (role:member and project_id:%(project_id)s)"',
        '',
      ].join('\n'),
    );
    await restart({ GLANCE_POLICY_FILE: policy });
    expect(await refusal(memberA.post('/v2/images', { name: 'm' }, JSON_ERRORS))).toEqual(
      refused('add_image'),
    );
    const created = await admin.post('/v2/images', { name: 'by-admin', visibility: 'private' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const publicize = await memberA.patch(`/v2/images/${id}`, [
      { op: 'replace', path: '/visibility', value: 'public' },
    ]);
    expect([publicize.status, publicize.body.visibility]).toEqual([200, 'public']);
    // The other rules keep Glance's defaults.
    expect((await readerA.get('/v2/images')).status).toBe(200);
    expect((await memberB.get(`/v2/images/${id}`)).status).toBe(200);
    expect(
      await refusal(memberB.request('DELETE', `/v2/images/${id}`, undefined, JSON_ERRORS)),
    ).toEqual(refused('delete_image'));
  });
});
