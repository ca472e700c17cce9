import { Cluster } from '../support/cluster';
import { properties, table } from '../support/cinder-cli';
import { glanceCli, glanceCliError, hasGlanceCli } from '../support/glance-cli';
import { GlanceClient } from '../support/glance-client';

/**
 * Issue 11: "The real `glance` client (Debian python3-glanceclient ...) for create, ... list,
 * show, update, tag, deactivate/reactivate, delete": it loads /v2/schemas/image first,
 * validates against it and builds its JSON patches from it.
 */
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const describeCli = hasGlanceCli() ? describe : describe.skip;

describeCli('python-glanceclient against glance-api: images', () => {
  const cluster = new Cluster([]);
  let glance: ReturnType<typeof glanceCli>;
  let api: GlanceClient;

  beforeAll(async () => {
    await cluster.startGlanceApi();
    glance = glanceCli(cluster, PROJECT);
    api = new GlanceClient(cluster.glanceUrl, PROJECT);
  });
  afterAll(() => cluster.stop());

  it('image-create with formats, properties and tags, then image-show', async () => {
    const created = properties(
      await glance(
        'image-create',
        '--name',
        'cirros',
        '--disk-format',
        'qcow2',
        '--container-format',
        'bare',
        '--min-ram',
        '64',
        '--tags',
        'one',
        'two',
        '--property',
        'os_distro=cirros',
        '--property',
        'hw_disk_bus=scsi',
      ),
    );
    expect(created).toMatchObject({
      name: 'cirros',
      status: 'queued',
      disk_format: 'qcow2',
      container_format: 'bare',
      min_ram: '64',
      os_distro: 'cirros',
      hw_disk_bus: 'scsi',
      owner: PROJECT,
      visibility: 'shared',
      tags: '["one", "two"]',
    });
    const shown = properties(await glance('image-show', created.id));
    expect(shown).toEqual(created);
    expect((await api.get(`/v2/images/${created.id}`)).body).toMatchObject({
      name: 'cirros',
      os_distro: 'cirros',
      tags: ['one', 'two'],
    });
  });

  it('image-list pages through next links and filters by tag and property', async () => {
    const ids: string[] = [];
    for (const name of ['list-a', 'list-b', 'list-c']) {
      ids.push(
        properties(await glance('image-create', '--name', name, '--property', 'set=listed')).id,
      );
    }
    await glance('image-tag-update', ids[1], 'picked');
    // One image a page: glanceclient follows every `next` link.
    const listed = table(
      await glance('image-list', '--page-size', '1', '--property-filter', 'set=listed'),
    );
    expect(listed.map((row) => row.Name)).toEqual(['list-a', 'list-b', 'list-c']);
    const tagged = table(
      await glance('--verbose', 'image-list', '--tag', 'picked', '--property-filter', 'set=listed'),
    );
    expect(tagged).toEqual([
      expect.objectContaining({ ID: ids[1], Name: 'list-b', Status: 'queued', Owner: PROJECT }),
    ]);
    const sorted = table(
      await glance('image-list', '--sort', 'name:desc', '--property-filter', 'set=listed'),
    );
    expect(sorted.map((row) => row.Name)).toEqual(['list-c', 'list-b', 'list-a']);
  });

  it('image-update sets and removes properties through JSON patches', async () => {
    const id = properties(await glance('image-create', '--name', 'before', '--property', 'a=1')).id;
    const updated = properties(
      await glance(
        'image-update',
        '--name',
        'after',
        '--min-disk',
        '5',
        '--property',
        'a=2',
        '--property',
        'b=3',
        '--visibility',
        'public',
        '--protected',
        'True',
        id,
      ),
    );
    expect(updated).toMatchObject({
      name: 'after',
      min_disk: '5',
      a: '2',
      b: '3',
      visibility: 'public',
      protected: 'True',
    });
    const removed = properties(await glance('image-update', '--remove-property', 'a', id));
    expect(removed).not.toHaveProperty('a');
    expect(removed).toMatchObject({ b: '3', name: 'after' });
    expect((await api.get(`/v2/images/${id}`)).body).not.toHaveProperty('a');
  });

  it('image-tag-update and image-tag-delete; a missing tag is 404', async () => {
    const id = properties(await glance('image-create', '--name', 'tags', '--tags', 'keep')).id;
    const added = table(await glance('image-tag-update', id, 'extra'));
    expect(added).toEqual([{ ID: id, Tags: "['keep', 'extra']" }]);
    await glance('image-tag-delete', id, 'keep');
    expect(properties(await glance('image-show', id)).tags).toBe('["extra"]');
    expect(await glanceCliError(glance, 'image-tag-delete', id, 'keep')).toBe(
      'exit 1: HTTP 404 Not Found: The resource could not be found.',
    );
  });

  it('image-deactivate, image-reactivate and image-delete', async () => {
    const id = properties(
      await glance(
        'image-create',
        '--name',
        'lifecycle',
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
      ),
    ).id;
    expect((await api.put(`/v2/images/${id}/file`, Buffer.from('data'))).status).toBe(204);
    await glance('image-deactivate', id);
    expect(properties(await glance('image-show', id)).status).toBe('deactivated');
    await glance('image-reactivate', id);
    expect(properties(await glance('image-show', id)).status).toBe('active');
    await glance('image-delete', id);
    expect(await glanceCliError(glance, 'image-show', id)).toBe(
      `exit 1: HTTP 404 Not Found: No image found with ID ${id}`,
    );
  });

  it("prints the server's refusals", async () => {
    expect(await glanceCliError(glance, 'image-create', '--property', 'os_glance_x=1')).toBe(
      'exit 1: HTTP 403 Forbidden: Access was denied to this resource.: Attribute &#x27;os_glance_x&#x27; is reserved.',
    );
    expect(await glanceCliError(glance, 'image-show', '00000000-0000-0000-0000-000000000000')).toBe(
      'exit 1: HTTP 404 Not Found: No image found with ID 00000000-0000-0000-0000-000000000000',
    );
    const id = properties(await glance('image-create', '--name', 'active')).id;
    await cluster.sql(`UPDATE images SET status = 'active' WHERE id = $1`, [id]);
    expect(await glanceCliError(glance, 'image-update', '--disk-format', 'raw', id)).toBe(
      'exit 1: HTTP 403 Forbidden: Attribute disk_format can be only replaced for a queued image.',
    );
  });
});
