/* eslint-disable @typescript-eslint/no-explicit-any -- the compose file is YAML picked apart here */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { COMPOSE_SERVICES, ComposeProject, findCompose, ROOT, SMOKE_PROJECT } from './compose-cli';

// compose-spec.schema.json is schema/compose-spec.json of github.com/compose-spec/compose-spec
// (commit 170098ba, Apache-2.0): the schema `docker compose` v2 validates files against. Only
// compose v1 runs on CI's machine, so this is how v2 compatibility is checked there.
const schema = JSON.parse(readFileSync(join(__dirname, 'compose-spec.schema.json'), 'utf8'));
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as Record<string, any>;
const services = compose.services as Record<string, Record<string, any>>;
const ours = Object.keys(services).filter((name) => /^(cinder|glance)-/.test(name));

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification that compose v2 uses', () => {
    const validate = new Ajv({ strict: false, allErrors: true, validateSchema: false }).compile(
      schema,
    );
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(compose.version).toBeUndefined(); // obsolete in v2, and it would cap v1's features
  });

  const cli = findCompose();
  (cli ? it : it.skip)(`parses with the compose CLI here (${cli?.join(' ')} config)`, async () => {
    await new ComposeProject(cli!, SMOKE_PROJECT).run(['config', '-q']);
  });

  it('runs every service, each with a health check; Keystone only with its profile', () => {
    const always = Object.keys(services).filter((name) => !services[name]!.profiles);
    expect(always.sort()).toEqual(COMPOSE_SERVICES);
    expect(services.keystone!.profiles).toEqual(['keystone']);
    for (const [name, service] of Object.entries(services)) {
      expect([name, service.healthcheck?.test]).toEqual([name, expect.any(Array)]);
    }
  });

  it('starts the services only once what they need is healthy', () => {
    for (const name of ours) {
      expect([name, services[name]!.depends_on]).toEqual([
        name,
        {
          postgres: { condition: 'service_healthy' },
          rabbitmq: { condition: 'service_healthy' },
        },
      ]);
    }
  });

  it('builds one image from the repository and configures it by environment only', () => {
    for (const name of ours) {
      const service = services[name]!;
      expect([name, service.build, service.image, service.init]).toEqual([
        name,
        '.',
        'cinderflow:local',
        true, // the image has no init of its own
      ]);
      expect(service.env_file).toBeUndefined();
      expect(service.configs).toBeUndefined();
      for (const mount of (service.volumes ?? []) as string[]) {
        // named volumes only: no host folder or config file bind-mounted in
        expect(Object.keys(compose.volumes)).toContain(mount.split(':')[0]);
      }
    }
  });

  it('keeps data in named volumes, the backends shared with cinder-backup', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual([
      'backups',
      'images',
      'pgdata',
      'volumes-1',
      'volumes-2',
    ]);
    expect(services.postgres!.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
    // cinder-backup reads and writes volumes at the paths their cinder-volume hands out
    const backupMounts = services['cinder-backup']!.volumes as string[];
    expect(backupMounts).toContain(`backups:${services['cinder-backup']!.environment.BACKUP_DIR}`);
    for (const name of ['cinder-volume-1', 'cinder-volume-2']) {
      expect(services[name]!.volumes).toEqual([
        expect.stringMatching(`^volumes-\\d:${services[name]!.environment.VOLUME_DATA_DIR}$`),
      ]);
      expect(backupMounts).toEqual(expect.arrayContaining(services[name]!.volumes));
    }
  });

  it("gives glance-scrubber glance-api's stores, on the same volume", () => {
    const api = services['glance-api']!;
    const scrubber = services['glance-scrubber']!;
    expect(scrubber.environment.GLANCE_STORES).toBe(api.environment.GLANCE_STORES);
    expect(scrubber.volumes).toEqual(api.volumes);
    expect(scrubber.environment.CINDER_BINARY).toBe('glance-scrubber');
  });

  it('gives glance-task-worker the stores of glance-api and the process health check', () => {
    const worker = services['glance-task-worker']!;
    // The worker writes imported images where glance-api reads them.
    expect(worker.environment.GLANCE_STORES).toBe(
      services['glance-api']!.environment.GLANCE_STORES,
    );
    expect(worker.volumes).toEqual(services['glance-api']!.volumes);
    expect(worker.environment.CINDER_BINARY).toBe('glance-task-worker');
    expect(worker.healthcheck).toEqual(services['cinder-scheduler']!.healthcheck);
  });

  it('publishes the APIs only, and only on 127.0.0.1', () => {
    const published = Object.entries(services).filter(([, s]) => s.ports);
    expect(published.map(([name]) => name)).toEqual(['cinder-api', 'glance-api', 'keystone']);
    expect(services['cinder-api']!.ports).toEqual(['127.0.0.1:${CINDER_API_PORT:-8776}:8776']);
    expect(services['glance-api']!.ports).toEqual(['127.0.0.1:${GLANCE_API_PORT:-9292}:9292']);
    expect(services.keystone!.ports).toEqual(['127.0.0.1:${KEYSTONE_PORT:-5000}:5000']);
  });

  it('authenticates with noauth unless AUTH_STRATEGY=keystone, then at the profile’s Keystone', () => {
    for (const name of ['cinder-api', 'glance-api']) {
      expect([name, services[name]!.environment]).toEqual([
        name,
        expect.objectContaining({
          AUTH_STRATEGY: '${AUTH_STRATEGY:-noauth}',
          KEYSTONE_AUTH_URL: 'http://keystone:5000',
          KEYSTONE_USERNAME: 'cinderflow',
        }),
      ]);
    }
    // The catalog names what the host reaches: the published ports, whatever they are.
    expect(services.keystone!.environment).toMatchObject({
      KEYSTONE_PUBLIC_URL: 'http://127.0.0.1:${KEYSTONE_PORT:-5000}/v3/',
      KEYSTONE_VOLUME_URL: 'http://127.0.0.1:${CINDER_API_PORT:-8776}/v3/%(project_id)s',
      KEYSTONE_IMAGE_URL: 'http://127.0.0.1:${GLANCE_API_PORT:-9292}',
    });
    expect(services.keystone!.build).toBe('./keystone');
  });

  it('ships a clouds.yaml for each Keystone user, at the default published port', () => {
    const clouds = parse(readFileSync(join(ROOT, 'keystone', 'clouds.yaml'), 'utf8'), {
      merge: true,
    }).clouds as Record<string, { auth: Record<string, string> }>;
    expect(
      Object.entries(clouds).map(([name, c]) => [name, c.auth.username, c.auth.project_name]),
    ).toEqual([
      ['cinderflow-admin', 'admin', 'admin'],
      ['cinderflow-member', 'member', 'demo'],
      ['cinderflow-reader', 'reader', 'demo'],
      ['cinderflow-other', 'other', 'other'],
    ]);
    for (const cloud of Object.values(clouds)) {
      expect(cloud.auth.auth_url).toBe('http://127.0.0.1:5000/v3');
    }
  });
});
