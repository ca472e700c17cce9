import { ApiClient } from '../support/api-client';
import { Cluster } from '../support/cluster';
import { cinderCli, CLI_PROJECT, properties, requireCinderCli } from '../support/cinder-cli';

const POSIX = 'cinder.backup.drivers.posix.PosixBackupDriver';

/** python-cinderclient's backup commands against the running API, as an admin would type them. */
describe('the real cinder CLI on backups', () => {
  const cluster = new Cluster([{ name: 'cli', capacityGb: 100 }]);
  const cli = cinderCli(cluster);
  /** The CLI at a microversion. */
  const cinder = (version: string, ...args: string[]) =>
    cli('--os-volume-api-version', version, ...args);
  let api: ApiClient;

  beforeAll(async () => {
    requireCinderCli();
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, CLI_PROJECT, 'cli-user').withVersion('3.64');
  });
  afterAll(() => cluster.stop());

  async function volume(name: string): Promise<string> {
    const res = await api.post('volumes', { volume: { size: 1, name } });
    const id = res.body.volume.id as string;
    await api.waitForVolume(id, (v) => v?.status === 'available');
    return id;
  }

  async function backupStatus(id: string, done: (status: string | null) => boolean) {
    let last: string | null = null;
    await cluster.waitFor(
      async () => {
        const res = await api.get(`backups/${id}`);
        last = res.status === 404 ? null : (res.body.backup.status as string);
        return done(last);
      },
      60_000,
      () => `backup ${id} never got there; last status ${String(last)}`,
    );
  }

  it('backup-create with metadata, backup-update, backup-reset-state', async () => {
    const v = await volume('cli-source');
    const created = properties(
      await cinder('3.43', 'backup-create', '--name', 'nightly', '--metadata', 'tier=gold', v),
    );
    expect(created).toMatchObject({ name: 'nightly', volume_id: v });
    const id = created.id;
    await backupStatus(id, (s) => s === 'available');

    expect(
      await cinder('3.43', 'backup-update', '--name', 'weekly', '--description', 'kept', id),
    ).toContain(`Request to update backup '${id}' has been accepted.`);
    expect(await cinder('3.43', 'backup-update', '--metadata', 'tier=silver', 'k=v', id)).toContain(
      `Request to update backup '${id}' has been accepted.`,
    );
    const shown = properties(await cinder('3.56', 'backup-show', id));
    expect(shown).toMatchObject({
      name: 'weekly',
      description: 'kept',
      status: 'available',
      user_id: 'cli-user',
      'os-backup-project-attr:project_id': CLI_PROJECT,
    });
    expect(shown.metadata).toMatch(/tier.*silver/);
    expect(shown.metadata).toMatch(/k.*v/);
    expect(shown).not.toHaveProperty('progress');

    expect(await cinder('3.0', 'backup-reset-state', '--state', 'error', id)).toContain(
      `Request to update backup '${id}' has been accepted.`,
    );
    expect((await api.get(`backups/${id}`)).body.backup.status).toBe('error');
    expect(await cinder('3.0', 'backup-reset-state', id)).toContain(
      `Request to update backup '${id}' has been accepted.`,
    );
    expect((await api.get(`backups/${id}`)).body.backup.status).toBe('available');
    // A refused state: the CLI reports Cinder's message.
    const refused = await cinder('3.0', 'backup-reset-state', '--state', 'creating', id).then(
      () => null,
      (error: { stderr?: string }) => error.stderr ?? '',
    );
    expect(refused).toContain(
      "Backup status: creating is invalid, valid statuses are: ['available', 'error']. (HTTP 400)",
    );
  });

  it('backup-export, then backup-import after the row is gone, and backup-delete --force', async () => {
    const v = await volume('cli-exported');
    const created = properties(await cinder('3.0', 'backup-create', '--name', 'exported', v));
    const id = created.id;
    await backupStatus(id, (s) => s === 'available');

    const exported = properties(await cinder('3.0', 'backup-export', id));
    expect(exported.backup_service).toBe(POSIX);
    const record = JSON.parse(Buffer.from(exported.backup_url, 'base64').toString('utf8'));
    expect(record).toMatchObject({ id, volume_id: v, display_name: 'exported' });

    await cluster.sql('DELETE FROM backups WHERE id = $1', [id]);
    const imported = properties(
      await cinder('3.0', 'backup-import', exported.backup_service, exported.backup_url),
    );
    expect(imported).toEqual({ id, name: 'None' });
    await backupStatus(id, (s) => s === 'available');
    expect((await api.get(`backups/${id}`)).body.backup).toMatchObject({
      name: 'exported',
      volume_id: v,
    });

    // Force-deleting works on a backup whatever its status: here an error one.
    await cinder('3.0', 'backup-reset-state', '--state', 'error', id);
    expect(await cinder('3.0', 'backup-delete', '--force', id)).toContain(
      `Request to delete backup ${id} has been accepted.`,
    );
    await backupStatus(id, (s) => s === null);
  });

  it('backup-create --snapshot-id backs up the snapshot', async () => {
    const v = await volume('cli-snapped');
    const snap = await api.post('snapshots', { snapshot: { volume_id: v, name: 'cli-point' } });
    const snapshotId = snap.body.snapshot.id as string;
    await cluster.waitFor(
      async () => (await api.get(`snapshots/${snapshotId}`)).body.snapshot.status === 'available',
      30_000,
      () => `snapshot ${snapshotId} never became available`,
    );
    const created = properties(
      await cinder('3.0', 'backup-create', '--snapshot-id', snapshotId, '--name', 'of-snap', v),
    );
    expect(created).toMatchObject({ name: 'of-snap', volume_id: v });
    await backupStatus(created.id, (s) => s === 'available');
    expect(properties(await cinder('3.0', 'backup-show', created.id))).toMatchObject({
      snapshot_id: snapshotId,
      volume_id: v,
      status: 'available',
    });
    expect((await api.get(`snapshots/${snapshotId}`)).body.snapshot.status).toBe('available');
  });
});
