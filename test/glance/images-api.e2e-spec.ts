/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON picked apart per test */
import { randomUUID } from 'node:crypto';
import { Cluster } from '../support/cluster';
import { GlanceClient } from '../support/glance-client';

/**
 * Issue 11, glance-api: "GET /v2/schemas/image and /v2/schemas/images (real clients load these
 * before anything else)"; "Images: create (queued), list (filters: name, status, visibility,
 * owner, tag, member_status, size_min/size_max, created_at/updated_at operators;
 * sort_key/sort_dir; limit/marker with a next link), show, PATCH with the JSON-patch media
 * type application/openstack-images-v2.1-json-patch (name, custom properties, tags, min_disk,
 * min_ram, visibility, protected, os_hidden), ... tags PUT/DELETE".
 */
const A = 'aaaaaaaa000000000000000000000001';
const B = 'bbbbbbbb000000000000000000000002';
const V21 = 'application/openstack-images-v2.1-json-patch';
const V20 = 'application/openstack-images-v2.0-json-patch';

describe('glance-api: the images API (schemas, create, list, PATCH, tags)', () => {
  const cluster = new Cluster([]);
  /** Admin of project A (noauth default), members of A and of B. */
  let admin: GlanceClient;
  let memberA: GlanceClient;
  let memberB: GlanceClient;

  beforeAll(async () => {
    await cluster.startGlanceApi({ GLANCE_IMAGE_TAG_QUOTA: '4', GLANCE_IMAGE_PROPERTY_QUOTA: '5' });
    admin = new GlanceClient(cluster.glanceUrl, A);
    memberA = admin.asMember();
    memberB = new GlanceClient(cluster.glanceUrl, B, 'user-b', ['member', 'reader']);
  });
  afterAll(() => cluster.stop());

  const patch = (client: GlanceClient, id: string, ops: unknown[], type = V21) =>
    client.request('PATCH', `/v2/images/${id}`, JSON.stringify(ops), { 'Content-Type': type });
  const json = { Accept: 'application/json' };

  async function createImage(client: GlanceClient, body: Record<string, unknown>) {
    const created = await client.post('/v2/images', body);
    expect(created.status).toBe(201);
    return created.body;
  }

  describe('schemas', () => {
    it("serves Glance's image schema, which validates and shapes every image", async () => {
      const res = await memberA.get('/v2/schemas/image');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.body).toMatchObject({
        name: 'image',
        additionalProperties: { type: 'string' },
        links: [
          { rel: 'self', href: '{self}' },
          { rel: 'enclosure', href: '{file}' },
          { rel: 'describedby', href: '{schema}' },
        ],
      });
      expect(res.body.properties.visibility.enum).toEqual([
        'community',
        'public',
        'private',
        'shared',
      ]);
      expect(res.body.properties.container_format.enum).toEqual([
        null,
        'ami',
        'ari',
        'aki',
        'bare',
        'ovf',
        'ova',
        'docker',
        'compressed',
      ]);
      expect(res.body.properties.kernel_id).toMatchObject({ is_base: false });
      // Every key of a shown image is described by the schema (or is a custom string).
      const image = await createImage(memberA, { name: 'described', os_distro: 'x' });
      for (const key of Object.keys(image)) {
        if (key !== 'os_distro') expect(res.body.properties).toHaveProperty(key);
      }
    });

    it('serves the images collection schema', async () => {
      const image = (await memberA.get('/v2/schemas/image')).body;
      const res = await memberA.get('/v2/schemas/images');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        name: 'images',
        properties: {
          images: { type: 'array', items: image },
          first: { type: 'string' },
          next: { type: 'string' },
          schema: { type: 'string' },
        },
        links: [
          { rel: 'first', href: '{first}' },
          { rel: 'next', href: '{next}' },
          { rel: 'describedby', href: '{schema}' },
        ],
      });
    });
  });

  describe('create', () => {
    it('creates a queued image with everything a body may set', async () => {
      const id = randomUUID();
      const res = await memberA.post('/v2/images', {
        id,
        name: 'full',
        visibility: 'private',
        protected: true,
        os_hidden: true,
        min_disk: 2,
        min_ram: 512,
        disk_format: 'qcow2',
        container_format: 'bare',
        tags: ['one', 'two', 'one'],
        os_distro: 'debian',
        kernel_id: null,
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`${cluster.glanceUrl}/v2/images/${id}`);
      expect(res.headers.get('openstack-image-store-ids')).toBe('file1,file2');
      expect(res.body).toMatchObject({
        id,
        name: 'full',
        status: 'queued',
        visibility: 'private',
        protected: true,
        os_hidden: true,
        min_disk: 2,
        min_ram: 512,
        disk_format: 'qcow2',
        container_format: 'bare',
        owner: A,
        tags: ['one', 'two'],
        os_distro: 'debian',
        kernel_id: null,
        size: null,
        self: `/v2/images/${id}`,
        file: `/v2/images/${id}/file`,
        schema: '/v2/schemas/image',
      });
      expect(res.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(res.body.updated_at).toBe(res.body.created_at);
      expect((await memberA.get(`/v2/images/${id}`)).body).toEqual(res.body);
    });

    it('reads the body as JSON whatever its Content-Type says, as Glance does', async () => {
      const res = await memberA.request('POST', '/v2/images', JSON.stringify({ name: 'typed' }), {
        'Content-Type': 'text/plain',
      });
      expect(res.status).toBe(201);
      expect(res.body.name).toBe('typed');
    });

    it.each([
      [{ self: '/x' }, 403, "Attribute 'self' is read-only."],
      [{ status: 'active' }, 403, "Attribute 'status' is read-only."],
      [{ checksum: 'abc' }, 403, "Attribute 'checksum' is read-only."],
      [{ deleted: 'x' }, 403, "Attribute 'deleted' is reserved."],
      [{ os_glance_x: 'x' }, 403, "Attribute 'os_glance_x' is reserved."],
      [{ locations: [] }, 403, "Attribute 'locations' is reserved."],
      [{ disk_format: 'floppy' }, 400, "'floppy' is not one of [None, 'ami'"],
      [{ name: 'n'.repeat(256) }, 400, 'is too long'],
      [{ visibility: 'everyone' }, 400, "'everyone' is not one of ['community', 'public'"],
      [{ protected: 'yes' }, 400, "'yes' is not of type 'boolean'"],
      [
        { min_ram: -1 },
        400,
        "Invalid value '-1' for parameter 'min_ram': Cannot be a negative value",
      ],
      [{ min_disk: 2 ** 31 }, 400, "'min_disk' value out of range, must not exceed 2147483647."],
      [{ id: 'abc' }, 400, "'abc' does not match"],
      [{ tags: ['t'.repeat(256)] }, 400, 'is too long'],
      [{ tags: ['1', '2', '3', '4', '5'] }, 413, 'allowed image tags. Attempted: 5, Maximum: 4'],
      [
        { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6' },
        413,
        'allowed image properties. Attempted: 6, Maximum: 5',
      ],
      [{ custom: 3 }, 400, "3 is not of type 'string'"],
      [
        { ['k'.repeat(256)]: 'v' },
        400,
        'Custom property should not be greater than 255 characters.',
      ],
      [{ visibility: 'public' }, 403, 'You are not authorized to complete publicize_image action.'],
      [{ owner: B }, 403, `You are not permitted to create images owned by '${B}'`],
    ])('refuses %j from a member: %i', async (body, status, message) => {
      const count = async () => (await cluster.sql(`SELECT count(*)::int AS n FROM images`))[0].n;
      const before = await count();
      const res = await memberA.post('/v2/images', body, json);
      expect(res.status).toBe(status);
      expect(res.body.message).toContain(message);
      expect(await count()).toBe(before);
    });

    it('refuses bodies that are no JSON object', async () => {
      const raw = (body: string) =>
        memberA.request('POST', '/v2/images', body, {
          'Content-Type': 'application/json',
          ...json,
        });
      expect((await raw('{')).body.message).toBe('Malformed JSON in request body.');
      expect((await raw('"text"')).body.message).toBe('Unexpected body type. Expected list/dict.');
      const empty = await memberA.request('POST', '/v2/images', undefined, json);
      expect(empty.status).toBe(400);
      expect(empty.body.message).toBe('Body expected in request.');
    });

    it('refuses a taken id (409) and lets an admin create public images for others', async () => {
      const id = randomUUID();
      await createImage(memberA, { id });
      const again = await memberA.post('/v2/images', { id }, json);
      expect(again.status).toBe(409);
      expect(again.body.message).toBe(`Image ID ${id} already exists!`);
      const forB = await createImage(admin, { owner: B, visibility: 'public' });
      expect(forB).toMatchObject({ owner: B, visibility: 'public' });
    });

    it('lets a reader create nothing', async () => {
      const reader = new GlanceClient(cluster.glanceUrl, A, 'r', ['reader']);
      const res = await reader.post('/v2/images', { name: 'r' }, json);
      expect(res.status).toBe(403);
      expect(res.body.message).toBe('You are not authorized to complete add_image action.');
    });
  });

  describe('list', () => {
    const P = 'cccccccc000000000000000000000003';
    const Q = 'dddddddd000000000000000000000004';
    let adminP: GlanceClient;
    let memberP: GlanceClient;
    let memberQ: GlanceClient;
    const ids: Record<string, string> = {};

    const names = (res: { body: any }) => (res.body.images as any[]).map((i) => i.name).sort();

    beforeAll(async () => {
      adminP = new GlanceClient(cluster.glanceUrl, P);
      memberP = adminP.asMember();
      memberQ = new GlanceClient(cluster.glanceUrl, Q, 'user-q', ['member', 'reader']);
      // Every image of P and Q carries the tag `pq`, to list them apart from other tests'.
      const make = async (name: string, client: GlanceClient, body: Record<string, unknown>) => {
        const tags = [...((body.tags as string[] | undefined) ?? []), 'pq'];
        ids[name] = (await createImage(client, { name, ...body, tags })).id;
      };
      await make('p-private', memberP, {
        visibility: 'private',
        tags: ['x', 'y'],
        os_distro: 'debian',
      });
      await make('p-shared', memberP, { visibility: 'shared', tags: ['x'] });
      await make('p-community', memberP, { visibility: 'community' });
      await make('p-hidden', memberP, { visibility: 'private', os_hidden: true });
      await make('q-public', adminP, { owner: Q, visibility: 'public', tags: ['y'] });
      await make('q-private', memberQ, { visibility: 'private' });
      await make('q-shared-accepted', memberQ, { visibility: 'shared' });
      await make('q-shared-pending', memberQ, { visibility: 'shared' });
      await make('q-community', memberQ, { visibility: 'community' });
      await make('p-killed', memberP, { visibility: 'private' });
      await make('p-deleted', memberP, { visibility: 'private' });
      await make('p-pending-delete', memberP, { visibility: 'private' });
      await cluster.sql(
        `INSERT INTO image_members (image_id, member, status, created_at)
         VALUES ($1, $3, 'accepted', now()), ($2, $3, 'pending', now())`,
        [ids['q-shared-accepted'], ids['q-shared-pending'], P],
      );
      // Sizes, statuses and times as uploads, deletes and time would leave them.
      await cluster.sql(`UPDATE images SET size = 100, status = 'active' WHERE id = $1`, [
        ids['p-private'],
      ]);
      await cluster.sql(`UPDATE images SET size = 5000, status = 'active' WHERE id = $1`, [
        ids['q-public'],
      ]);
      await cluster.sql(`UPDATE images SET status = 'killed' WHERE id = $1`, [ids['p-killed']]);
      await cluster.sql(`UPDATE images SET status = 'deleted', deleted = true WHERE id = $1`, [
        ids['p-deleted'],
      ]);
      await cluster.sql(`UPDATE images SET status = 'pending_delete' WHERE id = $1`, [
        ids['p-pending-delete'],
      ]);
      await cluster.sql(
        `UPDATE images SET created_at = '2020-01-01 00:00:00', updated_at = '2020-06-01 00:00:00'
          WHERE id = $1`,
        [ids['p-shared']],
      );
    });

    /** The images of P and Q only (other tests make more in other projects). */
    const PQ = 'tag=pq';

    it("lists what Glance lists by default: own, public, accepted shares; not others' community, hidden, killed or gone", async () => {
      const res = await memberP.get(`/v2/images?${PQ}`);
      expect(res.status).toBe(200);
      expect(names(res)).toEqual([
        'p-community',
        'p-private',
        'p-shared',
        'q-public',
        'q-shared-accepted',
      ]);
      expect(res.body.first).toBe('/v2/images?tag=pq');
      expect(res.body.schema).toBe('/v2/schemas/images');
      expect(res.body).not.toHaveProperty('next');
      expect(res.body.images.find((i: any) => i.name === 'p-private')).toMatchObject({
        id: ids['p-private'],
        tags: ['x', 'y', 'pq'],
        os_distro: 'debian',
        size: 100,
      });
    });

    it('shows an admin every project but still no community or hidden images by default', async () => {
      const res = await adminP.get(`/v2/images?${PQ}`);
      expect(names(res)).toEqual([
        'p-community',
        'p-private',
        'p-shared',
        'q-private',
        'q-public',
        'q-shared-accepted',
        'q-shared-pending',
      ]);
    });

    it('filters by visibility, member_status and os_hidden', async () => {
      expect(names(await memberP.get(`/v2/images?${PQ}&visibility=community`))).toEqual([
        'p-community',
        'q-community',
      ]);
      expect(names(await memberP.get(`/v2/images?${PQ}&visibility=shared`))).toEqual([
        'p-shared',
        'q-shared-accepted',
      ]);
      expect(
        names(await memberP.get(`/v2/images?${PQ}&visibility=shared&member_status=pending`)),
      ).toEqual(['p-shared', 'q-shared-pending']);
      expect(
        names(await memberP.get(`/v2/images?${PQ}&visibility=shared&member_status=all`)),
      ).toEqual(['p-shared', 'q-shared-accepted', 'q-shared-pending']);
      expect(names(await memberP.get(`/v2/images?${PQ}&visibility=all`))).toEqual([
        'p-community',
        'p-private',
        'p-shared',
        'q-community',
        'q-public',
        'q-shared-accepted',
      ]);
      expect(names(await memberP.get(`/v2/images?${PQ}&os_hidden=true`))).toEqual(['p-hidden']);
      expect(names(await memberQ.get(`/v2/images?${PQ}&visibility=private`))).toEqual([
        'q-private',
      ]);
    });

    it('filters by name (and in:), status, owner, tags (all of them), properties, sizes and times', async () => {
      expect(names(await memberP.get(`/v2/images?${PQ}&name=p-private`))).toEqual(['p-private']);
      expect(names(await memberP.get(`/v2/images?name=in:p-private,"q-public"`))).toEqual([
        'p-private',
        'q-public',
      ]);
      expect(names(await memberP.get(`/v2/images?${PQ}&status=active`))).toEqual([
        'p-private',
        'q-public',
      ]);
      expect(names(await memberP.get(`/v2/images?owner=${Q}`))).toEqual([
        'q-public',
        'q-shared-accepted',
      ]);
      expect(names(await memberP.get(`/v2/images?${PQ}&tag=x`))).toEqual(['p-private', 'p-shared']);
      expect(names(await memberP.get(`/v2/images?${PQ}&tag=x&tag=y`))).toEqual(['p-private']);
      expect(names(await memberP.get(`/v2/images?${PQ}&os_distro=debian`))).toEqual(['p-private']);
      expect(names(await memberP.get(`/v2/images?${PQ}&size_min=100&size_max=1000`))).toEqual([
        'p-private',
      ]);
      expect(names(await memberP.get(`/v2/images?${PQ}&size_min=101`))).toEqual(['q-public']);
      expect(
        names(await memberP.get(`/v2/images?${PQ}&created_at=lt:2021-01-01T00:00:00Z`)),
      ).toEqual(['p-shared']);
      expect(
        names(
          await memberP.get(
            `/v2/images?${PQ}&updated_at=gte:2020-06-01T00:00:00Z&created_at=lte:2020-01-01`,
          ),
        ),
      ).toEqual(['p-shared']);
      expect(
        names(await memberP.get(`/v2/images?${PQ}&created_at=neq:2020-01-01T00:00:00Z`)),
      ).not.toContain('p-shared');
    });

    it('sorts with sort_key/sort_dir and with sort=key:dir', async () => {
      const asc = await memberP.get(`/v2/images?${PQ}&sort_key=name&sort_dir=asc`);
      expect(asc.body.images.map((i: any) => i.name)).toEqual([
        'p-community',
        'p-private',
        'p-shared',
        'q-public',
        'q-shared-accepted',
      ]);
      const bySize = await memberP.get(`/v2/images?${PQ}&sort=size:desc,name:asc`);
      expect(bySize.body.images.map((i: any) => i.name)).toEqual([
        'q-public',
        'p-private',
        'p-community',
        'p-shared',
        'q-shared-accepted',
      ]);
      // Newest first by default: p-shared was made to look oldest.
      const byDefault = await memberP.get(`/v2/images?${PQ}`);
      expect(byDefault.body.images.at(-1).name).toBe('p-shared');
    });

    it('pages with limit and marker, following next links to the end without repeats', async () => {
      const seen: string[] = [];
      let url: string | undefined = `/v2/images?${PQ}&visibility=all&limit=2&sort=name:asc`;
      let pages = 0;
      while (url) {
        const res: { status: number; body: any } = await memberP.get(url);
        expect(res.status).toBe(200);
        seen.push(...res.body.images.map((i: any) => i.name));
        url = res.body.next;
        pages += 1;
      }
      expect(seen).toEqual([
        'p-community',
        'p-private',
        'p-shared',
        'q-community',
        'q-public',
        'q-shared-accepted',
      ]);
      // A full last page still has a next link, to an empty page (as Glance).
      expect(pages).toBe(4);
      const first = await memberP.get(`/v2/images?${PQ}&limit=1&sort=name:asc&tag=x`);
      expect(first.body.next).toBe(
        `/v2/images?tag=pq&limit=1&sort=name%3Aasc&tag=x&marker=${ids['p-private']}`,
      );
    });

    it('refuses bad filters, sorts, limits and markers with 400 (an unseen marker 403)', async () => {
      const cases: Array<[string, number, string]> = [
        ['limit=x', 400, 'limit param must be an integer'],
        ['sort_key=owner', 400, 'Invalid sort key: owner.'],
        ['sort_dir=sideways', 400, 'Invalid sort direction: sideways'],
        ['sort=name&sort_key=name', 400, 'Old and new sorting syntax cannot be combined'],
        ['visibility=everyone', 400, 'Invalid visibility value: everyone'],
        ['member_status=maybe', 400, 'Invalid status: maybe'],
        ['os_hidden=perhaps', 400, "Invalid value 'perhaps' for 'os_hidden' filter."],
        ['size_min=big', 400, 'Unable to filter on a range with a non-numeric value.'],
        [
          'created_at=gt:yesterday',
          400,
          'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.',
        ],
        ['name=like:x', 400, "Unable to filter by unknown operator 'like'."],
        [
          'changes-since=2020-01-01',
          400,
          'The "changes-since" filter is no longer available on v2.',
        ],
        [`marker=${randomUUID()}`, 400, 'No image found with ID'],
        [`marker=${'x'.repeat(40)}`, 400, 'Image with the given id %(image_id)s was not found'],
        [
          `marker=${ids['q-private']}`,
          403,
          `Forbidding request, image ${ids['q-private']} not visible`,
        ],
      ];
      for (const [query, status, message] of cases) {
        const res = await memberP.get(`/v2/images?${query}`, json);
        expect([query, res.status]).toEqual([query, status]);
        expect(res.body.message).toContain(message);
      }
    });

    it('refuses a caller without the reader role', async () => {
      const nobody = new GlanceClient(cluster.glanceUrl, P, 'n', ['guest']);
      const res = await nobody.get('/v2/images', json);
      expect(res.status).toBe(403);
      expect(res.body.message).toBe('You are not authorized to complete get_images action.');
    });
  });

  describe('PATCH', () => {
    it('changes name, custom properties, tags, limits, visibility, protected and os_hidden', async () => {
      const image = await createImage(memberA, {
        name: 'before',
        os_distro: 'debian',
        tags: ['old'],
      });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const res = await patch(memberA, image.id, [
        { op: 'replace', path: '/name', value: 'after' },
        { op: 'add', path: '/hw_disk_bus', value: 'scsi' },
        { op: 'replace', path: '/os_distro', value: 'ubuntu' },
        { op: 'replace', path: '/tags', value: ['new', 'newer'] },
        { op: 'replace', path: '/min_disk', value: 10 },
        { op: 'add', path: '/min_ram', value: 1024 },
        { op: 'replace', path: '/visibility', value: 'community' },
        { op: 'replace', path: '/protected', value: true },
        { op: 'replace', path: '/os_hidden', value: true },
        { op: 'replace', path: '/disk_format', value: 'raw' },
        { op: 'add', path: '/container_format', value: 'bare' },
      ]);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        name: 'after',
        hw_disk_bus: 'scsi',
        os_distro: 'ubuntu',
        tags: ['new', 'newer'],
        min_disk: 10,
        min_ram: 1024,
        visibility: 'community',
        protected: true,
        os_hidden: true,
        disk_format: 'raw',
        container_format: 'bare',
      });
      expect(res.body.updated_at > image.updated_at).toBe(true);
      expect((await memberA.get(`/v2/images/${image.id}`)).body).toEqual(res.body);
      const removed = await patch(memberA, image.id, [{ op: 'remove', path: '/hw_disk_bus' }]);
      expect(removed.body).not.toHaveProperty('hw_disk_bus');
    });

    it('takes the 2.0 media type (draft 4): add of a present property is a conflict', async () => {
      const image = await createImage(memberA, { os_distro: 'debian' });
      const added = await patch(memberA, image.id, [{ add: '/arch', value: 'x86_64' }], V20);
      expect(added.body.arch).toBe('x86_64');
      const again = await patch(memberA, image.id, [{ add: '/os_distro', value: 'x' }], V20);
      expect(again.status).toBe(409);
      expect(again.text).toContain('Property os_distro already present.');
    });

    it('answers 415 with Accept-Patch for any other media type', async () => {
      const image = await createImage(memberA, {});
      const res = await memberA.request(
        'PATCH',
        `/v2/images/${image.id}`,
        JSON.stringify([{ op: 'replace', path: '/name', value: 'x' }]),
        { 'Content-Type': 'application/json', ...json },
      );
      expect(res.status).toBe(415);
      expect(res.headers.get('accept-patch')).toBe(`${V20}, ${V21}`);
      expect(res.body.message).toBe(
        `The request media type application/json is not supported by this server.\n<br /><br />\nImage PATCH expects Content-Type one of: ${V20}, ${V21}`,
      );
    });

    it('refuses as Glance does, and saves nothing of a refused PATCH', async () => {
      const image = await createImage(memberA, { name: 'kept', disk_format: 'raw' });
      const cases: Array<[unknown[], number, string]> = [
        [
          [{ op: 'replace', path: '/status', value: 'active' }],
          403,
          "Attribute 'status' is read-only.",
        ],
        [
          [{ op: 'add', path: '/deleted_at', value: 'x' }],
          403,
          "Attribute 'deleted_at' is reserved.",
        ],
        [[{ op: 'replace', path: '/nope', value: 'x' }], 409, 'Property nope does not exist.'],
        [[{ op: 'remove', path: '/name' }], 403, 'Property name may not be removed.'],
        [
          [{ op: 'replace', path: '/min_ram', value: -5 }],
          400,
          "Invalid value '-5' for parameter 'min_ram'",
        ],
        [[{ op: 'replace', path: '/name', value: 'n'.repeat(256) }], 400, 'is too long'],
        [[{ op: 'replace', path: '/visibility', value: 'public' }], 403, 'publicize_image'],
        [
          [{ op: 'replace', path: '/owner', value: B }],
          403,
          "Owner can't be updated by non admin.",
        ],
        [
          [{ op: 'replace', path: '/tags', value: ['1', '2', '3', '4', '5'] }],
          413,
          'Attempted: 5, Maximum: 4',
        ],
        [
          [{ op: 'add', path: '/tags/-', value: 'x' }],
          400,
          "Invalid JSON pointer for this resource: '/tags/-'",
        ],
        [
          [{ op: 'add', path: '/locations/-', value: { url: 'file:///tmp/x', metadata: {} } }],
          403,
          "It's not allowed to add locations if locations are invisible.",
        ],
        [
          [
            { op: 'replace', path: '/name', value: 'changed' },
            { op: 'replace', path: '/missing', value: 'x' },
          ],
          409,
          'Property missing does not exist.',
        ],
      ];
      for (const [ops, status, message] of cases) {
        const res = await patch(memberA, image.id, ops);
        expect([ops, res.status]).toEqual([ops, status]);
        expect(res.text).toContain(message.replace(/'/g, '&#x27;'));
      }
      expect((await memberA.get(`/v2/images/${image.id}`)).body).toMatchObject({
        name: 'kept',
        tags: [],
        visibility: 'shared',
      });
    });

    it('changes formats only while the image is queued', async () => {
      const image = await createImage(memberA, { disk_format: 'raw', container_format: 'bare' });
      await cluster.sql(`UPDATE images SET status = 'active' WHERE id = $1`, [image.id]);
      const res = await patch(memberA, image.id, [
        { op: 'replace', path: '/disk_format', value: 'qcow2' },
      ]);
      expect(res.status).toBe(403);
      expect(res.text).toContain('Attribute disk_format can be only replaced for a queued image.');
      const named = await patch(memberA, image.id, [
        { op: 'replace', path: '/name', value: 'active one' },
      ]);
      expect(named.body).toMatchObject({
        name: 'active one',
        status: 'active',
        disk_format: 'raw',
      });
    });

    it('lets only the owner change an image: others get 403 if they see it, 404 if not', async () => {
      const visible = await createImage(admin, { visibility: 'public', name: 'theirs' });
      const hidden = await createImage(memberA, { visibility: 'private' });
      const rename = [{ op: 'replace', path: '/name', value: 'mine' }];
      const other = await patch(memberB, visible.id, rename);
      expect(other.status).toBe(403);
      expect(other.text).toContain('You are not authorized to complete modify_image action.');
      const unseen = await patch(memberB, hidden.id, rename);
      expect(unseen.status).toBe(404);
      expect(unseen.text).toContain(`No image found with ID ${hidden.id}`);
      const reader = new GlanceClient(cluster.glanceUrl, A, 'r', ['reader']);
      expect((await patch(reader, hidden.id, rename)).status).toBe(403);
      expect((await patch(admin, hidden.id, rename)).body.name).toBe('mine');
      const given = await patch(admin, hidden.id, [{ op: 'replace', path: '/owner', value: B }]);
      expect(given.body.owner).toBe(B);
      expect(
        (await patch(memberB, hidden.id, [{ op: 'add', path: '/k', value: 'v' }])).status,
      ).toBe(200);
    });
  });

  describe('tags', () => {
    it('adds (204, idempotent) and deletes (204) tags; a missing tag is 404', async () => {
      const image = await createImage(memberA, { tags: ['a'] });
      const added = await memberA.put(`/v2/images/${image.id}/tags/b%20c`);
      expect(added.status).toBe(204);
      expect(added.text).toBe('');
      expect((await memberA.put(`/v2/images/${image.id}/tags/a`)).status).toBe(204);
      expect((await memberA.get(`/v2/images/${image.id}`)).body.tags).toEqual(['a', 'b c']);
      expect((await memberA.delete(`/v2/images/${image.id}/tags/a`)).status).toBe(204);
      expect((await memberA.get(`/v2/images/${image.id}`)).body.tags).toEqual(['b c']);
      const missing = await memberA.request(
        'DELETE',
        `/v2/images/${image.id}/tags/a`,
        undefined,
        json,
      );
      expect(missing.status).toBe(404);
      expect(missing.body.message).toBe('The resource could not be found.');
    });

    it('refuses long tags, too many tags, and other owners', async () => {
      const image = await createImage(memberA, { tags: ['1', '2', '3', '4'] });
      const long = await memberA.request(
        'PUT',
        `/v2/images/${image.id}/tags/${'t'.repeat(256)}`,
        undefined,
        json,
      );
      expect(long.status).toBe(400);
      expect(long.body.message).toContain("Provided object does not match schema 'image'");
      const many = await memberA.request('PUT', `/v2/images/${image.id}/tags/5`, undefined, json);
      expect(many.status).toBe(413);
      expect(many.body.message).toBe(
        `Image tag limit exceeded for image ${image.id}: The limit has been exceeded on the number of allowed image tags. Attempted: 5, Maximum: 4:`,
      );
      const unseen = await memberB.request('PUT', `/v2/images/${image.id}/tags/x`, undefined, json);
      expect(unseen.status).toBe(404);
      expect(unseen.body.message).toBe(`Image ${image.id} not found.`);
      const shown = await createImage(memberA, { visibility: 'community', tags: ['x'] });
      const other = await memberB.request(
        'DELETE',
        `/v2/images/${shown.id}/tags/x`,
        undefined,
        json,
      );
      expect(other.status).toBe(403);
      expect(other.body.message).toBe('You are not authorized to complete modify_image action.');
      expect((await memberA.get(`/v2/images/${shown.id}`)).body.tags).toEqual(['x']);
    });
  });
});
