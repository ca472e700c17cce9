import { randomUUID } from 'node:crypto';
import { ApiClient, PROJECT_A, PROJECT_B } from '../support/api-client';
import { Cluster } from '../support/cluster';

const fault = (name: string, code: number, message: string) => ({ [name]: { code, message } });

/**
 * Volume types beyond list/create/delete (issue 14): update, extra specs per key, private
 * types and their access lists, encryption types and per-project default types (3.62), with
 * Cinder's codes and messages. Under noauth every caller is an admin, so what a non-admin may
 * not see is left to the unit specs.
 */
describe('cinder-api: volume types (update, access, encryption, project defaults)', () => {
  const cluster = new Cluster([{ name: 'only', capacityGb: 100 }]);
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
  });
  afterAll(() => cluster.stop());

  async function createType(body: Record<string, unknown>): Promise<string> {
    const res = await api.post('types', { volume_type: body });
    expect(res.status).toBe(200);
    return res.body.volume_type.id as string;
  }

  it('PUT /types/{id}: name, description, is_public; duplicate names, empty bodies', async () => {
    const id = await createType({ name: 'upd-1', description: 'one' });
    await createType({ name: 'upd-taken' });
    // The type's per-type quota follows a rename.
    expect(
      (
        await api.request('PUT', `os-quota-sets/${PROJECT_A}`, {
          quota_set: { 'volumes_upd-1': 3 },
        })
      ).status,
    ).toBe(200);

    const res = await api.request('PUT', `types/${id}`, {
      volume_type: { name: 'upd-2', description: 'two', is_public: 'false' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      volume_type: { id, name: 'upd-2', description: 'two', is_public: false, extra_specs: {} },
    });
    expect((await api.get(`types/${id}`)).body.volume_type).toMatchObject({
      name: 'upd-2',
      is_public: false,
      'os-volume-type-access:is_public': false,
    });
    const quotas = (await api.get(`os-quota-sets/${PROJECT_A}`)).body.quota_set;
    expect(quotas['volumes_upd-2']).toBe(3);
    expect(quotas['volumes_upd-1']).toBeUndefined();

    // Only the description: the rest stays.
    expect(
      (await api.request('PUT', `types/${id}`, { volume_type: { description: 'three' } })).body
        .volume_type,
    ).toMatchObject({ name: 'upd-2', description: 'three', is_public: false });
    // Its own name again is no conflict.
    expect(
      (await api.request('PUT', `types/${id}`, { volume_type: { name: 'upd-2' } })).status,
    ).toBe(200);

    expect(
      await api.request('PUT', `types/${id}`, { volume_type: { name: 'upd-taken' } }),
    ).toMatchObject({
      status: 409,
      body: fault('conflictingRequest', 409, 'Volume Type upd-taken already exists.'),
    });
    expect(await api.request('PUT', `types/${id}`, { volume_type: {} })).toMatchObject({
      status: 400,
      body: fault(
        'badRequest',
        400,
        'Specify volume type name, description, is_public or a combination thereof.',
      ),
    });
    expect(await api.request('PUT', `types/${id}`, { volume_type: { name: '   ' } })).toMatchObject(
      {
        status: 400,
        body: fault('badRequest', 400, 'Volume type name can not be empty.'),
      },
    );
    expect((await api.request('PUT', `types/${id}`, { volume_type: { bogus: 1 } })).status).toBe(
      400,
    );
    const unknown = randomUUID();
    expect(
      await api.request('PUT', `types/${unknown}`, { volume_type: { name: 'x' } }),
    ).toMatchObject({
      status: 404,
      body: fault('itemNotFound', 404, `Volume type ${unknown} could not be found.`),
    });
  });

  it('extra specs by key, and no spec or encryption changes while a volume has the type', async () => {
    const id = await createType({ name: 'specs', extra_specs: { a: '1' } });
    expect(await api.request('PUT', `types/${id}/extra_specs/b`, { b: '2' })).toMatchObject({
      status: 200,
      body: { b: '2' },
    });
    expect(await api.get(`types/${id}/extra_specs/b`)).toMatchObject({
      status: 200,
      body: { b: '2' },
    });
    expect(await api.request('PUT', `types/${id}/extra_specs/b`, { c: '2' })).toMatchObject({
      status: 400,
      body: fault('badRequest', 400, 'Request body and URI mismatch'),
    });
    expect((await api.request('PUT', `types/${id}/extra_specs/b`, { b: '2', c: '3' })).status).toBe(
      400,
    );
    expect((await api.delete(`types/${id}/extra_specs/a`)).status).toBe(202);
    expect(await api.get(`types/${id}/extra_specs/a`)).toMatchObject({
      status: 404,
      body: fault('itemNotFound', 404, `Volume Type ${id} has no extra specs with key a.`),
    });
    expect((await api.delete(`types/${id}/extra_specs/a`)).status).toBe(404);
    expect((await api.get(`types/${id}/extra_specs`)).body).toEqual({ extra_specs: { b: '2' } });
    expect(
      await api.post(`types/${id}/extra_specs`, {
        extra_specs: { multiattach: '<is> True', cacheable: '<is> True' },
      }),
    ).toMatchObject({
      status: 400,
      body: fault('badRequest', 400, 'cacheable cannot be set with multiattach.'),
    });

    const volume = await api.post('volumes', { volume: { size: 1, volume_type: 'specs' } });
    expect(volume.status).toBe(202);
    const inUse = fault('badRequest', 400, 'Volume Type is currently in use.');
    expect(await api.post(`types/${id}/extra_specs`, { extra_specs: { c: '3' } })).toMatchObject({
      status: 400,
      body: inUse,
    });
    expect(await api.request('PUT', `types/${id}/extra_specs/b`, { b: '9' })).toMatchObject({
      status: 400,
      body: inUse,
    });
    expect(await api.delete(`types/${id}/extra_specs/b`)).toMatchObject({
      status: 400,
      body: inUse,
    });
    expect(
      await api.post(`types/${id}/encryption`, {
        encryption: { provider: 'luks', control_location: 'front-end' },
      }),
    ).toMatchObject({
      status: 400,
      body: fault('badRequest', 400, 'Cannot create encryption specs. Volume type in use.'),
    });
    expect(await api.delete(`types/${id}`)).toMatchObject({
      status: 400,
      body: fault('badRequest', 400, 'Target volume type is still in use.'),
    });
  });

  it('private types: is_public filter, access lists, addProjectAccess/removeProjectAccess', async () => {
    const id = await createType({ name: 'private-1', 'os-volume-type-access:is_public': false });
    const publicId = await createType({ name: 'public-1' });
    const names = async (query: string) =>
      ((await api.get(`types${query}`)).body.volume_types as { name: string }[]).map((t) => t.name);

    // Without is_public: public types and the private ones the caller's project may use.
    expect(await names('')).not.toContain('private-1');
    const onlyPrivate = await names('?is_public=false');
    expect(onlyPrivate).toContain('private-1');
    expect(onlyPrivate).not.toContain('public-1');
    expect(await names('?is_public=None')).toEqual(
      expect.arrayContaining(['private-1', 'public-1', '__DEFAULT__']),
    );
    expect(await api.get('types?is_public=maybe')).toMatchObject({
      status: 400,
      body: fault('badRequest', 400, 'Invalid is_public filter [maybe]'),
    });

    const access = `types/${id}/os-volume-type-access`;
    expect((await api.get(access)).body).toEqual({ volume_type_access: [] });
    const add = (project: string, typeId = id) =>
      api.post(`types/${typeId}/action`, { addProjectAccess: { project } });
    expect((await add(PROJECT_A)).status).toBe(202);
    expect((await add(PROJECT_B)).status).toBe(202);
    expect(await add(PROJECT_A)).toMatchObject({
      status: 409,
      body: fault(
        'conflictingRequest',
        409,
        `Volume type access for ${id} / ${PROJECT_A} combination already exists.`,
      ),
    });
    expect((await api.get(access)).body.volume_type_access).toEqual([
      { volume_type_id: id, project_id: PROJECT_A },
      { volume_type_id: id, project_id: PROJECT_B },
    ]);
    expect(await names('')).toContain('private-1');

    const remove = (project: string) =>
      api.post(`types/${id}/action`, { removeProjectAccess: { project } });
    expect((await remove(PROJECT_A)).status).toBe(202);
    expect(await remove(PROJECT_A)).toMatchObject({
      status: 404,
      body: fault(
        'itemNotFound',
        404,
        `Volume type access not found for ${id} / ${PROJECT_A} combination.`,
      ),
    });
    expect(await add(PROJECT_A, publicId)).toMatchObject({
      status: 400,
      body: fault(
        'badRequest',
        400,
        'Invalid volume type: Type access modification is not applicable to public volume type.',
      ),
    });
    expect(await api.get(`types/${publicId}/os-volume-type-access`)).toMatchObject({
      status: 404,
      body: fault('itemNotFound', 404, 'Access list not available for public volume types.'),
    });
    expect((await api.post(`types/${id}/action`, { addProjectAccess: {} })).status).toBe(400);
    expect(await api.post(`types/${id}/action`, { frobnicate: {} })).toMatchObject({
      status: 400,
      body: fault('badRequest', 400, 'There is no such action: frobnicate'),
    });
  });

  it('encryption types: create, show, show a key, update, delete', async () => {
    const id = await createType({ name: 'encrypted' });
    const path = `types/${id}/encryption`;
    expect(await api.get(path)).toMatchObject({ status: 200, body: {} });

    const created = await api.post(path, {
      encryption: {
        provider: 'luks',
        cipher: 'aes-xts-plain64',
        key_size: '256',
        control_location: 'front-end',
      },
    });
    expect(created.status).toBe(200);
    const encryptionId = created.body.encryption.encryption_id as string;
    expect(created.body).toEqual({
      encryption: {
        volume_type_id: id,
        encryption_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        provider: 'luks',
        cipher: 'aes-xts-plain64',
        key_size: 256,
        control_location: 'front-end',
      },
    });
    expect(
      await api.post(path, { encryption: { provider: 'luks', control_location: 'back-end' } }),
    ).toMatchObject({
      status: 400,
      body: fault('badRequest', 400, `Volume type encryption for type ${id} already exists.`),
    });
    expect((await api.get(path)).body).toEqual({
      volume_type_id: id,
      encryption_id: encryptionId,
      provider: 'luks',
      cipher: 'aes-xts-plain64',
      key_size: 256,
      control_location: 'front-end',
      deleted: false,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
      updated_at: null,
      deleted_at: null,
    });
    expect((await api.get(`${path}/cipher`)).body).toEqual({ cipher: 'aes-xts-plain64' });
    expect(await api.get(`${path}/nope`)).toMatchObject({
      status: 404,
      body: fault('itemNotFound', 404, `Volume type encryption for type ${id} does not exist.`),
    });

    const updated = await api.request('PUT', `${path}/${encryptionId}`, {
      encryption: { key_size: 512, control_location: 'back-end' },
    });
    expect(updated).toMatchObject({
      status: 200,
      body: { encryption: { key_size: 512, control_location: 'back-end' } },
    });
    expect((await api.get(path)).body).toMatchObject({
      key_size: 512,
      control_location: 'back-end',
      provider: 'luks',
    });
    expect(
      (
        await api.request('PUT', `${path}/${encryptionId}`, {
          encryption: { control_location: 'middle' },
        })
      ).status,
    ).toBe(400);
    expect(
      await api.request('PUT', `${path}/${encryptionId}`, { encryption: { key_size: 'big' } }),
    ).toMatchObject({
      status: 400,
      body: fault('badRequest', 400, 'Invalid input received: key_size must be an integer.'),
    });

    expect((await api.delete(`${path}/${encryptionId}`)).status).toBe(202);
    expect((await api.get(path)).body).toEqual({});
    expect(await api.delete(`${path}/${encryptionId}`)).toMatchObject({
      status: 404,
      body: fault('itemNotFound', 404, `Volume type encryption for type ${id} does not exist.`),
    });
  });

  it('default types per project (3.62): set, show, list, unset; volumes without a type get it', async () => {
    const admin = api.withVersion('3.62');
    const id = await createType({ name: 'b-default' });
    expect((await api.get('default-types')).status).toBe(404);

    expect(
      await admin.request('PUT', `default-types/${PROJECT_B}`, {
        default_type: { volume_type: 'b-default' },
      }),
    ).toMatchObject({
      status: 200,
      body: { default_type: { project_id: PROJECT_B, volume_type_id: id } },
    });
    expect((await admin.get(`default-types/${PROJECT_B}`)).body).toEqual({
      default_type: { project_id: PROJECT_B, volume_type_id: id },
    });
    expect((await admin.get('default-types')).body.default_types).toContainEqual({
      project_id: PROJECT_B,
      volume_type_id: id,
    });
    expect(
      await admin.request('PUT', `default-types/${PROJECT_B}`, {
        default_type: { volume_type: 'nope' },
      }),
    ).toMatchObject({
      status: 400,
      body: fault('badRequest', 400, 'Volume type with name nope could not be found.'),
    });

    // Project B's volumes without a type, and its /types/default, get its own default.
    const inB = api.asProject(PROJECT_B);
    const volume = await inB.post('volumes', { volume: { size: 1 } });
    expect(volume.status).toBe(202);
    expect(volume.body.volume.volume_type).toBe('b-default');
    expect((await inB.get('types/default')).body.volume_type.id).toBe(id);
    // Project A keeps the global default.
    const inA = await api.post('volumes', { volume: { size: 1 } });
    expect(inA.body.volume.volume_type).toBe('__DEFAULT__');

    expect(await api.delete(`types/${id}`)).toMatchObject({
      status: 400,
      body: fault(
        'badRequest',
        400,
        `The volume type ${id} is a default volume type and cannot be deleted.`,
      ),
    });

    expect((await admin.delete(`default-types/${PROJECT_B}`)).status).toBe(204);
    expect(await admin.get(`default-types/${PROJECT_B}`)).toMatchObject({
      status: 404,
      body: fault('itemNotFound', 404, `Default type for project ${PROJECT_B} not found.`),
    });
    expect((await inB.get('types/default')).body.volume_type.name).toBe('__DEFAULT__');
  });
});
