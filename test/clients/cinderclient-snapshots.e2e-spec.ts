import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from '../support/cluster';
import {
  cinderCli,
  CLI_PROJECT as PROJECT,
  properties,
  requireCinderCli,
  table,
} from '../support/cinder-cli';

/** python-cinderclient's snapshot commands against the running services. */
describe('the real cinder CLI: snapshots', () => {
  const cluster = new Cluster([{ name: 'cli', capacityGb: 100 }]);
  const cinder = cinderCli(cluster);

  beforeAll(async () => {
    requireCinderCli();
    await cluster.start();
  });
  afterAll(() => cluster.stop());

  async function availableVolume(name: string): Promise<string> {
    const created = properties(await cinder('create', '--name', name, '1'));
    await cluster.waitFor(
      async () =>
        table(await cinder('list')).some((r) => r.ID === created.id && r.Status === 'available'),
      20_000,
      () => `volume ${name} never became available`,
    );
    return created.id;
  }

  async function snapshotStatus(id: string): Promise<string | undefined> {
    return table(await cinder('snapshot-list')).find((r) => r.ID === id)?.Status;
  }

  it('snapshot-create, -list, -show, -rename, -metadata, -reset-state, -delete', async () => {
    const volumeId = await availableVolume('snapped');
    const created = properties(
      await cinder('snapshot-create', '--name', 'snap-1', '--metadata', 'a=1', '--', 'snapped'),
    );
    expect(created).toMatchObject({
      name: 'snap-1',
      volume_id: volumeId,
      status: 'creating',
      size: '1',
    });
    const id = created.id;
    await cluster.waitFor(
      async () => (await snapshotStatus(id)) === 'available',
      20_000,
      () => 'the snapshot never showed as available in snapshot-list',
    );
    expect(table(await cinder('snapshot-list'))).toEqual([
      expect.objectContaining({
        ID: id,
        'Volume ID': volumeId,
        Status: 'available',
        Name: 'snap-1',
        Size: '1',
      }),
    ]);
    expect(existsSync(join(cluster.dataDir('cli'), `snapshot-${id}`))).toBe(true);

    const shown = properties(await cinder('snapshot-show', 'snap-1'));
    expect(shown).toMatchObject({
      id,
      name: 'snap-1',
      status: 'available',
      'os-extended-snapshot-attributes:project_id': PROJECT,
      'os-extended-snapshot-attributes:progress': '100%',
    });
    expect(shown.metadata).toContain("'a': '1'");

    await cinder('snapshot-rename', id, 'snap-renamed', '--description', 'described');
    expect(properties(await cinder('snapshot-show', id))).toMatchObject({
      name: 'snap-renamed',
      description: 'described',
    });

    await cinder('snapshot-metadata', id, 'set', 'b=2', 'c=3');
    await cinder('snapshot-metadata', id, 'unset', 'a');
    const metadata = table(await cinder('snapshot-metadata-show', id));
    expect(metadata).toEqual([
      { 'Metadata-property': 'b', Value: '2' },
      { 'Metadata-property': 'c', Value: '3' },
    ]);

    await cinder('snapshot-reset-state', '--state', 'error', id);
    expect(await snapshotStatus(id)).toBe('error');

    const deleted = await cinder('snapshot-delete', id);
    expect(deleted).toBe('');
    await cluster.waitFor(
      async () => (await snapshotStatus(id)) === undefined,
      20_000,
      () => 'the snapshot never left snapshot-list',
    );
    expect(existsSync(join(cluster.dataDir('cli'), `snapshot-${id}`))).toBe(false);
  });

  it('delete refuses a volume with snapshots; delete --cascade removes both', async () => {
    const volumeId = await availableVolume('cascaded');
    const snap = properties(await cinder('snapshot-create', '--name', 'snap-c', volumeId));
    await cluster.waitFor(
      async () => (await snapshotStatus(snap.id)) === 'available',
      20_000,
      () => 'the snapshot never became available',
    );

    const refused = await cinder('delete', volumeId).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    expect(refused).toContain(
      `Delete for volume ${volumeId} failed: Invalid volume: Volume status must be available or error`,
    );
    expect(refused).toContain('have snapshots');

    const accepted = await cinder('delete', '--cascade', volumeId);
    expect(accepted).toContain(`Request to delete volume ${volumeId} has been accepted.`);
    await cluster.waitFor(
      async () =>
        !table(await cinder('list')).some((r) => r.ID === volumeId) &&
        (await snapshotStatus(snap.id)) === undefined,
      20_000,
      () => 'the volume or its snapshot never went away',
    );
    expect(existsSync(join(cluster.dataDir('cli'), `snapshot-${snap.id}`))).toBe(false);
    expect(existsSync(join(cluster.dataDir('cli'), `volume-${volumeId}`))).toBe(false);
  });

  it('snapshot-delete --force on a snapshot stuck creating', async () => {
    const volumeId = await availableVolume('forced');
    const snap = properties(await cinder('snapshot-create', volumeId));
    await cluster.waitFor(
      async () => (await snapshotStatus(snap.id)) === 'available',
      20_000,
      () => 'the snapshot never became available',
    );
    await cinder('snapshot-reset-state', '--state', 'creating', snap.id);
    const refused = await cinder('snapshot-delete', snap.id).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    expect(refused).toContain(
      `Delete for snapshot ${snap.id} failed: Invalid snapshot: Snapshot status must be available or error and must not be part of a group. (HTTP 400)`,
    );
    await cinder('snapshot-delete', '--force', snap.id);
    await cluster.waitFor(
      async () => (await snapshotStatus(snap.id)) === undefined,
      20_000,
      () => 'the forced delete never finished',
    );
  });
});
