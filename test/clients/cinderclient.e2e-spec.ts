import { Cluster } from '../support/cluster';
import {
  cinderCli,
  CLI_PROJECT as PROJECT,
  properties,
  requireCinderCli,
  table,
} from '../support/cinder-cli';

/** python-cinderclient from Debian, against the running API, as a user would type it. */
describe('the real cinder CLI', () => {
  const cluster = new Cluster([{ name: 'cli', capacityGb: 100 }]);

  const cinder = cinderCli(cluster);

  beforeAll(async () => {
    requireCinderCli();
    await cluster.start();
  });
  afterAll(() => cluster.stop());

  it('create, list, show and delete work and print what Cinder would', async () => {
    const created = properties(await cinder('create', '--name', 'from-cli', '2'));
    expect(created).toMatchObject({
      name: 'from-cli',
      size: '2',
      status: 'creating',
      volume_type: '__DEFAULT__',
    });
    const id = created.id;

    await cluster.waitFor(
      async () =>
        table(await cinder('list')).some((row) => row.ID === id && row.Status === 'available'),
      20_000,
      () => 'the volume never showed as available in cinder list',
    );
    expect(table(await cinder('list'))).toEqual([
      expect.objectContaining({
        ID: id,
        Status: 'available',
        Name: 'from-cli',
        Size: '2',
        'Volume Type': '__DEFAULT__',
        Bootable: 'false',
      }),
    ]);

    const shown = properties(await cinder('show', 'from-cli'));
    expect(shown).toMatchObject({
      id,
      status: 'available',
      size: '2',
      'os-vol-host-attr:host': `${cluster.serviceHost('cli')}#cli`,
      'os-vol-tenant-attr:tenant_id': PROJECT,
    });

    const deleted = await cinder('delete', id);
    expect(deleted).toContain(`Request to delete volume ${id} has been accepted.`);
    await cluster.waitFor(
      async () => table(await cinder('list')).length === 0,
      20_000,
      () => 'the volume never left cinder list',
    );
  });

  it('attachment-create, attachment-list, attachment-show and attachment-delete', async () => {
    const volume = properties(await cinder('create', '--name', 'to-attach', '1'));
    await cluster.waitFor(
      async () =>
        table(await cinder('list')).some((r) => r.ID === volume.id && r.Status === 'available'),
      20_000,
      () => 'the volume never became available',
    );
    const server = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const v = ['--os-volume-api-version', '3.54'];
    const reserved = properties(await cinder(...v, 'attachment-create', volume.id, server));
    expect(reserved).toMatchObject({ status: 'reserved', instance: server, volume_id: volume.id });

    const connected = properties(
      await cinder(
        ...v,
        'attachment-update',
        '--initiator',
        'iqn.2026-11.test:c1',
        '--ip',
        '127.0.0.1',
        '--host',
        'compute-1',
        '--mountpoint',
        '/dev/vdb',
        reserved.id,
      ),
    );
    expect(connected).toMatchObject({
      driver_volume_type: 'local',
      volume_id: volume.id,
      attachment_id: reserved.id,
    });

    expect(table(await cinder(...v, 'attachment-list'))).toEqual([
      { ID: reserved.id, 'Volume ID': volume.id, Status: 'attaching', 'Server ID': server },
    ]);
    await cinder(...v, 'attachment-complete', reserved.id);
    expect(properties(await cinder(...v, 'attachment-show', reserved.id))).toMatchObject({
      status: 'attached',
    });
    expect(properties(await cinder('show', volume.id))).toMatchObject({ status: 'in-use' });

    await cinder(...v, 'attachment-delete', reserved.id);
    expect(table(await cinder(...v, 'attachment-list'))).toEqual([]);
    expect(properties(await cinder('show', volume.id))).toMatchObject({ status: 'available' });
  });

  it('backup-create, backup-list, backup-restore and backup-delete', async () => {
    const volume = properties(await cinder('create', '--name', 'to-back-up', '1'));
    await cluster.waitFor(
      async () =>
        table(await cinder('list')).some((r) => r.ID === volume.id && r.Status === 'available'),
      20_000,
      () => 'the volume never became available',
    );
    const created = properties(await cinder('backup-create', '--name', 'nightly', volume.id));
    expect(created).toMatchObject({ name: 'nightly', volume_id: volume.id });
    await cluster.waitFor(
      async () =>
        table(await cinder('backup-list')).some(
          (r) => r.ID === created.id && r.Status === 'available',
        ),
      30_000,
      () => 'the backup never became available',
    );
    expect(table(await cinder('backup-list'))).toEqual([
      expect.objectContaining({
        ID: created.id,
        'Volume ID': volume.id,
        Status: 'available',
        Name: 'nightly',
        Size: '1',
      }),
    ]);
    const restore = properties(await cinder('backup-restore', '--volume', volume.id, created.id));
    expect(restore).toMatchObject({
      backup_id: created.id,
      volume_id: volume.id,
      volume_name: 'to-back-up',
    });
    await cluster.waitFor(
      async () => properties(await cinder('show', volume.id)).status === 'available',
      30_000,
      () => 'the restore never finished',
    );
    // 3.47: a new volume made from the backup.
    const fromBackup = properties(
      await cinder(
        '--os-volume-api-version',
        '3.47',
        'create',
        '--backup-id',
        created.id,
        '--name',
        'from-nightly',
      ),
    );
    expect(fromBackup).toMatchObject({ name: 'from-nightly', size: '1', status: 'creating' });
    await cluster.waitFor(
      async () => properties(await cinder('show', fromBackup.id!)).status === 'available',
      30_000,
      () => 'the volume from the backup never became available',
    );
    expect(await cinder('backup-delete', created.id)).toContain(
      `Request to delete backup ${created.id} has been accepted.`,
    );
    await cluster.waitFor(
      async () => table(await cinder('backup-list')).length === 0,
      30_000,
      () => 'the backup never left backup-list',
    );
  });

  it("reports a bad request with Cinder's message and code", async () => {
    await expect(cinder('create', '--availability-zone', 'mars', '1')).rejects.toMatchObject({
      stderr: expect.stringContaining("Availability zone 'mars' is invalid. (HTTP 400)"),
    });
  });
});
