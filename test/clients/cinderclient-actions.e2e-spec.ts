import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from '../support/cluster';
import { cinderCli, properties, requireCinderCli, table } from '../support/cinder-cli';

const GiB = 1024 ** 3;

/** A `Metadata-property | Value` table (metadata-show, image-metadata-show) as an object. */
const metadataTable = (output: string) =>
  Object.fromEntries(table(output).map((row) => [row['Metadata-property'], row.Value]));

/** python-cinderclient's volume action commands against the running services. */
describe('the real cinder CLI: volume actions', () => {
  const cluster = new Cluster([
    { name: 'cli', capacityGb: 100 },
    { name: 'cli2', capacityGb: 100 },
  ]);
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

  /** The volume's file on whichever backend holds it now. */
  async function fileOf(id: string): Promise<string> {
    const host = properties(await cinder('show', id))['os-vol-host-attr:host'];
    return join(cluster.dataDir(host.split('#')[1]), `volume-${id}`);
  }

  it('extend grows the volume and its file', async () => {
    const id = await volume('grow');
    await cinder('extend', id, '3');
    await waitShown(id, (s) => s.size === '3' && s.status === 'available');
    expect(statSync(await fileOf(id)).size).toBe(3 * GiB);
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

  it('retype (same backend, then on-demand migration) and migrate move the volume and its bytes', async () => {
    await cinder('type-create', 'cli-a');
    await cinder('type-key', 'cli-a', 'set', 'volume_backend_name=cli');
    await cinder('type-create', 'cli-b');
    await cinder('type-key', 'cli-b', 'set', 'volume_backend_name=cli2');
    await cinder('type-create', 'cli-a2');
    await cinder('type-key', 'cli-a2', 'set', 'volume_backend_name=cli');
    const { id } = properties(
      await cinder('create', '--volume-type', 'cli-a', '--name', 'mover', '1'),
    );
    await waitShown(id, (s) => s.status === 'available');
    const bytes = randomBytes(8192);
    writeFileSync(await fileOf(id), bytes, { flag: 'r+' });

    await cinder('retype', id, 'cli-a2');
    await waitShown(id, (s) => s.volume_type === 'cli-a2' && s.status === 'available');
    await cinder('retype', '--migration-policy', 'on-demand', id, 'cli-b');
    const retyped = await waitShown(
      id,
      (s) => s.volume_type === 'cli-b' && s.status === 'available',
    );
    expect(retyped['os-vol-host-attr:host']).toBe(`${cluster.serviceHost('cli2')}#cli2`);
    expect(
      readFileSync(await fileOf(id))
        .subarray(0, bytes.length)
        .equals(bytes),
    ).toBe(true);

    // os-migrate_volume needs a type both backends satisfy.
    const { id: plain } = properties(await cinder('create', '--name', 'plain', '1'));
    const shown = await waitShown(plain, (s) => s.status === 'available');
    const other = shown['os-vol-host-attr:host'].endsWith('#cli') ? 'cli2' : 'cli';
    const host = `${cluster.serviceHost(other)}#${other}`;
    await cinder('migrate', plain, host);
    const migrated = await waitShown(
      plain,
      (s) => s['os-vol-host-attr:host'] === host && s.status === 'available',
    );
    expect(migrated['os-vol-mig-status-attr:migstat']).toBe('success');
  });

  it('summary counts the volumes and their metadata', async () => {
    await cinder('create', '--name', 'counted', '--metadata', 'tier=gold', '--', '2');
    const out = properties(await v('3.36')('summary'));
    expect(Number(out.total_count)).toBeGreaterThanOrEqual(1);
    expect(Number(out.total_size)).toBeGreaterThanOrEqual(2);
    expect(out.metadata).toMatch(/tier/);
  });
});
