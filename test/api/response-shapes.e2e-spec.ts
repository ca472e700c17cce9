/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON the test picks apart */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ApiResponse, ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';
import {
  atLeast,
  attachmentBody,
  attachmentDetailListBody,
  attachmentListBody,
  availabilityZoneListBody,
  backupCreateBody,
  backupDetailListBody,
  backupListBody,
  backupRestoreBody,
  backupShowBody,
  shapeErrors,
  snapshotCreateOrUpdateBody,
  snapshotDetailListBody,
  snapshotListBody,
  snapshotMetadataBody,
  snapshotMetadataKeyBody,
  snapshotShowBody,
  expectShape,
  extraSpecsBody,
  faultBody,
  type JsonSchema,
  messageListBody,
  messageShowBody,
  poolListBody,
  serviceListBody,
  serviceActionBody,
  logLevelsBody,
  hostListBody,
  hostShowBody,
  capabilitiesBody,
  extensionListBody,
  versionsBody,
  volumeCreateOrUpdateBody,
  volumeDetailListBody,
  volumeListBody,
  volumeShowBody,
  volumeTypeCreateBody,
  volumeTypeDefaultBody,
  volumeTypeListBody,
  volumeTypeShowBody,
} from '../support/cinder-shapes';

/** A spread of microversions across every change to the bodies checked here. */
const VERSIONS = ['3.0', '3.13', '3.27', '3.44', '3.48', '3.54', '3.61', '3.63', '3.65', '3.70'];

interface CallerCase {
  name: string;
  userId: string;
  isAdmin: boolean;
}

/**
 * Who calls. Under noauth every caller is an admin today, so there is only one; once roles
 * exist, add `{ name: 'member', userId: ..., isAdmin: false }` and every check below runs for
 * it too (the schemas take isAdmin, and admin-only routes expect Cinder's 403).
 */
const callers: CallerCase[] = [{ name: 'admin', userId: 'shapes-admin', isAdmin: true }];

const connector = {
  host: 'compute-shapes',
  ip: '127.0.0.1',
  platform: 'x86_64',
  os_type: 'linux',
  multipath: false,
  mountpoint: '/dev/vdb',
};

/** The status, then the body against its schema (every difference listed on failure). */
function check(res: ApiResponse, status: number, schema: JsonSchema, label: string): void {
  if (res.status !== status) {
    throw new Error(`${label}: expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
  expectShape(res.body, schema, label);
}

/** Cinder's own api-ref samples and the schema each must fit (see api-ref-samples/README.md). */
const SAMPLES: [string, JsonSchema][] = [
  ['volumes/volume-create-response.json', volumeCreateOrUpdateBody('3.0', true)],
  ['volumes/volume-show-response.json', volumeShowBody('3.0', true)],
  ['volumes/volume-update-response.json', volumeCreateOrUpdateBody('3.0', true)],
  ['volumes/volumes-list-response.json', volumeListBody('3.0')],
  ['volumes/volumes-list-detailed-response.json', volumeDetailListBody('3.0', true)],
  ['volumes/v3.13/volume-show-response.json', volumeShowBody('3.13', true)],
  ['volumes/v3.21/volume-show-response.json', volumeShowBody('3.21', true)],
  ['volumes/v3.48/volume-show-response.json', volumeShowBody('3.48', true)],
  ['volumes/v3.61/volume-show-response.json', volumeShowBody('3.61', true)],
  ['volumes/v3.63/volume-show-response.json', volumeShowBody('3.63', true)],
  ['volumes/v3.65/volume-show-response.json', volumeShowBody('3.65', true)],
  ['volumes/v3.65/volume-create-response.json', volumeCreateOrUpdateBody('3.65', true)],
  ['volumes/v3.65/volume-update-response.json', volumeCreateOrUpdateBody('3.65', true)],
  ['volumes/v3.65/volumes-list-detailed-response.json', volumeDetailListBody('3.65', true)],
  ['volumes/v3.69/volume-show-response.json', volumeShowBody('3.69', true)],
  ['attachment-list-response.json', attachmentListBody()],
  ['attachment-list-detailed-response.json', attachmentDetailListBody()],
  ['backup-restore-response.json', backupRestoreBody()],
  ['backups/backup-create-response.json', backupCreateBody()],
  ['backups/v3.18/backup-show-response.json', backupShowBody('3.18', true)],
  ['backups/v3.43/backups-list-detailed-response.json', backupDetailListBody('3.43', true)],
  ['backups/v3.45/backups-list-response.json', backupListBody('3.45')],
  ['backups/v3.56/backup-show-response.json', backupShowBody('3.56', true)],
  ['snapshots/snapshots-list-response.json', snapshotListBody('3.0')],
  ['snapshots/snapshot-show-response.json', snapshotShowBody('3.0', true)],
  ['snapshots/v3.14/snapshot-show-response.json', snapshotShowBody('3.14', true)],
  ['snapshots/v3.41/snapshots-list-detailed-response.json', snapshotDetailListBody('3.41', true)],
  ['snapshots/v3.65/snapshot-create-response.json', snapshotCreateOrUpdateBody('3.65', true)],
  ['snapshots/v3.65/snapshot-show-response.json', snapshotShowBody('3.65', true)],
  ['snapshots/v3.65/snapshot-update-response.json', snapshotCreateOrUpdateBody('3.65', true)],
  ['volume_type/volume-type-show-response.json', volumeTypeShowBody('3.0', true)],
  ['volume_type/volume-type-create-response.json', volumeTypeCreateBody()],
  ['volume_type/volume-types-list-response.json', volumeTypeListBody('3.0', true)],
  ['volume_type/volume-type-default-response.json', volumeTypeDefaultBody('3.0', true)],
  ['volume_type/volume-type-all-extra-specs-show-response.json', extraSpecsBody(true)],
  ['os-services/v3.49/services-list-response.json', serviceListBody('3.49')],
  ['os-services/service-enable-response.json', serviceActionBody(false)],
  ['os-services/service-disable-response.json', serviceActionBody(false)],
  ['os-services/service-disable-log-reason-response.json', serviceActionBody(true)],
  ['os-services/v3.32/service-get-log-response.json', logLevelsBody()],
  ['hosts-list-response.json', hostListBody()],
  ['hosts-get-response.json', hostShowBody()],
  ['backend-capabilities-response.json', capabilitiesBody()],
  ['extensions/extensions-list-response.json', extensionListBody()],
  ['availability-zone-list-response.json', availabilityZoneListBody()],
  ['pools-list-detailed-response.json', poolListBody(true)],
  ['versions/version-show-response.json', versionsBody()],
  ['versions/versions-response.json', versionsBody()],
];

describe("the schemas fit Cinder's own api-ref samples", () => {
  const dir = join(__dirname, '../support/cinder-shapes/api-ref-samples');
  it.each(SAMPLES)('%s', (path, schema) => {
    const sample: unknown = JSON.parse(readFileSync(join(dir, path), 'utf8'));
    expect(shapeErrors(sample, schema)).toEqual([]);
  });

  it('and tell a body with an extra or a missing field apart', () => {
    const sample = JSON.parse(
      readFileSync(join(dir, 'volume_type/volume-type-show-response.json'), 'utf8'),
    ) as { volume_type: Record<string, unknown> };
    expect(shapeErrors(sample, volumeTypeShowBody('3.0', false))).toEqual([
      '/volume_type: unexpected field "qos_specs_id"',
      '/volume_type/extra_specs: unexpected field "capabilities"',
    ]);
    delete sample.volume_type.is_public;
    expect(shapeErrors(sample, volumeTypeShowBody('3.0', true))).toEqual([
      '/volume_type: missing field "is_public"',
    ]);
  });
});

describe('response bodies have Cinder shapes, field for field, per microversion', () => {
  const cluster = new Cluster([{ name: 'only', capacityGb: 100 }]);
  let admin: ApiClient;
  /** Made once, by an admin, for the read-only checks. */
  const fixtures = {
    volume: '',
    attachedVolume: '',
    backup: '',
    typeId: '',
    message: '',
  };

  async function waitForBackup(client: ApiClient, id: string): Promise<Record<string, any>> {
    let last: Record<string, any> = {};
    await cluster.waitFor(
      async () => {
        last = (await client.get(`backups/${id}`)).body.backup;
        return ['available', 'error'].includes(last?.status as string);
      },
      60_000,
      () => `backup ${id} never finished: ${JSON.stringify(last)}`,
    );
    return last;
  }

  async function availableVolume(client: ApiClient, name: string): Promise<string> {
    const res = await client.post('volumes', {
      volume: { size: 1, name, metadata: { purpose: 'shapes' } },
    });
    expect(res.status).toBe(202);
    const id = res.body.volume.id as string;
    await client.waitForVolume(id, (v) => v?.status === 'available');
    return id;
  }

  beforeAll(async () => {
    await cluster.start();
    admin = new ApiClient(cluster.apiUrl, PROJECT_A, 'shapes-admin').withVersion('3.70');
    fixtures.volume = await availableVolume(admin, 'plain');

    // An attached volume, so that volume views list an attachment.
    fixtures.attachedVolume = await availableVolume(admin, 'attached');
    const att = await admin.post('attachments', {
      attachment: { volume_uuid: fixtures.attachedVolume, instance_uuid: randomUUID(), connector },
    });
    expect(att.status).toBe(200);
    await admin.post(`attachments/${att.body.attachment.id as string}/action`, {
      'os-complete': {},
    });
    await admin.waitForVolume(fixtures.attachedVolume, (v) => v?.status === 'in-use');

    const backup = await admin.post('backups', {
      backup: { volume_id: fixtures.volume, name: 'shapes' },
    });
    expect(backup.status).toBe(202);
    fixtures.backup = backup.body.backup.id as string;
    expect((await waitForBackup(admin, fixtures.backup)).status).toBe('available');

    const type = await admin.post('types', {
      volume_type: { name: 'shapes-type', extra_specs: { multiattach: '<is> True', k: 'v' } },
    });
    fixtures.typeId = type.body.volume_type.id as string;

    // A volume larger than any backend fails in the scheduler and leaves a user message.
    const tooBig = await admin.post('volumes', { volume: { size: 1000, name: 'too-big' } });
    await admin.waitForVolume(tooBig.body.volume.id as string, (v) => v?.status === 'error');
    await cluster.waitFor(
      async () => ((await admin.get('messages')).body.messages as unknown[]).length > 0,
      20_000,
      () => 'no user message appeared for the failed volume',
    );
    fixtures.message = (await admin.get('messages')).body.messages[0].id as string;
  });
  afterAll(() => cluster.stop());

  describe('versions documents', () => {
    it('GET / (300) and GET /v3/ (200)', async () => {
      check(await admin.get('/'), 300, versionsBody(), 'GET /');
      check(await admin.get('/v3/'), 200, versionsBody(), 'GET /v3/');
    });
  });

  describe.each(callers)('caller: $name', (caller) => {
    describe.each(VERSIONS)('microversion %s', (version) => {
      let api: ApiClient;
      beforeAll(() => {
        api = new ApiClient(cluster.apiUrl, PROJECT_A, caller.userId).withVersion(version);
      });
      const { isAdmin } = caller;
      /** An admin-only route: its body for admins, Cinder's 403 for anyone else. */
      const adminOnly = (res: ApiResponse, status: number, schema: JsonSchema, label: string) =>
        isAdmin ? check(res, status, schema, label) : check(res, 403, faultBody(403), label);

      it('volumes: create, show, update, list, detail', async () => {
        const created = await api.post('volumes', {
          volume: { size: 1, name: `shapes-${version}`, metadata: { v: version } },
        });
        check(created, 202, volumeCreateOrUpdateBody(version, isAdmin), 'POST /volumes');
        const id = created.body.volume.id as string;
        await api.waitForVolume(id, (v) => v?.status === 'available');

        check(
          await api.get(`volumes/${id}`),
          200,
          volumeShowBody(version, isAdmin),
          'GET /volumes/{id}',
        );
        check(
          await api.get(`volumes/${fixtures.attachedVolume}`),
          200,
          volumeShowBody(version, isAdmin),
          'GET /volumes/{id} (attached)',
        );
        check(
          await api.request('PUT', `volumes/${id}`, {
            volume: { name: `renamed-${version}`, description: 'shapes' },
          }),
          200,
          volumeCreateOrUpdateBody(version, isAdmin),
          'PUT /volumes/{id}',
        );
        check(await api.get('volumes'), 200, volumeListBody(version), 'GET /volumes');
        check(
          await api.get('volumes?limit=1'),
          200,
          volumeListBody(version),
          'GET /volumes?limit=1',
        );
        check(
          await api.get('volumes/detail'),
          200,
          volumeDetailListBody(version, isAdmin),
          'GET /volumes/detail',
        );
        if (atLeast(version, '3.45')) {
          const counted = await api.get('volumes/detail?with_count=true&limit=1');
          check(counted, 200, volumeDetailListBody(version, isAdmin), 'GET /volumes/detail count');
          expect(counted.body.count).toEqual(expect.any(Number));
        }
      });

      it('attachments: create, show, update, list, detail, delete (3.27+)', async () => {
        if (!atLeast(version, '3.27')) {
          check(await api.get('attachments'), 404, faultBody(404), 'GET /attachments < 3.27');
          return;
        }
        const created = await api.post('attachments', {
          attachment: { volume_uuid: fixtures.volume, instance_uuid: randomUUID() },
        });
        check(created, 200, attachmentBody(), 'POST /attachments (reserved)');
        const id = created.body.attachment.id as string;
        check(await api.get(`attachments/${id}`), 200, attachmentBody(), 'GET /attachments/{id}');
        check(
          await api.request('PUT', `attachments/${id}`, { attachment: { connector } }),
          200,
          attachmentBody(),
          'PUT /attachments/{id}',
        );
        if (atLeast(version, '3.44')) {
          const completed = await api.post(`attachments/${id}/action`, { 'os-complete': {} });
          expect(completed.status).toBe(204);
        }
        check(await api.get(`attachments/${id}`), 200, attachmentBody(), 'GET /attachments/{id}');
        check(await api.get('attachments'), 200, attachmentListBody(), 'GET /attachments');
        check(
          await api.get('attachments/detail'),
          200,
          attachmentDetailListBody(),
          'GET /attachments/detail',
        );
        check(
          await api.delete(`attachments/${id}`),
          200,
          attachmentListBody(),
          'DELETE /attachments/{id}',
        );
        await api.waitForVolume(fixtures.volume, (v) => v?.status === 'available');
      });

      it('backups: create, show, list, detail, restore', async () => {
        const created = await api.post('backups', {
          backup: { volume_id: fixtures.volume, name: `shapes-${version}` },
        });
        check(created, 202, backupCreateBody(), 'POST /backups');
        const id = created.body.backup.id as string;
        await waitForBackup(api, id);
        check(
          await api.get(`backups/${id}`),
          200,
          backupShowBody(version, isAdmin),
          'GET /backups/{id}',
        );
        check(await api.get('backups'), 200, backupListBody(version), 'GET /backups');
        check(
          await api.get('backups/detail'),
          200,
          backupDetailListBody(version, isAdmin),
          'GET /backups/detail',
        );
        const restored = await api.post(`backups/${id}/restore`, { restore: {} });
        check(restored, 202, backupRestoreBody(), 'POST /backups/{id}/restore');
        await api.waitForVolume(restored.body.restore.volume_id as string, (v) =>
          ['available', 'error'].includes(v?.status as string),
        );
        await waitForBackup(api, id);
      });

      it('snapshots: create, show, update, list, detail, metadata', async () => {
        const created = await api.post('snapshots', {
          snapshot: { volume_id: fixtures.volume, name: `shapes-${version}` },
        });
        check(created, 202, snapshotCreateOrUpdateBody(version, isAdmin), 'POST /snapshots');
        const id = created.body.snapshot.id as string;
        await cluster.waitFor(
          async () => (await api.get(`snapshots/${id}`)).body.snapshot?.status !== 'creating',
          30_000,
          () => `snapshot ${id} never left creating`,
        );
        check(
          await api.get(`snapshots/${id}`),
          200,
          snapshotShowBody(version, isAdmin),
          'GET /snapshots/{id}',
        );
        check(
          await api.request('PUT', `snapshots/${id}`, { snapshot: { description: 'shapes' } }),
          200,
          snapshotCreateOrUpdateBody(version, isAdmin),
          'PUT /snapshots/{id}',
        );
        check(await api.get('snapshots'), 200, snapshotListBody(version), 'GET /snapshots');
        check(
          await api.get('snapshots/detail?limit=1'),
          200,
          snapshotDetailListBody(version, isAdmin),
          'GET /snapshots/detail?limit=1',
        );
        check(
          await api.post(`snapshots/${id}/metadata`, { metadata: { a: '1' } }),
          200,
          snapshotMetadataBody(),
          'POST /snapshots/{id}/metadata',
        );
        check(
          await api.get(`snapshots/${id}/metadata`),
          200,
          snapshotMetadataBody(),
          'GET /snapshots/{id}/metadata',
        );
        check(
          await api.request('PUT', `snapshots/${id}/metadata/a`, { meta: { a: '2' } }),
          200,
          snapshotMetadataKeyBody(),
          'PUT /snapshots/{id}/metadata/{key}',
        );
        check(
          await api.get(`snapshots/${id}/metadata/a`),
          200,
          snapshotMetadataKeyBody(),
          'GET /snapshots/{id}/metadata/{key}',
        );
        check(
          await api.request('PUT', `snapshots/${id}/metadata`, { metadata: { b: '3' } }),
          200,
          snapshotMetadataBody(),
          'PUT /snapshots/{id}/metadata',
        );
        check(await api.get(`snapshots/${randomUUID()}`), 404, faultBody(404), 'GET unknown');
      });

      it('types: list, show, default, create, extra_specs', async () => {
        check(await api.get('types'), 200, volumeTypeListBody(version, isAdmin), 'GET /types');
        check(
          await api.get(`types/${fixtures.typeId}`),
          200,
          volumeTypeShowBody(version, isAdmin),
          'GET /types/{id}',
        );
        check(
          await api.get('types/default'),
          200,
          volumeTypeDefaultBody(version, isAdmin),
          'GET /types/default',
        );
        const created = await api.post('types', {
          volume_type: { name: `shapes-${caller.name}-${version}`, description: 'd' },
        });
        adminOnly(created, 200, volumeTypeCreateBody(), 'POST /types');
        check(
          await api.get(`types/${fixtures.typeId}/extra_specs`),
          200,
          extraSpecsBody(isAdmin),
          'GET /types/{id}/extra_specs',
        );
        adminOnly(
          await api.post(`types/${fixtures.typeId}/extra_specs`, {
            extra_specs: { [`key-${version}`]: 'value' },
          }),
          200,
          extraSpecsBody(true),
          'POST /types/{id}/extra_specs',
        );
      });

      it('os-services, os-availability-zone, scheduler-stats/get_pools', async () => {
        adminOnly(await api.get('os-services'), 200, serviceListBody(version), 'GET /os-services');
        const backend = cluster.serviceHost('only');
        adminOnly(await api.get('os-hosts'), 200, hostListBody(), 'GET /os-hosts');
        adminOnly(
          await api.get(`os-hosts/${backend}`),
          200,
          hostShowBody(),
          'GET /os-hosts/{host}',
        );
        adminOnly(
          await api.get(`capabilities/${backend}`),
          200,
          capabilitiesBody(),
          'GET /capabilities/{host}',
        );
        check(await api.get('extensions'), 200, extensionListBody(), 'GET /extensions');
        if (atLeast(version, '3.32')) {
          adminOnly(
            await api.request('PUT', 'os-services/get-log', { binary: 'cinder-volume' }),
            200,
            logLevelsBody(),
            'PUT /os-services/get-log',
          );
        }
        check(
          await api.get('os-availability-zone'),
          200,
          availabilityZoneListBody(),
          'GET /os-availability-zone',
        );
        adminOnly(
          await api.get('scheduler-stats/get_pools'),
          200,
          poolListBody(false),
          'GET /scheduler-stats/get_pools',
        );
        adminOnly(
          await api.get('scheduler-stats/get_pools?detail=true'),
          200,
          poolListBody(true),
          'GET /scheduler-stats/get_pools?detail=true',
        );
      });

      it('messages: list, show (3.3+)', async () => {
        if (!atLeast(version, '3.3')) {
          check(await api.get('messages'), 404, faultBody(404), 'GET /messages < 3.3');
          return;
        }
        const list = await api.get('messages');
        check(list, 200, messageListBody(version), 'GET /messages');
        expect(list.body.messages.length).toBeGreaterThan(0);
        check(
          await api.get(`messages/${fixtures.message}`),
          200,
          messageShowBody(),
          'GET /messages/{id}',
        );
      });

      it('fault bodies: 400 and 404', async () => {
        check(
          await api.post('volumes', { volume: { size: 'big' } }),
          400,
          faultBody(400),
          'POST /volumes (bad size)',
        );
        check(await api.get(`volumes/${randomUUID()}`), 404, faultBody(404), 'GET unknown volume');
        check(await api.get(`backups/${randomUUID()}`), 404, faultBody(404), 'GET unknown backup');
        check(await api.get(`types/${randomUUID()}`), 404, faultBody(404), 'GET unknown type');
        check(await api.get('no-such-collection'), 404, faultBody(404), 'GET unknown route');
      });
    });
  });
});
