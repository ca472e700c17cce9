import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../support/api-client';
import { Cluster } from '../support/cluster';
import { digestOfFile } from '../support/sparse-read';
import { CLI_PROJECT, cinderCli, properties, requireCinderCli } from '../support/cinder-cli';
import { glanceCli, hasGlanceCli } from '../support/glance-cli';

const GiB = 1024 ** 3;
const describeCli = hasGlanceCli() ? describe : describe.skip;

const md5Of = (path: string) => digestOfFile(path, 'md5');

/**
 * Issue 12, "The real CLIs: ... `cinder upload-to-image`, `glance image-download`": Debian's
 * python-cinderclient uploads a volume, python-glanceclient downloads the image it became.
 */
describeCli('the real cinder and glance CLIs: upload-to-image, then image-download', () => {
  const cluster = new Cluster([{ name: 'cli', capacityGb: 100 }]);
  const cinder = cinderCli(cluster);
  const v31 = (...args: string[]) => cinder('--os-volume-api-version', '3.1', ...args);
  let glance: ReturnType<typeof glanceCli>;

  beforeAll(async () => {
    requireCinderCli();
    await cluster.start();
    await cluster.startGlanceApi();
    glance = glanceCli(cluster, CLI_PROJECT);
  });
  afterAll(() => cluster.stop());

  async function volume(name: string): Promise<string> {
    const { id } = properties(await cinder('create', '--name', name, '1'));
    await waitFor(async () => properties(await cinder('show', id)).status === 'available');
    return id;
  }

  async function waitFor(done: () => Promise<boolean>, what = 'condition') {
    await cluster.waitFor(done, 60_000, () => `${what} never held`);
  }

  const imageShown = async (id: string) => properties(await glance('image-show', id));

  it('upload-to-image prints the upload; image-download gives back the bytes', async () => {
    const id = await volume('to-image');
    const file = join(cluster.dataDir('cli'), `volume-${id}`);
    const fd = openSync(file, 'r+');
    writeSync(fd, randomBytes(3 * 1024 * 1024), 0, 3 * 1024 * 1024, 0);
    writeSync(fd, randomBytes(4096), 0, 4096, GiB - 4096);
    closeSync(fd);

    const shown = properties(await cinder('upload-to-image', id, 'cli-image'));
    expect(shown).toMatchObject({
      id,
      status: 'uploading',
      image_name: 'cli-image',
      container_format: 'bare',
      disk_format: 'raw',
      size: '1',
      // cinderclient prints the name of the volume type object Cinder answers with.
      volume_type: '__DEFAULT__',
    });
    const imageId = shown.image_id;
    await waitFor(async () => (await imageShown(imageId)).status === 'active', 'image active');
    await waitFor(async () => properties(await cinder('show', id)).status === 'available');

    const image = await imageShown(imageId);
    const md5 = await md5Of(file);
    expect(image).toMatchObject({
      name: 'cli-image',
      owner: CLI_PROJECT,
      size: String(GiB),
      checksum: md5,
    });
    const downloaded = join(cluster.workDir, 'cli-image.raw');
    await glance('image-download', '--file', downloaded, imageId);
    expect(await md5Of(downloaded)).toBe(md5);
    await glance('image-delete', imageId);
  });

  it('3.1: --visibility and --protected reach the image', async () => {
    const id = await volume('to-shared-image');
    const shown = properties(
      await v31(
        'upload-to-image',
        '--visibility',
        'shared',
        '--protected',
        'True',
        '--disk-format',
        'qcow2',
        id,
        'cli-shared',
      ),
    );
    expect(shown).toMatchObject({ visibility: 'shared', protected: 'True', disk_format: 'qcow2' });
    await waitFor(
      async () => (await imageShown(shown.image_id)).status === 'active',
      'image active',
    );
    expect(await imageShown(shown.image_id)).toMatchObject({
      visibility: 'shared',
      protected: 'True',
      disk_format: 'qcow2',
    });
    await waitFor(async () => properties(await cinder('show', id)).status === 'available');
    await glance('image-update', '--protected', 'False', shown.image_id);
    await glance('image-delete', shown.image_id);
  });

  it("an in-use volume is refused, --force or not, while enable_force_upload is off (Cinder's default)", async () => {
    const id = await volume('attached');
    const api = new ApiClient(cluster.apiUrl, CLI_PROJECT).withVersion('3.44');
    const attachment = await api.post('attachments', {
      attachment: { volume_uuid: id, instance_uuid: randomUUID(), connector: { host: 'c1' } },
    });
    await api.post(`attachments/${attachment.body.attachment.id as string}/action`, {
      'os-complete': {},
    });
    await waitFor(async () => properties(await cinder('show', id)).status === 'in-use');
    for (const force of [[], ['--force', 'True']]) {
      const refused = await cinder('upload-to-image', ...force, id, 'never').then(
        () => 'accepted',
        (error: { stderr?: string }) => (error.stderr ?? '').trim(),
      );
      expect(refused).toMatch(
        new RegExp(`^ERROR: Invalid volume: Volume ${id} status must be available \\(HTTP 400\\)`),
      );
    }
  });
});
