import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
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
    { name: 'home', capacityGb: 30 },
    { name: 'roomy', capacityGb: 80 },
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

    it("fails with Cinder's user message when the source's backend has no room, not elsewhere", async () => {
      // More than `home` holds at all; `roomy` would have room.
      const source = await sourceOnHome();
      const clone = await create({ source_volid: source.id, size: 31 });
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
});
