import { Cluster } from '../support/cluster';
import { CLI_PROJECT, cinderCli, requireCinderCli, table } from '../support/cinder-cli';

/** python-cinderclient's quota and limit commands against the running services (issue 13). */
describe('the real cinder CLI: limits', () => {
  const cluster = new Cluster(
    [{ name: 'cli', capacityGb: 100 }],
    {},
    {
      apiEnv: {
        QUOTA_VOLUMES: '5',
        QUOTA_GIGABYTES: '50',
        // Cinder's defaults (the cluster's base env lifts them for tests predating quotas).
        QUOTA_SNAPSHOTS: '10',
        QUOTA_BACKUPS: '10',
        QUOTA_BACKUP_GIGABYTES: '1000',
      },
    },
  );
  const cinder = cinderCli(cluster);

  beforeAll(async () => {
    requireCinderCli();
    await cluster.start();
  });
  afterAll(() => cluster.stop());

  it('absolute-limits shows the limits and what the project uses', async () => {
    await cinder('create', '--name', 'q1', '2');
    const rows = Object.fromEntries(
      table(await cinder('absolute-limits')).map((row) => [row.Name, row.Value]),
    );
    expect(rows).toEqual({
      maxTotalVolumes: '5',
      maxTotalVolumeGigabytes: '50',
      maxTotalSnapshots: '10',
      maxTotalBackups: '10',
      maxTotalBackupGigabytes: '1000',
      totalVolumesUsed: '1',
      totalGigabytesUsed: '2',
      totalSnapshotsUsed: '0',
      totalBackupsUsed: '0',
      totalBackupGigabytesUsed: '0',
    });
  });

  it('quota-show, quota-defaults and quota-usage', async () => {
    const byProperty = (output: string) =>
      Object.fromEntries(table(output).map((row) => [row.Property, row.Value]));
    expect(byProperty(await cinder('quota-defaults', CLI_PROJECT))).toMatchObject({
      volumes: '5',
      gigabytes: '50',
      snapshots: '10',
      per_volume_gigabytes: '-1',
    });
    expect(byProperty(await cinder('quota-show', CLI_PROJECT))).toMatchObject({
      volumes: '5',
      gigabytes: '50',
    });
    const usage = Object.fromEntries(
      table(await cinder('quota-usage', CLI_PROJECT)).map((row) => [row.Type, row]),
    );
    expect(usage.volumes).toMatchObject({ In_use: '1', Reserved: '0', Limit: '5' });
    expect(usage.gigabytes).toMatchObject({ In_use: '2', Reserved: '0', Limit: '50' });
  });
});
