import { Cluster } from '../support/cluster';
import { cinderCli, requireCinderCli, table } from '../support/cinder-cli';

/** python-cinderclient's quota and limit commands against the running services (issue 13). */
describe('the real cinder CLI: limits', () => {
  const cluster = new Cluster(
    [{ name: 'cli', capacityGb: 100 }],
    {},
    {
      apiEnv: { QUOTA_VOLUMES: '5', QUOTA_GIGABYTES: '50' },
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
});
