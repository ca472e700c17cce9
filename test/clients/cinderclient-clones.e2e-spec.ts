import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from '../support/cluster';
import { cinderCli, properties, requireCinderCli } from '../support/cinder-cli';

const BACKEND = 'cli';

/** python-cinderclient: clones, volumes from snapshots and revert-to-snapshot, as typed. */
describe('the real cinder CLI: clones, create from snapshot, revert', () => {
  const cluster = new Cluster([{ name: BACKEND, capacityGb: 100 }]);
  const cinder = cinderCli(cluster);

  beforeAll(async () => {
    requireCinderCli();
    await cluster.start();
  });
  afterAll(() => cluster.stop());

  const file = (id: string) => join(cluster.dataDir(BACKEND), `volume-${id}`);

  function write(id: string, bytes: Buffer): void {
    const fd = openSync(file(id), 'r+');
    try {
      writeSync(fd, bytes, 0, bytes.length, 0);
    } finally {
      closeSync(fd);
    }
  }

  function read(id: string, length: number): Buffer {
    const fd = openSync(file(id), 'r');
    try {
      const bytes = Buffer.alloc(length);
      readSync(fd, bytes, 0, length, 0);
      return bytes;
    } finally {
      closeSync(fd);
    }
  }

  async function waitForVolume(id: string, status: string) {
    await cluster.waitFor(
      async () => properties(await cinder('show', id)).status === status,
      20_000,
      () => `volume ${id} never became ${status}`,
    );
  }

  async function waitForSnapshot(id: string, status: string) {
    await cluster.waitFor(
      async () => properties(await cinder('snapshot-show', id)).status === status,
      20_000,
      () => `snapshot ${id} never became ${status}`,
    );
  }

  /** The CLI's error output for a refused command (it exits non-zero). */
  async function refusal(...args: string[]): Promise<string> {
    try {
      await cinder(...args);
    } catch (error) {
      return String((error as { stderr?: string }).stderr);
    }
    throw new Error(`cinder ${args.join(' ')} was not refused`);
  }

  it('cinder create --source-volid and --snapshot-id copy the bytes; revert-to-snapshot puts them back', async () => {
    const source = properties(await cinder('create', '--name', 'cli-source', '1'));
    await waitForVolume(source.id, 'available');
    const original = randomBytes(4096);
    write(source.id, original);

    const clone = properties(
      await cinder('create', '--source-volid', source.id, '--name', 'cli-clone'),
    );
    expect(clone).toMatchObject({ source_volid: source.id, size: '1', status: 'creating' });
    await waitForVolume(clone.id, 'available');
    expect(read(clone.id, 4096)).toEqual(original);

    const snapshot = properties(await cinder('snapshot-create', '--name', 'cli-snap', source.id));
    await waitForSnapshot(snapshot.id, 'available');

    const fromSnapshot = properties(
      await cinder('create', '--snapshot-id', snapshot.id, '--name', 'cli-from-snap', '2'),
    );
    expect(fromSnapshot).toMatchObject({ snapshot_id: snapshot.id, size: '2' });
    await waitForVolume(fromSnapshot.id, 'available');
    expect(read(fromSnapshot.id, 4096)).toEqual(original);

    write(source.id, Buffer.alloc(4096, 1));
    await cinder('--os-volume-api-version', '3.40', 'revert-to-snapshot', snapshot.id);
    await waitForVolume(source.id, 'available');
    expect(read(source.id, 4096)).toEqual(original);
    expect(properties(await cinder('snapshot-show', snapshot.id)).status).toBe('available');
  });

  it("prints Cinder's refusals", async () => {
    const source = properties(await cinder('create', '--name', 'cli-refused', '2'));
    await waitForVolume(source.id, 'available');
    const first = properties(await cinder('snapshot-create', '--name', 'first', source.id));
    await waitForSnapshot(first.id, 'available');
    const latest = properties(await cinder('snapshot-create', '--name', 'latest', source.id));
    await waitForSnapshot(latest.id, 'available');

    expect(
      await refusal('--os-volume-api-version', '3.40', 'revert-to-snapshot', first.id),
    ).toContain(
      `ERROR: Specified snapshot ${first.id} is None or not the latest one of volume ${source.id}. (HTTP 400)`,
    );
    expect(await refusal('create', '--snapshot-id', latest.id, '1')).toContain(
      "ERROR: Invalid input received: Volume size '1'GB cannot be smaller than the snapshot size 2GB. They must be >= original snapshot size. (HTTP 400)",
    );
    expect(
      await refusal('create', '--source-volid', source.id, '--snapshot-id', latest.id),
    ).toContain(
      'ERROR: Invalid input received: May specify only one of backup, imageRef, snapshot, source volume (HTTP 400)',
    );
  });
});
