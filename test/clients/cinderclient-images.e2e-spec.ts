import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from '../support/cluster';
import { CLI_PROJECT, cinderCli, properties, requireCinderCli, table } from '../support/cinder-cli';
import { glanceCli, hasGlanceCli } from '../support/glance-cli';

const BACKEND = 'cli';

/**
 * Issue 12's real CLIs: `glance image-create --file` uploads an image, `cinder create --image`
 * (by name or id) makes a bootable volume holding its bytes, and cinder's refusals as it prints
 * them.
 */
describe('the real cinder CLI: create --image', () => {
  const cluster = new Cluster([{ name: BACKEND, capacityGb: 100 }]);
  const cinder = cinderCli(cluster);
  const glance = glanceCli(cluster, CLI_PROJECT);
  const withGlance = hasGlanceCli();

  beforeAll(async () => {
    requireCinderCli();
    await cluster.start();
    await cluster.startGlanceApi();
  });
  afterAll(() => cluster.stop());

  function read(id: string, length: number): Buffer {
    const fd = openSync(join(cluster.dataDir(BACKEND), `volume-${id}`), 'r');
    try {
      const bytes = Buffer.alloc(length);
      readSync(fd, bytes, 0, length, 0);
      return bytes;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * `cinder show` as {property: value}; a dict value (volume_image_metadata) spans several rows,
   * `key : value` each, the rows after its first with an empty Property column.
   */
  function showTable(output: string): Record<string, string | string[]> {
    const shown: Record<string, string | string[]> = {};
    let last = '';
    for (const row of table(output)) {
      if (row.Property !== '') {
        last = row.Property;
        shown[last] = row.Value;
      } else {
        const earlier = shown[last];
        shown[last] = [...(Array.isArray(earlier) ? earlier : [earlier]), row.Value];
      }
    }
    return shown;
  }

  async function settled(id: string): Promise<Record<string, string | string[]>> {
    let shown: Record<string, string | string[]> = {};
    await cluster.waitFor(
      async () => {
        shown = showTable(await cinder('show', id));
        return shown.status === 'available' || shown.status === 'error';
      },
      30_000,
      () => `volume ${id} never settled: ${JSON.stringify(shown)}`,
    );
    return shown;
  }

  async function refusal(...args: string[]): Promise<string> {
    try {
      await cinder(...args);
    } catch (error) {
      return String((error as { stderr?: string }).stderr);
    }
    throw new Error(`cinder ${args.join(' ')} was not refused`);
  }

  (withGlance ? it : it.skip)(
    'glance image-create --file, then cinder create --image by name and by id',
    async () => {
      const data = randomBytes(256 * 1024);
      const path = join(cluster.workDir, 'cli-image.raw');
      writeFileSync(path, data);
      const image = properties(
        await glance(
          'image-create',
          '--name',
          'cli-image',
          '--disk-format',
          'raw',
          '--container-format',
          'bare',
          '--property',
          'os_distro=cirros',
          '--file',
          path,
        ),
      );
      expect(image).toMatchObject({ status: 'active', size: String(data.length) });

      for (const ref of ['cli-image', image.id]) {
        const created = properties(await cinder('create', '--image', ref, '--name', 'booted', '1'));
        expect(created).toMatchObject({ status: 'creating', size: '1', bootable: 'false' });
        const shown = await settled(created.id);
        expect(shown).toMatchObject({ status: 'available', bootable: 'true' });
        // cinderclient prints the image metadata one `key : value` row each.
        expect([...shown.volume_image_metadata].sort()).toEqual(
          [
            `checksum : ${image.checksum}`,
            'container_format : bare',
            'disk_format : raw',
            `image_id : ${image.id}`,
            'image_name : cli-image',
            'min_disk : 0',
            'min_ram : 0',
            'os_distro : cirros',
            'signature_verified : False',
            `size : ${data.length}`,
          ].sort(),
        );
        expect(read(created.id, data.length).equals(data)).toBe(true);
      }
    },
  );

  (withGlance ? it : it.skip)("prints Cinder's refusals", async () => {
    expect(await refusal('create', '--image', 'no-such-image', '1')).toContain(
      'ERROR: Invalid image identifier or unable to access requested image. (HTTP 400)',
    );
    const queued = properties(await glance('image-create', '--name', 'cli-queued'));
    expect(await refusal('create', '--image', queued.id, '1')).toContain(
      `ERROR: Invalid input received: Image ${queued.id} is not active. (HTTP 400)`,
    );
    // With an image the size is needed: the client says so before asking (as the API would).
    expect(await refusal('create', '--image', 'cli-image')).toContain(
      'error: Size is a required parameter if snapshot or source volume or backup is not specified.',
    );
  });
});
