/* eslint-disable @typescript-eslint/no-explicit-any -- API bodies are JSON the test picks apart */
import { randomUUID } from 'node:crypto';
import { ApiClient } from '../support/api-client';
import { Cluster } from '../support/cluster';
import { CLI_PROJECT, cinderCli, properties, requireCinderCli, table } from '../support/cinder-cli';
import { openstackNoauth } from '../support/openstack-cli';

/**
 * Issue 14, "QoS specs: create/list/show/delete, set/unset keys, associate/disassociate with
 * types, associations; consumer front-end/back-end/both; the specs appear in the attachment's
 * connection info the way Cinder passes them": the API with Cinder's answers, the effect on an
 * attachment, and the real `cinder qos-*` and `openstack volume qos` commands.
 */
describe('QoS specs (qos-specs)', () => {
  const cluster = new Cluster([{ name: 'qos', capacityGb: 100 }]);
  const cinder = cinderCli(cluster);
  let api: ApiClient;

  beforeAll(async () => {
    requireCinderCli();
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, CLI_PROJECT);
  });
  afterAll(() => cluster.stop());

  const put = (path: string, body: unknown) => api.request('PUT', path, body);
  const createType = async (name: string) =>
    (await api.post('types', { volume_type: { name } })).body.volume_type.id as string;

  it("creates, shows, lists, sets and unsets keys with Cinder's shapes and codes", async () => {
    const created = await api.post('qos-specs', {
      qos_specs: { name: 'gold', consumer: 'front-end', total_iops_sec: '1000' },
    });
    expect(created.status).toBe(200);
    const id = created.body.qos_specs.id as string;
    expect(created.body).toEqual({
      qos_specs: { id, name: 'gold', consumer: 'front-end', specs: { total_iops_sec: '1000' } },
      links: [
        { href: `${cluster.apiUrl}/v3/${CLI_PROJECT}/qos-specs/${id}`, rel: 'self' },
        { href: `${cluster.apiUrl}/${CLI_PROJECT}/qos-specs/${id}`, rel: 'bookmark' },
      ],
    });
    expect((await api.get(`qos-specs/${id}`)).body.qos_specs.specs).toEqual({
      total_iops_sec: '1000',
    });
    expect((await api.get('qos-specs')).body.qos_specs).toContainEqual({
      id,
      name: 'gold',
      consumer: 'front-end',
      specs: { total_iops_sec: '1000' },
    });
    // without a consumer: back-end
    const plain = await api.post('qos-specs', { qos_specs: { name: 'plain' } });
    expect(plain.body.qos_specs).toMatchObject({ consumer: 'back-end', specs: {} });

    // refusals
    const duplicate = await api.post('qos-specs', { qos_specs: { name: 'gold' } });
    expect([duplicate.status, duplicate.body]).toEqual([
      409,
      { conflictingRequest: { code: 409, message: 'QoS Specs gold already exists.' } },
    ]);
    const consumer = await api.post('qos-specs', { qos_specs: { name: 'x', consumer: 'fast' } });
    expect(consumer.status).toBe(400);
    expect(consumer.body.badRequest.message).toMatch(
      /^Invalid qos specs: Valid consumer of QoS specs are: .*'back-end', 'front-end', 'both'/,
    );
    expect((await api.post('qos-specs', { qos_specs: {} })).body.badRequest.message).toBe(
      "'name' is a required property",
    );
    const unknown = randomUUID();
    expect((await api.get(`qos-specs/${unknown}`)).body).toEqual({
      itemNotFound: { code: 404, message: `No such QoS spec ${unknown}.` },
    });

    // set: merged, the consumer changed, the body echoed
    const set = await put(`qos-specs/${id}`, {
      qos_specs: { consumer: 'both', read_bytes_sec: '2048' },
    });
    expect([set.status, set.body]).toEqual([
      200,
      { qos_specs: { consumer: 'both', read_bytes_sec: '2048' } },
    ]);
    expect((await api.get(`qos-specs/${id}`)).body.qos_specs).toMatchObject({
      consumer: 'both',
      specs: { total_iops_sec: '1000', read_bytes_sec: '2048' },
    });
    // unset: 202; a key it lacks is a 404 (the ones before it are removed)
    expect((await put(`qos-specs/${id}/delete_keys`, { keys: ['read_bytes_sec'] })).status).toBe(
      202,
    );
    const missing = await put(`qos-specs/${id}/delete_keys`, {
      keys: ['total_iops_sec', 'nope'],
    });
    expect([missing.status, missing.body.itemNotFound?.message]).toEqual([
      404,
      `QoS spec ${id} has no spec with key nope.`,
    ]);
    expect((await api.get(`qos-specs/${id}`)).body.qos_specs.specs).toEqual({});
  });

  it('associates with types (one QoS per type), lists associations, deletes only unused unless forced', async () => {
    const id = (await api.post('qos-specs', { qos_specs: { name: 'silver' } })).body.qos_specs
      .id as string;
    const other = (await api.post('qos-specs', { qos_specs: { name: 'bronze' } })).body.qos_specs
      .id as string;
    const typeId = await createType('with-silver');

    expect((await api.get(`qos-specs/${id}/associate`)).body).toEqual({
      badRequest: { code: 400, message: 'Volume Type id must not be None.' },
    });
    const ghost = randomUUID();
    expect((await api.get(`qos-specs/${id}/associate?vol_type_id=${ghost}`)).body).toEqual({
      itemNotFound: { code: 404, message: `Volume type ${ghost} could not be found.` },
    });
    expect((await api.get(`qos-specs/${id}/associate?vol_type_id=${typeId}`)).status).toBe(202);
    expect((await api.get(`qos-specs/${id}/associations`)).body).toEqual({
      qos_associations: [{ association_type: 'volume_type', name: 'with-silver', id: typeId }],
    });
    expect((await api.get(`types/${typeId}`)).body.volume_type.qos_specs_id).toBe(id);
    const taken = await api.get(`qos-specs/${other}/associate?vol_type_id=${typeId}`);
    expect(taken.body).toEqual({
      badRequest: {
        code: 400,
        message: `Invalid volume type: Type ${typeId} is already associated with another qos specs: ${id}`,
      },
    });

    const inUse = await api.delete(`qos-specs/${id}`);
    expect([inUse.status, inUse.body]).toEqual([
      400,
      { badRequest: { code: 400, message: 'Qos specs still in use.' } },
    ]);
    expect((await api.get(`qos-specs/${id}/disassociate?vol_type_id=${typeId}`)).status).toBe(202);
    expect((await api.get(`types/${typeId}`)).body.volume_type.qos_specs_id).toBeNull();
    await api.get(`qos-specs/${id}/associate?vol_type_id=${typeId}`);
    expect((await api.delete(`qos-specs/${id}?force=True`)).status).toBe(202);
    expect((await api.get(`types/${typeId}`)).body.volume_type.qos_specs_id).toBeNull();
    expect((await api.get(`qos-specs/${id}`)).status).toBe(404);
    expect((await api.delete(`qos-specs/${other}?force=maybe`)).body.badRequest.message).toBe(
      "Value 'maybe' for 'force' is not a boolean.",
    );
  });

  it("puts a front-end QoS in the attachment's connection info (per-GB limits sized), never a back-end one", async () => {
    const frontEnd = (
      await api.post('qos-specs', {
        qos_specs: {
          name: 'per-gb',
          consumer: 'front-end',
          read_iops_sec: '500',
          total_iops_sec_per_gb: '30',
          total_iops_sec_per_gb_min: '100',
          total_bytes_sec_per_gb: '1000',
          total_bytes_sec_max: '2500',
        },
      })
    ).body.qos_specs.id as string;
    const backEnd = (await api.post('qos-specs', { qos_specs: { name: 'array', iops: '9' } })).body
      .qos_specs.id as string;
    const v = api.withVersion('3.54');
    async function connectionOf(qosId: string, size: number) {
      const typeName = `t-${randomUUID().slice(0, 8)}`;
      const typeId = await createType(typeName);
      await api.get(`qos-specs/${qosId}/associate?vol_type_id=${typeId}`);
      const volume = await v.post('volumes', { volume: { size, volume_type: typeName } });
      const volumeId = volume.body.volume.id as string;
      await api.waitForVolume(volumeId, (vol) => vol?.status === 'available');
      const attachment = await v.post('attachments', {
        attachment: {
          volume_uuid: volumeId,
          instance_uuid: randomUUID(),
          connector: { host: 'compute-1', initiator: 'iqn.2026-12.test:c1' },
        },
      });
      expect(attachment.status).toBe(200);
      return attachment.body.attachment.connection_info as Record<string, any>;
    }
    // 2 GiB: 30/GB → 60, raised to the 100 minimum; 1000/GB → 2000, under the 2500 maximum
    expect((await connectionOf(frontEnd, 2)).qos_specs).toEqual({
      read_iops_sec: '500',
      total_iops_sec: 100,
      total_bytes_sec: 2000,
    });
    // 5 GiB: 150 IOPS; 5000 capped at 2500
    expect((await connectionOf(frontEnd, 5)).qos_specs).toMatchObject({
      total_iops_sec: 150,
      total_bytes_sec: 2500,
    });
    expect((await connectionOf(backEnd, 1)).qos_specs).toBeNull();
  });

  it('the real cinder CLI: qos-create, qos-list, qos-show, qos-key, qos-associate, qos-get-association, qos-disassociate(-all), qos-delete', async () => {
    const created = properties(
      await cinder('qos-create', 'cli-qos', 'consumer=front-end', 'read_iops_sec=200'),
    );
    expect(created).toMatchObject({ name: 'cli-qos', consumer: 'front-end' });
    expect(created.specs).toContain('read_iops_sec : 200');
    const id = created.id;
    expect(table(await cinder('qos-list')).map((row) => row.Name)).toContain('cli-qos');
    await cinder('qos-key', id, 'set', 'write_iops_sec=300');
    await cinder('qos-key', id, 'unset', 'read_iops_sec');
    const shown = properties(await cinder('qos-show', id));
    expect(shown.specs).toContain('write_iops_sec : 300');
    expect(shown.specs).not.toContain('read_iops_sec');

    const typeId = await createType('cli-qos-type');
    await cinder('qos-associate', id, typeId);
    expect(table(await cinder('qos-get-association', id))).toEqual([
      { Association_Type: 'volume_type', Name: 'cli-qos-type', ID: typeId },
    ]);
    await cinder('qos-disassociate', id, typeId);
    expect(table(await cinder('qos-get-association', id))).toEqual([]);
    await cinder('qos-associate', id, typeId);
    await cinder('qos-disassociate-all', id);
    expect(table(await cinder('qos-get-association', id))).toEqual([]);
    await cinder('qos-associate', id, typeId);
    await cinder('qos-delete', '--force', 'True', id);
    expect(table(await cinder('qos-list')).map((row) => row.Name)).not.toContain('cli-qos');
  });

  it('the real openstack CLI: volume qos create, list, show, set, unset, associate, disassociate, delete', async () => {
    const openstack = openstackNoauth(cluster, { project: CLI_PROJECT });
    const json = async (...args: string[]) => JSON.parse(await openstack(...args, '-f', 'json'));
    const created = await json(
      'volume',
      'qos',
      'create',
      '--consumer',
      'both',
      '--property',
      'total_iops_sec=700',
      'osc-qos',
    );
    expect(created).toMatchObject({ name: 'osc-qos', consumer: 'both' });
    expect((await json('volume', 'qos', 'list')).map((q: any) => q.Name)).toContain('osc-qos');
    await openstack('volume', 'qos', 'set', '--property', 'read_iops_sec=5', 'osc-qos');
    await openstack('volume', 'qos', 'unset', '--property', 'total_iops_sec', 'osc-qos');
    expect((await json('volume', 'qos', 'show', 'osc-qos')).properties).toEqual({
      read_iops_sec: '5',
    });
    await createType('osc-qos-type');
    await openstack('volume', 'qos', 'associate', 'osc-qos', 'osc-qos-type');
    expect((await json('volume', 'qos', 'show', 'osc-qos')).associations).toEqual(['osc-qos-type']);
    await openstack('volume', 'qos', 'disassociate', '--volume-type', 'osc-qos-type', 'osc-qos');
    await openstack('volume', 'qos', 'delete', 'osc-qos');
    expect((await json('volume', 'qos', 'list')).map((q: any) => q.Name)).not.toContain('osc-qos');
  });
});
