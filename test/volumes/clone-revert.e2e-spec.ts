import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';

const GiB = 1024 ** 3;

/** Cinder's fault body for a refused request. */
function fault(code: number, message: string) {
  const name = { 400: 'badRequest', 404: 'itemNotFound', 409: 'conflictingRequest' }[code];
  return { [name as string]: { code, message } };
}

describe('volumes from a source volume or a snapshot, and os-revert', () => {
  // `roomy` is weighed first (more free space): a clone landing on `home` shows the restriction.
  const cluster = new Cluster([
    { name: 'home', capacityGb: 60 },
    { name: 'roomy', capacityGb: 120 },
  ]);
  let api: ApiClient;

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
  });
  afterAll(() => cluster.stop());

  const fileOf = (backend: string, id: string) => join(cluster.dataDir(backend), `volume-${id}`);

  /** Writes `bytes` at `offset` into a volume's file, as a consumer of the volume would. */
  function write(backend: string, id: string, bytes: Buffer, offset = 0): void {
    const fd = openSync(fileOf(backend, id), 'r+');
    try {
      writeSync(fd, bytes, 0, bytes.length, offset);
    } finally {
      closeSync(fd);
    }
  }

  function read(backend: string, id: string, length: number, offset = 0): Buffer {
    const fd = openSync(fileOf(backend, id), 'r');
    try {
      const bytes = Buffer.alloc(length);
      readSync(fd, bytes, 0, length, offset);
      return bytes;
    } finally {
      closeSync(fd);
    }
  }

  async function create(volume: Record<string, unknown>, client = api) {
    const res = await client.post('volumes', { volume });
    expect(res.status).toBe(202);
    return res.body.volume as Record<string, unknown> & { id: string };
  }

  async function available(id: string, client = api) {
    return client.waitForVolume(id, (v) => v?.status === 'available' || v?.status === 'error');
  }

  /** A 1 GiB volume placed on `home` (through a type naming it), with known bytes written. */
  let homeType: string;
  async function sourceOnHome(size = 1) {
    if (!homeType) {
      const type = await api.post('types', {
        volume_type: { name: 'home-only', extra_specs: { volume_backend_name: 'home' } },
      });
      homeType = type.body.volume_type.id as string;
    }
    const source = await create({ size, volume_type: 'home-only', name: 'source' });
    const done = await available(source.id);
    expect(done).toMatchObject({ status: 'available' });
    expect(done?.['os-vol-host-attr:host']).toBe(`${cluster.serviceHost('home')}#home`);
    const bytes = randomBytes(4096);
    write('home', source.id, bytes);
    return { id: source.id, bytes };
  }

  describe('create from a source volume (clone)', () => {
    it("copies the source's bytes as they are at clone time, on the source's backend", async () => {
      const source = await sourceOnHome();
      const clone = await create({ source_volid: source.id, name: 'clone' });
      // Size, type and zone default to the source's; the row names its source.
      expect(clone).toMatchObject({
        size: 1,
        volume_type: 'home-only',
        availability_zone: 'nova',
        source_volid: source.id,
        snapshot_id: null,
      });
      const done = await available(clone.id);
      expect(done).toMatchObject({ status: 'available', source_volid: source.id });
      // `roomy` has far more room, yet the clone goes where its source's bytes are.
      expect(done?.['os-vol-host-attr:host']).toBe(`${cluster.serviceHost('home')}#home`);
      expect(read('home', clone.id, 4096)).toEqual(source.bytes);
      expect(statSync(fileOf('home', clone.id)).size).toBe(1 * GiB);

      // Later writes to the source do not reach the clone.
      write('home', source.id, Buffer.alloc(4096, 7));
      expect(read('home', clone.id, 4096)).toEqual(source.bytes);
    });

    it('makes a bigger clone when asked: a bigger file, the same leading bytes', async () => {
      const source = await sourceOnHome();
      const clone = await create({ source_volid: source.id, size: 2 });
      const done = await available(clone.id);
      expect(done).toMatchObject({ status: 'available', size: 2 });
      expect(statSync(fileOf('home', clone.id)).size).toBe(2 * GiB);
      expect(read('home', clone.id, 4096)).toEqual(source.bytes);
    });

    it('clones an in-use volume too', async () => {
      const source = await sourceOnHome();
      await cluster.sql(`UPDATE volumes SET status = 'in-use' WHERE id = $1`, [source.id]);
      const clone = await create({ source_volid: source.id });
      expect(await available(clone.id)).toMatchObject({ status: 'available' });
      expect(read('home', clone.id, 4096)).toEqual(source.bytes);
      await cluster.sql(`UPDATE volumes SET status = 'available' WHERE id = $1`, [source.id]);
    });

    it('is bootable when its source is, as in Cinder', async () => {
      const source = await sourceOnHome();
      await cluster.sql('UPDATE volumes SET bootable = true WHERE id = $1', [source.id]);
      const clone = await create({ source_volid: source.id });
      expect(clone.bootable).toBe('false');
      expect(await available(clone.id)).toMatchObject({ status: 'available', bootable: 'true' });
      const plain = await sourceOnHome();
      const plainClone = await create({ source_volid: plain.id });
      expect(await available(plainClone.id)).toMatchObject({ bootable: 'false' });
    });

    it("fails with Cinder's user message when the source's backend has no room, not elsewhere", async () => {
      // More than `home` holds at all; `roomy` would have room.
      const source = await sourceOnHome();
      const clone = await create({ source_volid: source.id, size: 61 });
      const done = await available(clone.id);
      expect(done).toMatchObject({ status: 'error', 'os-vol-host-attr:host': null });
      const messages = await api.withVersion('3.3').get('messages');
      expect(messages.body.messages).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            resource_uuid: clone.id,
            event_id: 'VOLUME_VOLUME_001_003',
            user_message:
              'schedule allocate volume: Could not find any available weighted backend.',
          }),
        ]),
      );
      await api.delete(`volumes/${clone.id}`);
    });

    it('ends in error, not on another backend, when the copy fails', async () => {
      const source = await sourceOnHome();
      // The source's bytes are gone from its backend: the driver cannot copy them.
      rmSync(fileOf('home', source.id));
      const clone = await create({ source_volid: source.id });
      const done = await available(clone.id);
      expect(done).toMatchObject({ status: 'error', 'os-vol-host-attr:host': null });
      const [row] = await cluster.sql<{ detail: string }>(
        'SELECT detail FROM messages WHERE resource_uuid = $1',
        [clone.id],
      );
      expect(row.detail).toContain(`${cluster.serviceHost('home')}: `);
      // Nothing of it was left behind on either backend.
      expect(existsSync(fileOf('home', clone.id))).toBe(false);
      expect(existsSync(fileOf('roomy', clone.id))).toBe(false);
    });

    it("refuses what Cinder refuses, with Cinder's code and message", async () => {
      const source = await sourceOnHome();
      const missing = randomUUID();
      const missingBackup = randomUUID();
      const refusals: [Record<string, unknown>, number, string][] = [
        [{ source_volid: missing }, 404, `Volume ${missing} could not be found.`],
        [
          { source_volid: source.id, backup_id: missingBackup },
          404,
          `Backup ${missingBackup} could not be found.`,
        ],
        [
          { source_volid: source.id, imageRef: 'some-image' },
          400,
          'Invalid input received: May specify only one of backup, imageRef, snapshot, source volume',
        ],
      ];
      for (const [volume, code, message] of refusals) {
        const res = await api.post('volumes', { volume });
        expect({ volume, status: res.status, body: res.body }).toEqual({
          volume,
          status: code,
          body: fault(code, message),
        });
      }

      // Smaller than the source (Cinder's double space included).
      const big = await sourceOnHome(2);
      const smaller = await api.post('volumes', { volume: { source_volid: big.id, size: 1 } });
      expect(smaller.status).toBe(400);
      expect(smaller.body).toEqual(
        fault(
          400,
          "Invalid input received: Volume size '1'GB cannot be smaller than original volume size  2GB. They must be >= original volume size.",
        ),
      );

      // Another zone than the source's.
      const zone = await api.post('volumes', {
        volume: { source_volid: source.id, availability_zone: 'elsewhere' },
      });
      expect(zone.status).toBe(400);
      expect(zone.body).toEqual(fault(400, "Availability zone 'elsewhere' is invalid."));

      // A type that cannot live where the source does (two volume services here).
      await api.post('types', {
        volume_type: { name: 'roomy-only', extra_specs: { volume_backend_name: 'roomy' } },
      });
      const types = await api.get('types');
      const roomy = (types.body.volume_types as { id: string; name: string }[]).find(
        (t) => t.name === 'roomy-only',
      );
      const retyped = await api.post('volumes', {
        volume: { source_volid: source.id, volume_type: 'roomy-only' },
      });
      expect(retyped.status).toBe(400);
      expect(retyped.body).toEqual(
        fault(
          400,
          `Invalid input received: Invalid volume_type provided: ${roomy?.id} (requested type is not compatible; either match source volume, or omit type argument).`,
        ),
      );

      // A source in a status clones cannot be made from.
      await cluster.sql(`UPDATE volumes SET status = 'error' WHERE id = $1`, [source.id]);
      const errored = await api.post('volumes', { volume: { source_volid: source.id } });
      expect(errored.status).toBe(400);
      expect(errored.body).toEqual(
        fault(
          400,
          "Invalid volume: Originating source volume status must be one of 'available, in-use' values",
        ),
      );

      // Nothing was written for any of these.
      const rows = await cluster.sql<{ n: string }>(
        `SELECT count(*) AS n FROM volumes WHERE source_volid IN ($1, $2)`,
        [source.id, big.id],
      );
      expect(rows[0].n).toBe('0');
    });

    it('is harmless when the create reaches cinder-volume twice', async () => {
      const source = await sourceOnHome();
      const clone = await create({ source_volid: source.id });
      expect(await available(clone.id)).toMatchObject({ status: 'available' });
      const [row] = await cluster.sql<{ host: string; scheduling_attempt: number }>(
        'SELECT host, scheduling_attempt FROM volumes WHERE id = $1',
        [clone.id],
      );
      // The very message the scheduler sent, again, after the source changed.
      write('home', source.id, Buffer.alloc(4096, 9));
      await cluster.publish(`cinder-volume.${cluster.serviceHost('home')}`, {
        method: 'create_volume',
        context: {
          request_id: 'req-7e57d0b1-e000-4000-8000-00000c10ne02',
          user_id: 'e2e-user',
          project_id: PROJECT_A,
          roles: ['admin'],
          is_admin: true,
          sent_at: new Date().toISOString(),
        },
        payload: {
          request_spec: {
            volume_id: clone.id,
            size: 1,
            availability_zone: 'nova',
            volume_type: { id: homeType, name: 'home-only', extra_specs: {} },
            source_volid: source.id,
            resource_backend: row.host,
          },
          retry: { num_attempts: row.scheduling_attempt, backends: [], exc_reasons: [] },
          host: row.host,
        },
      });
      // A later volume's create goes through the same queue: once it is done, so is the replay.
      const after = await create({ source_volid: source.id });
      expect(await available(after.id)).toMatchObject({ status: 'available' });
      expect(await api.get(`volumes/${clone.id}`)).toMatchObject({
        body: { volume: { status: 'available' } },
      });
      expect(read('home', clone.id, 4096)).toEqual(source.bytes);
    });
  });

  /** Takes a snapshot of a volume and waits until it is available. */
  async function snapshotOf(volumeId: string, name = 'snap') {
    const res = await api.post('snapshots', { snapshot: { volume_id: volumeId, name } });
    expect(res.status).toBe(202);
    const id = res.body.snapshot.id as string;
    await cluster.waitFor(
      async () => (await api.get(`snapshots/${id}`)).body.snapshot?.status === 'available',
      20_000,
      () => `snapshot ${id} never became available`,
    );
    return id;
  }

  async function snapshotStatus(id: string) {
    return (await api.get(`snapshots/${id}`)).body.snapshot?.status as string | undefined;
  }

  describe('create from a snapshot', () => {
    it("holds the snapshot's bytes, not the volume's later ones, on the snapshot's backend", async () => {
      const source = await sourceOnHome();
      const snapshot = await snapshotOf(source.id);
      write('home', source.id, Buffer.alloc(4096, 3));
      const made = await create({ snapshot_id: snapshot, name: 'from-snap' });
      expect(made).toMatchObject({
        size: 1,
        volume_type: 'home-only',
        snapshot_id: snapshot,
        source_volid: null,
      });
      const done = await available(made.id);
      expect(done).toMatchObject({ status: 'available', snapshot_id: snapshot });
      expect(done?.['os-vol-host-attr:host']).toBe(`${cluster.serviceHost('home')}#home`);
      expect(read('home', made.id, 4096)).toEqual(source.bytes);
      expect(statSync(fileOf('home', made.id)).size).toBe(1 * GiB);

      const bigger = await create({ snapshot_id: snapshot, size: 3 });
      expect(await available(bigger.id)).toMatchObject({ status: 'available', size: 3 });
      expect(statSync(fileOf('home', bigger.id)).size).toBe(3 * GiB);
      expect(read('home', bigger.id, 4096)).toEqual(source.bytes);
    });

    it("refuses what Cinder refuses, with Cinder's code and message", async () => {
      const source = await sourceOnHome(2);
      const snapshot = await snapshotOf(source.id);
      const missing = randomUUID();
      const cases: [Record<string, unknown>, number, string][] = [
        [{ snapshot_id: missing }, 404, `Snapshot ${missing} could not be found.`],
        [
          { snapshot_id: snapshot, source_volid: source.id },
          400,
          'Invalid input received: May specify only one of backup, imageRef, snapshot, source volume',
        ],
        [
          { snapshot_id: snapshot, size: 1 },
          400,
          "Invalid input received: Volume size '1'GB cannot be smaller than the snapshot size 2GB. They must be >= original snapshot size.",
        ],
      ];
      for (const [volume, code, message] of cases) {
        const res = await api.post('volumes', { volume });
        expect({ volume, status: res.status, body: res.body }).toEqual({
          volume,
          status: code,
          body: fault(code, message),
        });
      }
      await cluster.sql(`UPDATE snapshots SET status = 'error' WHERE id = $1`, [snapshot]);
      const errored = await api.post('volumes', { volume: { snapshot_id: snapshot } });
      expect(errored.status).toBe(400);
      expect(errored.body).toEqual(
        fault(
          400,
          "Invalid snapshot: Originating snapshot status must be one of 'available' values",
        ),
      );
      const rows = await cluster.sql<{ n: string }>(
        'SELECT count(*) AS n FROM volumes WHERE snapshot_id = $1',
        [snapshot],
      );
      expect(rows[0].n).toBe('0');
    });
  });

  describe('os-revert (3.40)', () => {
    const v340 = () => api.withVersion('3.40');
    const revert = (volumeId: string, snapshotId: unknown, client = v340()) =>
      client.post(`volumes/${volumeId}/action`, { revert: { snapshot_id: snapshotId } });

    it("puts the latest snapshot's bytes back; volume and snapshot end available", async () => {
      const source = await sourceOnHome();
      const snapshot = await snapshotOf(source.id);
      const later = randomBytes(4096);
      write('home', source.id, later, 8192);
      write('home', source.id, Buffer.alloc(4096, 5));
      const res = await revert(source.id, snapshot);
      expect(res.status).toBe(202);
      const done = await api.waitForVolume(source.id, (v) => v?.status !== 'reverting');
      expect(done).toMatchObject({ status: 'available', size: 1 });
      expect(await snapshotStatus(snapshot)).toBe('available');
      expect(read('home', source.id, 4096)).toEqual(source.bytes);
      // What was written after the snapshot is gone too.
      expect(read('home', source.id, 4096, 8192)).toEqual(Buffer.alloc(4096));
    });

    it("refuses what Cinder refuses, with Cinder's code and message", async () => {
      const source = await sourceOnHome();
      // Before 3.40 there is no such action.
      const old = await revert(source.id, randomUUID(), api.withVersion('3.39'));
      expect(old.status).toBe(404);
      expect(old.body).toEqual(fault(404, 'The resource could not be found.'));

      const none = await revert(source.id, randomUUID());
      expect(none.status).toBe(400);
      expect(none.body).toEqual(fault(400, `Volume ${source.id} doesn't have any snapshots.`));

      const first = await snapshotOf(source.id, 'first');
      const latest = await snapshotOf(source.id, 'latest');
      for (const named of [first, null]) {
        const res = await revert(source.id, named);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(
          fault(
            400,
            `Specified snapshot ${named ?? 'None'} is None or not the latest one of volume ${source.id}.`,
          ),
        );
      }
      const schema = await v340().post(`volumes/${source.id}/action`, {
        revert: { snapshot_id: 1 },
      });
      expect(schema.status).toBe(400);

      const refusal = `Can't revert volume ${source.id} to its latest snapshot ${latest}.`;
      await cluster.sql(`UPDATE volumes SET status = 'in-use' WHERE id = $1`, [source.id]);
      const inUse = await revert(source.id, latest);
      expect(inUse.status).toBe(409);
      expect(inUse.body).toEqual(
        fault(409, `Invalid volume: ${refusal} Volume's status must be 'available'.`),
      );
      await cluster.sql(`UPDATE volumes SET status = 'available' WHERE id = $1`, [source.id]);

      await cluster.sql(`UPDATE snapshots SET status = 'error' WHERE id = $1`, [latest]);
      const busy = await revert(source.id, latest);
      expect(busy.status).toBe(409);
      expect(busy.body).toEqual(
        fault(409, `Invalid snapshot: ${refusal} Snapshot's status must be 'available'.`),
      );
      // The volume's change was undone with the refusal.
      expect((await api.get(`volumes/${source.id}`)).body.volume.status).toBe('available');
      await cluster.sql(`UPDATE snapshots SET status = 'available' WHERE id = $1`, [latest]);

      // Grown since the snapshot: Cinder refuses (the sizes must match).
      await cluster.sql(`UPDATE volumes SET size = 2 WHERE id = $1`, [source.id]);
      const grown = await revert(source.id, latest);
      expect(grown.status).toBe(400);
      expect(grown.body).toEqual(
        fault(400, `${refusal} The volume size must be equal to the snapshot size.`),
      );
    });

    /**
     * Runs `during` in a transaction of its own that holds the volume's row as a snapshot create
     * (FOR SHARE) or an extend (an UPDATE) does, sends the revert meanwhile, and commits once the
     * revert waits for that row: the revert must judge what the commit left.
     */
    async function revertRacing(
      volumeId: string,
      snapshotId: string,
      during: (db: Client) => Promise<unknown>,
    ) {
      const db = new Client({ connectionString: cluster.databaseUrl });
      await db.connect();
      try {
        await db.query('BEGIN');
        await during(db);
        const answer = revert(volumeId, snapshotId);
        await cluster.waitFor(
          async () =>
            (
              await cluster.sql<{ n: number }>(
                `SELECT count(*)::int AS n FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'
                   AND query ILIKE 'UPDATE "volumes"%'`,
              )
            )[0].n >= 1,
          10_000,
          () => 'the revert never waited for the volume row',
        );
        await db.query('COMMIT');
        return await answer;
      } finally {
        await db.end();
      }
    }

    it('refuses a revert when a snapshot is created while it is checked', async () => {
      const source = await sourceOnHome();
      const latest = await snapshotOf(source.id);
      const newer = randomUUID();
      const res = await revertRacing(source.id, latest, async (db) => {
        await db.query('SELECT id FROM volumes WHERE id = $1 FOR SHARE', [source.id]);
        await db.query(
          `INSERT INTO snapshots (id, project_id, user_id, volume_id, status, volume_size,
             volume_type_id, created_at)
           SELECT $1, project_id, user_id, id, 'creating', size, volume_type_id,
             now() + interval '1 second'
           FROM volumes WHERE id = $2`,
          [newer, source.id],
        );
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        fault(
          400,
          `Specified snapshot ${latest} is None or not the latest one of volume ${source.id}.`,
        ),
      );
      // Nothing was changed: the volume and the snapshot are as they were.
      expect((await api.get(`volumes/${source.id}`)).body.volume.status).toBe('available');
      expect(await snapshotStatus(latest)).toBe('available');
      await cluster.sql('DELETE FROM snapshots WHERE id = $1', [newer]);
    });

    it('refuses a revert when the volume grows while it is checked', async () => {
      const source = await sourceOnHome();
      const latest = await snapshotOf(source.id);
      const res = await revertRacing(source.id, latest, (db) =>
        db.query('UPDATE volumes SET size = 2 WHERE id = $1', [source.id]),
      );
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        fault(
          400,
          `Can't revert volume ${source.id} to its latest snapshot ${latest}. ` +
            'The volume size must be equal to the snapshot size.',
        ),
      );
      expect(await snapshotStatus(latest)).toBe('available');
    });

    it('leaves the volume in error and frees the snapshot when the driver fails', async () => {
      const source = await sourceOnHome();
      const snapshot = await snapshotOf(source.id);
      // The snapshot's bytes are gone from the backend: the driver cannot revert.
      rmSync(join(cluster.dataDir('home'), `snapshot-${snapshot}`));
      expect((await revert(source.id, snapshot)).status).toBe(202);
      const done = await api.waitForVolume(source.id, (v) => v?.status !== 'reverting');
      expect(done?.status).toBe('error');
      expect(await snapshotStatus(snapshot)).toBe('available');
      const notes = await cluster.sql('SELECT * FROM workers WHERE resource_id = $1', [source.id]);
      expect(notes).toEqual([]);
    });

    it('is finished by the restart of a cinder-volume that died in the middle of it', async () => {
      const source = await sourceOnHome();
      const snapshot = await snapshotOf(source.id);
      write('home', source.id, Buffer.alloc(4096, 6));
      await cluster.stopService('cinder-volume@home', 'SIGKILL');
      expect((await revert(source.id, snapshot)).status).toBe(202);
      // What a cinder-volume dying after taking the message leaves: its note in `workers`, the
      // message consumed, the volume `reverting` and the snapshot `restoring`.
      await cluster.waitFor(
        async () => (await cluster.sql('SELECT 1 FROM outbox')).length === 0,
        20_000,
        () => 'the revert never left the outbox',
      );
      await cluster.purge(`cinder-volume.${cluster.serviceHost('home')}`);
      await cluster.sql(
        `INSERT INTO workers (resource_type, resource_id, status, service_host, created_at)
         VALUES ('volume', $1, 'reverting', $2, now())`,
        [source.id, cluster.serviceHost('home')],
      );
      expect(await snapshotStatus(snapshot)).toBe('restoring');

      await cluster.startBackend({ name: 'home', capacityGb: 60 });
      const done = await api.waitForVolume(source.id, (v) => v?.status !== 'reverting');
      expect(done?.status).toBe('available');
      expect(cluster.logOf('cinder-volume@home')).toContain(
        'work interrupted by a restart; resuming',
      );
      expect(await snapshotStatus(snapshot)).toBe('available');
      expect(read('home', source.id, 4096)).toEqual(source.bytes);
      expect(
        await cluster.sql('SELECT 1 FROM workers WHERE resource_id = $1', [source.id]),
      ).toEqual([]);
    });

    it('is harmless when the revert reaches cinder-volume twice', async () => {
      const source = await sourceOnHome();
      const snapshot = await snapshotOf(source.id);
      expect((await revert(source.id, snapshot)).status).toBe(202);
      await api.waitForVolume(source.id, (v) => v?.status === 'available');
      // Written after the revert; a replayed revert must not undo it.
      const after = randomBytes(4096);
      write('home', source.id, after);
      await cluster.publish(`cinder-volume.${cluster.serviceHost('home')}`, {
        method: 'revert_to_snapshot',
        context: {
          request_id: 'req-7e57d0b1-e000-4000-8000-00000c10ne03',
          user_id: 'e2e-user',
          project_id: PROJECT_A,
          roles: ['admin'],
          is_admin: true,
          sent_at: new Date().toISOString(),
        },
        payload: { volume_id: source.id, snapshot_id: snapshot },
      });
      // A later revert, through the same queue, is done once the replay is.
      const other = await sourceOnHome();
      const otherSnapshot = await snapshotOf(other.id);
      expect((await revert(other.id, otherSnapshot)).status).toBe(202);
      await api.waitForVolume(other.id, (v) => v?.status === 'available');
      expect(await api.get(`volumes/${source.id}`)).toMatchObject({
        body: { volume: { status: 'available' } },
      });
      expect(await snapshotStatus(snapshot)).toBe('available');
      expect(read('home', source.id, 4096)).toEqual(after);
    });
  });
});
