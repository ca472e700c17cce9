import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from '../support/cluster';
import { cinderCli, properties, requireCinderCli, table } from '../support/cinder-cli';

const GiB = 1024 ** 3;

/** A `Metadata-property | Value` table (metadata-show, image-metadata-show) as an object. */
const metadataTable = (output: string) =>
  Object.fromEntries(table(output).map((row) => [row['Metadata-property'], row.Value]));

/** python-cinderclient's volume action commands against the running services. */
describe('the real cinder CLI: volume actions', () => {
  const cluster = new Cluster([{ name: 'cli', capacityGb: 100 }]);
  const cinder = cinderCli(cluster);
  const v =
    (version: string) =>
    (...args: string[]) =>
      cinder('--os-volume-api-version', version, ...args);

  beforeAll(async () => {
    requireCinderCli();
    await cluster.start();
  });
  afterAll(() => cluster.stop());

  async function volume(name: string, size = 1): Promise<string> {
    const { id } = properties(await cinder('create', '--name', name, String(size)));
    await waitShown(id, (shown) => shown.status === 'available');
    return id;
  }

  async function waitShown(id: string, done: (shown: Record<string, string>) => boolean) {
    let last: Record<string, string> = {};
    await cluster.waitFor(
      async () => done((last = properties(await cinder('show', id)))),
      20_000,
      () => `volume ${id} never got there; last: ${JSON.stringify(last)}`,
    );
    return last;
  }

  it('extend grows the volume and its file', async () => {
    const id = await volume('grow');
    await cinder('extend', id, '3');
    await waitShown(id, (s) => s.size === '3' && s.status === 'available');
    expect(statSync(join(cluster.dataDir('cli'), `volume-${id}`)).size).toBe(3 * GiB);
  });

  it('metadata set, show, update-all and unset', async () => {
    const id = await volume('meta');
    await cinder('metadata', id, 'set', 'a=1', 'b=2');
    expect(metadataTable(await cinder('metadata-show', id))).toEqual({ a: '1', b: '2' });
    // From 3.15 the client unsets by a PUT of the rest, guarded by the ETag.
    await v('3.15')('metadata', id, 'unset', 'a');
    expect(metadataTable(await cinder('metadata-show', id))).toEqual({ b: '2' });
    await cinder('metadata-update-all', id, 'c=3');
    expect(metadataTable(await cinder('metadata-show', id))).toEqual({ c: '3' });
    await cinder('metadata', id, 'unset', 'c');
    expect(metadataTable(await cinder('metadata-show', id))).toEqual({});
  });

  it('set-bootable and readonly-mode-update', async () => {
    const id = await volume('flags');
    await cinder('set-bootable', id, 'true');
    expect(properties(await cinder('show', id)).bootable).toBe('true');
    await cinder('readonly-mode-update', id, 'True');
    const conn = await v('3.54')(
      'attachment-create',
      '--connect',
      'True',
      '--initiator',
      'iqn.cli',
      '--ip',
      '127.0.0.1',
      '--host',
      'cli-host',
      '--mode',
      'rw',
      id,
      '11111111-2222-3333-4444-555555555555',
    );
    expect(conn).toMatch(/access_mode\W+ro/);
  });

  it('image-metadata set, show and unset', async () => {
    const id = await volume('image');
    await cinder('image-metadata', id, 'set', 'image_name=cirros', 'min_ram=64');
    expect(metadataTable(await cinder('image-metadata-show', id))).toEqual({
      image_name: 'cirros',
      min_ram: '64',
    });
    expect(properties(await cinder('show', id)).volume_image_metadata).toMatch(
      /image_name : cirros/,
    );
    await cinder('image-metadata', id, 'unset', 'min_ram');
    expect(metadataTable(await cinder('image-metadata-show', id))).toEqual({
      image_name: 'cirros',
    });
  });

  it('summary counts the volumes and their metadata', async () => {
    await cinder('create', '--name', 'counted', '--metadata', 'tier=gold', '--', '2');
    const out = properties(await v('3.36')('summary'));
    expect(Number(out.total_count)).toBeGreaterThanOrEqual(1);
    expect(Number(out.total_size)).toBeGreaterThanOrEqual(2);
    expect(out.metadata).toMatch(/tier/);
  });
});
