import { Cluster } from '../support/cluster';
import { CLI_PROJECT, cinderCli, properties, requireCinderCli, table } from '../support/cinder-cli';
import { openstackNoauth, requireOpenstackCli } from '../support/openstack-cli';

const OTHER_PROJECT = '0123456789abcdef0123456789abcdef';

/**
 * python-cinderclient's volume type commands beyond create/list (issue 14), and
 * python-openstackclient's `volume type set/show/unset`, against the running services.
 */
describe('the real cinder CLI: volume types', () => {
  const cluster = new Cluster([{ name: 'cli', capacityGb: 100 }]);
  const cinder = cinderCli(cluster);
  const openstack = openstackNoauth(cluster, { project: CLI_PROJECT });

  beforeAll(async () => {
    requireCinderCli();
    requireOpenstackCli();
    await cluster.start();
  });
  afterAll(() => cluster.stop());

  it('type-update, type-key set/unset', async () => {
    // type-update takes the id (cinderclient does not look the name up).
    const [created] = table(await cinder('type-create', 'cli-type'));
    const [updated] = table(
      await cinder('type-update', '--name', 'cli-type-2', '--description', 'desc', created.ID),
    );
    expect(updated).toMatchObject({ Name: 'cli-type-2', Description: 'desc' });
    await cinder('type-key', 'cli-type-2', 'set', 'a=1', 'b=2');
    await cinder('type-key', 'cli-type-2', 'unset', 'a');
    // cinderclient prints each spec as `key : value`.
    expect(properties(await cinder('type-show', 'cli-type-2')).extra_specs).toBe('b : 2');
  });

  it('type-access-add, type-access-list, type-access-remove', async () => {
    await cinder('type-create', '--is-public', 'false', 'cli-private');
    await cinder('type-access-add', '--volume-type', 'cli-private', '--project-id', OTHER_PROJECT);
    const rows = table(await cinder('type-access-list', '--volume-type', 'cli-private'));
    expect(rows.map((r) => r.Project_ID)).toEqual([OTHER_PROJECT]);
    await cinder(
      'type-access-remove',
      '--volume-type',
      'cli-private',
      '--project-id',
      OTHER_PROJECT,
    );
    expect(table(await cinder('type-access-list', '--volume-type', 'cli-private'))).toEqual([]);
  });

  it('encryption-type-create, -show, -update, -delete', async () => {
    await cinder('type-create', 'cli-encrypted');
    await cinder(
      'encryption-type-create',
      '--cipher',
      'aes-xts-plain64',
      '--key-size',
      '256',
      '--control-location',
      'front-end',
      'cli-encrypted',
      'luks',
    );
    expect(table(await cinder('encryption-type-show', 'cli-encrypted'))[0]).toMatchObject({
      Provider: 'luks',
      Cipher: 'aes-xts-plain64',
      'Key Size': '256',
      'Control Location': 'front-end',
    });
    await cinder('encryption-type-update', '--key-size', '512', 'cli-encrypted');
    expect(table(await cinder('encryption-type-show', 'cli-encrypted'))[0]).toMatchObject({
      'Key Size': '512',
    });
    await cinder('encryption-type-delete', 'cli-encrypted');
    expect(table(await cinder('encryption-type-show', 'cli-encrypted'))).toEqual([]);
  });

  it('default-type-set, -list, -unset (3.62)', async () => {
    const v = ['--os-volume-api-version', '3.62'];
    await cinder('type-create', 'cli-default');
    const typeId = properties(await cinder('type-show', 'cli-default')).id;
    await cinder(...v, 'default-type-set', 'cli-default', OTHER_PROJECT);
    expect(table(await cinder(...v, 'default-type-list'))).toContainEqual({
      'Volume Type ID': typeId,
      'Project ID': OTHER_PROJECT,
    });
    // One project's default prints as a Property/Value table.
    expect(
      properties(await cinder(...v, 'default-type-list', '--project-id', OTHER_PROJECT)),
    ).toEqual({ project_id: OTHER_PROJECT, volume_type_id: typeId });
    await cinder(...v, 'default-type-unset', OTHER_PROJECT);
    expect(table(await cinder(...v, 'default-type-list'))).toEqual([]);
  });

  // `--project` (type access) is left out: openstack looks the project up in Keystone first.
  it('openstack volume type set, show, unset', async () => {
    await openstack('volume', 'type', 'create', '--private', 'osc-type');
    await cinder('type-access-add', '--volume-type', 'osc-type', '--project-id', OTHER_PROJECT);
    await openstack(
      'volume',
      'type',
      'set',
      '--description',
      'from osc',
      '--property',
      'k=v',
      '--name',
      'osc-type-2',
      'osc-type',
    );
    const shown = JSON.parse(await openstack('volume', 'type', 'show', 'osc-type-2', '-f', 'json'));
    expect(shown).toMatchObject({ name: 'osc-type-2', description: 'from osc', is_public: false });
    expect(JSON.stringify(shown.properties)).toContain('k');
    expect(JSON.stringify(shown.access_project_ids)).toContain(OTHER_PROJECT);
    await openstack('volume', 'type', 'unset', '--property', 'k', 'osc-type-2');
    const after = JSON.parse(await openstack('volume', 'type', 'show', 'osc-type-2', '-f', 'json'));
    expect(JSON.stringify(after.properties)).not.toContain('k');

    // An encryption type through openstack (6.0's `volume type set` has no --public/--private).
    await openstack(
      'volume',
      'type',
      'set',
      '--encryption-provider',
      'luks',
      '--encryption-cipher',
      'aes-xts-plain64',
      '--encryption-key-size',
      '256',
      '--encryption-control-location',
      'front-end',
      'osc-type-2',
    );
    const encrypted = JSON.parse(
      await openstack('volume', 'type', 'show', '--encryption-type', 'osc-type-2', '-f', 'json'),
    );
    expect(JSON.stringify(encrypted.encryption)).toContain('aes-xts-plain64');
    await openstack('volume', 'type', 'unset', '--encryption-type', 'osc-type-2');
    const plain = JSON.parse(
      await openstack('volume', 'type', 'show', '--encryption-type', 'osc-type-2', '-f', 'json'),
    );
    expect(JSON.stringify(plain.encryption ?? {})).not.toContain('luks');
  });
});
