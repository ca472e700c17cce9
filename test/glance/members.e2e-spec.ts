import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { Cluster } from '../support/cluster';
import { GlanceClient } from '../support/glance-client';

/**
 * Issue 11: "members (share an image with another project: create, accept/reject, list,
 * delete)", as Glance v2 does it (glance/api/v2/image_members.py, its secure-RBAC policies).
 */
const OWNER = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const P2 = '1b2c3d4e5f60718293a4b5c6d7e8f90a';
const P3 = '2c3d4e5f60718293a4b5c6d7e8f90a1b';
const STRANGER = '3d4e5f60718293a4b5c6d7e8f90a1b2c';
const QUOTA = 4;
const JSON_ERRORS = { Accept: 'application/json' };
const GLANCE = '/usr/bin/glance';
const run = promisify(execFile);

describe('glance-api: image members', () => {
  const cluster = new Cluster([]);
  /** The owner as a plain project member; `asProject` keeps those roles. */
  let owner: GlanceClient;
  let member: GlanceClient;
  let other: GlanceClient;
  let stranger: GlanceClient;
  /** An admin (noauth's default) of an unrelated project. */
  let admin: GlanceClient;

  beforeAll(async () => {
    await cluster.startGlanceApi({ GLANCE_IMAGE_MEMBER_QUOTA: String(QUOTA) });
    admin = new GlanceClient(cluster.glanceUrl, 'adminproject');
    owner = new GlanceClient(cluster.glanceUrl, OWNER).asMember();
    member = owner.asProject(P2);
    other = owner.asProject(P3);
    stranger = owner.asProject(STRANGER);
  });
  afterAll(() => cluster.stop());

  async function sharedImage(name = 'shared'): Promise<string> {
    const created = await owner.post('/v2/images', {
      name,
      disk_format: 'raw',
      container_format: 'bare',
    });
    expect(created.status).toBe(201);
    expect(created.body.visibility).toBe('shared');
    return created.body.id as string;
  }

  /** A request as the owner with a JSON body whatever the method, and JSON errors. */
  function rawRequest(method: string, path: string, body: string) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${cluster.glanceUrl}${path}`,
        {
          method,
          headers: {
            'X-Auth-Token': `e2e-user:${OWNER}`,
            'X-Roles': 'member,reader',
            'Content-Type': 'application/json',
            'Content-Length': String(Buffer.byteLength(body)),
            Accept: 'application/json',
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A message as Glance words it (JSON errors, so quotes stay as they are). */
  async function refusal(res: Promise<{ status: number; body: Record<string, unknown> }>) {
    const { status, body } = await res;
    return [status, body.message];
  }

  it('serves the member schemas glanceclient loads (api-ref samples)', async () => {
    const one = await owner.get('/v2/schemas/member');
    expect(one.status).toBe(200);
    const properties = {
      created_at: { description: 'Date and time of image member creation', type: 'string' },
      image_id: {
        description: 'An identifier for the image',
        pattern:
          '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
        type: 'string',
      },
      member_id: { description: 'An identifier for the image member (tenantId)', type: 'string' },
      schema: { readOnly: true, type: 'string' },
      status: {
        description: 'The status of this image member',
        enum: ['pending', 'accepted', 'rejected'],
        type: 'string',
      },
      updated_at: {
        description: 'Date and time of last modification of image member',
        type: 'string',
      },
    };
    expect(one.body).toEqual({ name: 'member', properties });
    const many = await owner.get('/v2/schemas/members');
    expect(many.body).toEqual({
      links: [{ href: '{schema}', rel: 'describedby' }],
      name: 'members',
      properties: {
        members: { items: { name: 'member', properties }, type: 'array' },
        schema: { type: 'string' },
      },
    });
    const post = await owner.post('/v2/schemas/member', {});
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('shares an image: the owner adds a project (200, pending), both see the membership', async () => {
    const image = await sharedImage();
    const created = await owner.post(`/v2/images/${image}/members`, { member: P2 });
    expect(created.status).toBe(200);
    expect(Object.keys(created.body)).toEqual([
      'member_id',
      'image_id',
      'status',
      'created_at',
      'updated_at',
      'schema',
    ]);
    expect(created.body).toMatchObject({
      member_id: P2,
      image_id: image,
      status: 'pending',
      schema: '/v2/schemas/member',
    });
    expect(created.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created.body.updated_at).toBe(created.body.created_at);
    expect((await owner.post(`/v2/images/${image}/members`, { member: P3 })).status).toBe(200);

    // The owner sees every member, oldest first; a member only itself.
    const byOwner = await owner.get(`/v2/images/${image}/members`);
    expect(byOwner.status).toBe(200);
    expect(byOwner.body.schema).toBe('/v2/schemas/members');
    expect(byOwner.body.members.map((m: { member_id: string }) => m.member_id)).toEqual([P2, P3]);
    expect(byOwner.body.members[0]).toEqual(created.body);
    const byMember = await member.get(`/v2/images/${image}/members`);
    expect(byMember.body.members).toEqual([created.body]);
    expect((await admin.get(`/v2/images/${image}/members`)).body.members).toHaveLength(2);

    expect((await owner.get(`/v2/images/${image}/members/${P2}`)).body).toEqual(created.body);
    expect((await member.get(`/v2/images/${image}/members/${P2}`)).body).toEqual(created.body);
    // A member may not look at another member's row.
    expect(await refusal(member.get(`/v2/images/${image}/members/${P3}`, JSON_ERRORS))).toEqual([
      404,
      `${P3} not found in the member list of the image ${image}.`,
    ]);
    expect(
      await refusal(owner.get(`/v2/images/${image}/members/${STRANGER}`, JSON_ERRORS)),
    ).toEqual([404, `${STRANGER} not found in the member list of the image ${image}.`]);

    // A member sees the shared image while still pending; a stranger sees nothing of it.
    expect((await member.get(`/v2/images/${image}`)).status).toBe(200);
    expect((await stranger.get(`/v2/images/${image}`)).status).toBe(404);
    expect(await refusal(stranger.get(`/v2/images/${image}/members`, JSON_ERRORS))).toEqual([
      404,
      `Image ${image} not found.`,
    ]);
    expect(await refusal(stranger.get(`/v2/images/${image}/members/${P2}`, JSON_ERRORS))).toEqual([
      404,
      `Image ${image} not found.`,
    ]);
  });

  it('lets only the member itself (or an admin) accept, reject or reset its status', async () => {
    const image = await sharedImage();
    const created = await owner.post(`/v2/images/${image}/members`, { member: P2 });
    await owner.post(`/v2/images/${image}/members`, { member: P3 });
    const path = `/v2/images/${image}/members/${P2}`;

    const accepted = await member.put(path, { status: 'accepted' });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ member_id: P2, image_id: image, status: 'accepted' });
    expect(accepted.body.created_at).toBe(created.body.created_at);
    expect((await owner.get(path)).body.status).toBe('accepted');
    expect((await member.put(path, { status: 'rejected' })).body.status).toBe('rejected');
    expect((await member.put(path, { status: 'pending' })).body.status).toBe('pending');
    expect((await member.put(path, { status: 'pending' })).status).toBe(200);

    // The owner can see the status but not change it, whatever it sends.
    expect(await refusal(owner.put(path, { status: 'accepted' }, JSON_ERRORS))).toEqual([
      403,
      'You are not authorized to complete modify_member action.',
    ]);
    expect(await refusal(owner.put(path, { status: 'bogus' }, JSON_ERRORS))).toEqual([
      403,
      'You are not authorized to complete modify_member action.',
    ]);
    // Another member cannot even find this member's row.
    expect(await refusal(other.put(path, { status: 'rejected' }, JSON_ERRORS))).toEqual([
      404,
      `${P2} not found in the member list of the image ${image}.`,
    ]);
    expect(await refusal(stranger.put(path, { status: 'accepted' }, JSON_ERRORS))).toEqual([
      404,
      `Image ${image} not found.`,
    ]);
    expect((await owner.get(path)).body.status).toBe('pending');

    // Bad bodies and values: Glance's words.
    expect(await refusal(member.put(path, { status: 'bogus' }, JSON_ERRORS))).toEqual([
      400,
      'Incorrect request: Status must be "pending", "accepted" or "rejected".',
    ]);
    expect(await refusal(member.put(path, { state: 'accepted' }, JSON_ERRORS))).toEqual([
      400,
      'Status not specified',
    ]);
    expect(await refusal(member.put(path, ['accepted'], JSON_ERRORS))).toEqual([
      400,
      'Expected a status in the form: {"status": "status"}',
    ]);
    expect(await refusal(member.put(path, undefined, JSON_ERRORS))).toEqual([
      400,
      'Body expected in request.',
    ]);

    // A reader of the member project may look, not decide.
    const reader = new GlanceClient(cluster.glanceUrl, P2, 'reader-user', ['reader']);
    expect((await reader.get(path)).status).toBe(200);
    expect(await refusal(reader.put(path, { status: 'accepted' }, JSON_ERRORS))).toEqual([
      403,
      'You are not authorized to complete modify_member action.',
    ]);

    // An admin may ("Only you (or an administrator) can do that").
    expect((await admin.put(path, { status: 'accepted' })).body.status).toBe('accepted');
    const row = await cluster.sql<{ status: string }>(
      `SELECT status FROM image_members WHERE image_id = $1 AND member = $2 AND NOT deleted`,
      [image, P2],
    );
    expect(row).toEqual([{ status: 'accepted' }]);
  });

  it('lets only the owner add and remove members; a removed member loses the image', async () => {
    const image = await sharedImage();
    await owner.post(`/v2/images/${image}/members`, { member: P2 });
    const path = `/v2/images/${image}/members/${P2}`;

    expect(
      await refusal(member.post(`/v2/images/${image}/members`, { member: P3 }, JSON_ERRORS)),
    ).toEqual([403, 'You are not authorized to complete add_member action.']);
    expect(
      await refusal(
        stranger.post(`/v2/images/${image}/members`, { member: STRANGER }, JSON_ERRORS),
      ),
    ).toEqual([404, `Image ${image} not found.`]);
    const byMember = await member.delete(path);
    expect(byMember.status).toBe(403);
    expect(byMember.text).toContain('You are not authorized to complete delete_member action.');
    expect((await stranger.delete(path)).status).toBe(404);

    const removed = await owner.delete(path);
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    expect(await refusal(owner.get(path, JSON_ERRORS))).toEqual([
      404,
      `${P2} not found in the member list of the image ${image}.`,
    ]);
    expect((await owner.delete(path)).status).toBe(404);
    expect((await owner.get(`/v2/images/${image}/members`)).body.members).toEqual([]);
    expect((await member.get(`/v2/images/${image}`)).status).toBe(404);

    // Shared again: pending again, on a new row (the removed one stays deleted).
    const again = await owner.post(`/v2/images/${image}/members`, { member: P2 });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('pending');
    const rows = await cluster.sql(
      `SELECT deleted FROM image_members WHERE image_id = $1 ORDER BY id`,
      [image],
    );
    expect(rows).toEqual([{ deleted: true }, { deleted: false }]);
    expect((await member.get(`/v2/images/${image}`)).status).toBe(200);
  });

  it('refuses a duplicate (409) and members past image_member_quota (413)', async () => {
    const image = await sharedImage();
    expect((await owner.post(`/v2/images/${image}/members`, { member: P2 })).status).toBe(200);
    expect(
      await refusal(owner.post(`/v2/images/${image}/members`, { member: P2 }, JSON_ERRORS)),
    ).toEqual([409, `Member ${P2} is duplicated for image ${image}`]);
    for (let i = 1; i < QUOTA; i++) {
      const added = await owner.post(`/v2/images/${image}/members`, { member: `extra-${i}` });
      expect(added.status).toBe(200);
    }
    const over = await owner.post(
      `/v2/images/${image}/members`,
      { member: 'one-too-many' },
      JSON_ERRORS,
    );
    expect([over.status, over.body.message]).toEqual([
      413,
      `Image member limit exceeded for image ${image}: The limit has been exceeded on the ` +
        `number of allowed image members for this image. Attempted: ${QUOTA + 1}, ` +
        `Maximum: ${QUOTA}:`,
    ]);
    expect((await owner.get(`/v2/images/${image}/members`)).body.members).toHaveLength(QUOTA);
    // Removing one makes room again.
    expect((await owner.delete(`/v2/images/${image}/members/extra-1`)).status).toBe(204);
    expect((await owner.post(`/v2/images/${image}/members`, { member: 'one-more' })).status).toBe(
      200,
    );
  });

  it('refuses bad member bodies with 400 before looking at the image', async () => {
    const image = await sharedImage();
    const post = (body: unknown) =>
      refusal(owner.post(`/v2/images/${image}/members`, body, JSON_ERRORS));
    expect(await post({})).toEqual([400, 'Member to be added not specified']);
    expect(await post({ member: '' })).toEqual([400, "Member can't be empty"]);
    expect(await post(['x'])).toEqual([
      400,
      'Expected a member in the form: {"member": "image_id"}',
    ]);
    expect(await post(undefined)).toEqual([400, 'Body expected in request.']);
    expect(await post({ member: 'tenant-\u{1F600}' })).toEqual([
      400,
      "Member can't contain 4 byte unicode characters.",
    ]);
    expect(
      await refusal(owner.post('/v2/images/nope/members', { member: '' }, JSON_ERRORS)),
    ).toEqual([400, "Member can't be empty"]);
    expect((await owner.get(`/v2/images/${image}/members`)).body.members).toEqual([]);
  });

  it('has members only for shared images (Glance: 403, 404 for show)', async () => {
    for (const visibility of ['private', 'public', 'community']) {
      const image = await sharedImage(visibility);
      await owner.post(`/v2/images/${image}/members`, { member: P2 });
      await cluster.sql(`UPDATE images SET visibility = $2 WHERE id = $1`, [image, visibility]);
      const base = `/v2/images/${image}/members`;
      expect(await refusal(owner.post(base, { member: P3 }, JSON_ERRORS))).toEqual([
        403,
        `Not allowed to create members for image ${image}.`,
      ]);
      expect(await refusal(owner.get(base, JSON_ERRORS))).toEqual([
        403,
        `Not allowed to list members for image ${image}: Only shared images have members.`,
      ]);
      expect(await refusal(owner.get(`${base}/${P2}`, JSON_ERRORS))).toEqual([
        404,
        'Only shared images have members.',
      ]);
      expect(
        await refusal(owner.put(`${base}/${P2}`, { status: 'accepted' }, JSON_ERRORS)),
      ).toEqual([403, `Not allowed to update members for image ${image}.`]);
      const deleted = await owner.delete(`${base}/${P2}`);
      expect(deleted.status).toBe(403);
      expect(deleted.text).toContain(`Not allowed to delete members for image ${image}.`);
    }
  });

  it('answers 404 for the members of a deleted or pending_delete image, and for non-uuid ids', async () => {
    for (const status of ['deleted', 'pending_delete']) {
      const image = await sharedImage(status);
      await owner.post(`/v2/images/${image}/members`, { member: P2 });
      await cluster.sql(`UPDATE images SET status = $2, deleted = $3 WHERE id = $1`, [
        image,
        status,
        status === 'deleted',
      ]);
      const gone = [404, `Image ${image} not found.`];
      const base = `/v2/images/${image}/members`;
      expect(await refusal(owner.get(base, JSON_ERRORS))).toEqual(gone);
      expect(await refusal(admin.get(base, JSON_ERRORS))).toEqual(gone);
      expect(await refusal(owner.post(base, { member: P3 }, JSON_ERRORS))).toEqual(gone);
      expect(await refusal(owner.get(`${base}/${P2}`, JSON_ERRORS))).toEqual(gone);
      expect(
        await refusal(member.put(`${base}/${P2}`, { status: 'accepted' }, JSON_ERRORS)),
      ).toEqual(gone);
      expect((await owner.delete(`${base}/${P2}`)).status).toBe(404);
    }
    for (const id of ['nope', '00000000-0000-0000-0000-00000000000g', 'x'.repeat(40)]) {
      expect(await refusal(owner.get(`/v2/images/${id}/members`, JSON_ERRORS))).toEqual([
        404,
        `Image ${id} not found.`,
      ]);
      expect(
        await refusal(owner.post(`/v2/images/${id}/members`, { member: P2 }, JSON_ERRORS)),
      ).toEqual([404, `Image ${id} not found.`]);
    }
  });

  it('refuses bodies on GET and DELETE and methods the paths do not take', async () => {
    const image = await sharedImage();
    await owner.post(`/v2/images/${image}/members`, { member: P2 });
    // fetch will not send a GET with a body; webob would read one.
    const withBody = await rawRequest('GET', `/v2/images/${image}/members`, '{"x": 1}');
    expect([withBody.status, JSON.parse(withBody.text).message]).toEqual([
      400,
      'A body is not expected with this request.',
    ]);
    const deleteWithBody = await rawRequest('DELETE', `/v2/images/${image}/members/${P2}`, '{}');
    expect(deleteWithBody.status).toBe(400);
    expect((await owner.get(`/v2/images/${image}/members/${P2}`)).status).toBe(200);
    const patch = await owner.request('PATCH', `/v2/images/${image}/members`, {});
    expect(patch.status).toBe(405);
    expect(patch.headers.get('allow')).toBe('GET, POST');
    const post = await owner.request('POST', `/v2/images/${image}/members/${P2}`, {});
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, PUT, DELETE');
  });

  (existsSync(GLANCE) ? it : it.skip)(
    'works with the real glance client: member-create, -list, -get, -update, -delete',
    async () => {
      const image = await sharedImage('cli');
      const glance = async (project: string, ...args: string[]) => {
        const { stdout } = await run(
          GLANCE,
          [
            '--os-image-url',
            cluster.glanceUrl,
            '--os-auth-token',
            `cli-user:${project}`,
            '--os-image-api-version',
            '2',
            ...args,
          ],
          {
            env: { PATH: '/usr/bin:/bin', HOME: cluster.workDir, LANG: 'C.UTF-8' },
            timeout: 60_000,
          },
        );
        return stdout;
      };
      const rows = (output: string) =>
        output
          .split('\n')
          .filter((line) => line.startsWith('|'))
          .slice(1)
          .map((line) =>
            line
              .split('|')
              .slice(1, -1)
              .map((cell) => cell.trim()),
          );

      expect(rows(await glance(OWNER, 'member-create', image, P2))).toEqual([
        [image, P2, 'pending'],
      ]);
      expect(rows(await glance(OWNER, 'member-create', image, P3))).toEqual([
        [image, P3, 'pending'],
      ]);
      expect(rows(await glance(OWNER, 'member-list', '--image-id', image))).toEqual([
        [image, P2, 'pending'],
        [image, P3, 'pending'],
      ]);
      expect(rows(await glance(P2, 'member-update', image, P2, 'accepted'))).toEqual([
        [image, P2, 'accepted'],
      ]);
      // noauth tokens are admins, and an admin sees every member (a member's own view is above).
      expect(rows(await glance(P2, 'member-list', '--image-id', image))).toEqual([
        [image, P2, 'accepted'],
        [image, P3, 'pending'],
      ]);
      const shown = Object.fromEntries(rows(await glance(P2, 'member-get', image, P2)));
      expect(shown).toMatchObject({ member_id: P2, image_id: image, status: 'accepted' });
      await expect(glance(OWNER, 'member-create', image, P2)).rejects.toMatchObject({
        stderr: expect.stringContaining(
          `409 Conflict: Member ${P2} is duplicated for image ${image}`,
        ),
      });
      expect(await glance(OWNER, 'member-delete', image, P2)).toBe('');
      expect(rows(await glance(OWNER, 'member-list', '--image-id', image))).toEqual([
        [image, P3, 'pending'],
      ]);
    },
  );
});
