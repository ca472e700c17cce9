import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { containersRequired } from './infrastructure';
import { freePort } from './ports';

const KEYSTONE_DIR = join(__dirname, '..', '..', 'keystone');

/**
 * The project's Keystone image (keystone/), built at most once per jest process. Tagged by what
 * keystone/ holds: a run on another checkout, building from other scripts at the same moment,
 * never swaps the image under this one; the build cache keeps unchanged layers.
 */
export const KEYSTONE_IMAGE = `cinderflow-keystone:e2e-${contentHash(KEYSTONE_DIR)}`;

function contentHash(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(join(dir, name)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}
export const KEYSTONE_PASSWORDS = { admin: 'admin', cinderflow: 'cinderflow', demo: 'demo' };

/** cinder-api and glance-api's settings for validating tokens against `url`. */
export function keystoneAuthEnv(url: string): Record<string, string> {
  return {
    AUTH_STRATEGY: 'keystone',
    KEYSTONE_AUTH_URL: url,
    KEYSTONE_USERNAME: 'cinderflow',
    KEYSTONE_PASSWORD: KEYSTONE_PASSWORDS.cinderflow,
    KEYSTONE_PROJECT_NAME: 'service',
    KEYSTONE_USER_DOMAIN_NAME: 'Default',
    KEYSTONE_PROJECT_DOMAIN_NAME: 'Default',
  };
}

/**
 * Whether a container engine may answer: DOCKER_HOST set, or the default socket present. Jest
 * decides `describe` or `describe.skip` synchronously, so this cannot ask the engine itself;
 * the start below fails loudly when the engine named here does not answer.
 */
export function keystoneAvailable(): boolean {
  if (containersRequired()) return true;
  const host = process.env.DOCKER_HOST;
  if (host) return host.startsWith('unix://') ? existsSync(host.slice('unix://'.length)) : true;
  return existsSync('/var/run/docker.sock');
}

/** testcontainers (v10) publishes on every interface: loopback only. */
class LoopbackContainer extends GenericContainer {
  protected override async beforeContainerCreated(): Promise<void> {
    for (const bindings of Object.values(this.hostConfig.PortBindings ?? {})) {
      for (const binding of bindings as { HostIp?: string }[]) binding.HostIp = '127.0.0.1';
    }
  }
}

let built: Promise<void> | undefined;

function buildImage(): Promise<void> {
  built ??= GenericContainer.fromDockerfile(KEYSTONE_DIR)
    .build(KEYSTONE_IMAGE, { deleteOnExit: false })
    .then(() => undefined);
  return built;
}

export interface StartedKeystone {
  container: StartedTestContainer;
  /** `http://127.0.0.1:<port>` (KEYSTONE_AUTH_URL); the identity API is under /v3. */
  url: string;
  stop(): Promise<void>;
}

export interface KeystoneOptions {
  /** The catalog's volumev3 and block-storage URL (`%(project_id)s` for the project). */
  volumeUrl?: string;
  /** The catalog's image URL. */
  imageUrl?: string;
  /** The host port to publish on; a free one otherwise. */
  port?: number;
}

/**
 * Keystone on 127.0.0.1 with the users of keystone/bootstrap.py. The catalog has cinder-api at
 * `volumeUrl` and glance-api at `imageUrl` (by default 127.0.0.1:8776 and :9292) and the
 * identity endpoint at the published port, so that a client on the host (python-openstackclient)
 * finds all three. Ready once `GET /v3` answers after the bootstrap; the caller stops it.
 */
export async function startKeystone(options: KeystoneOptions = {}): Promise<StartedKeystone> {
  await buildImage();
  // Known before the start: the public identity URL in the catalog names it.
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const container = new LoopbackContainer(KEYSTONE_IMAGE)
    .withLabels({
      'org.cinderflow.e2e.host': hostname(),
      'org.cinderflow.e2e.pid': String(process.pid),
    })
    .withEnvironment({
      KEYSTONE_SERVICE_HOST: '127.0.0.1',
      KEYSTONE_PUBLIC_HOST: '127.0.0.1',
      KEYSTONE_PUBLIC_URL: `${url}/v3/`,
      ...(options.volumeUrl ? { KEYSTONE_VOLUME_URL: options.volumeUrl } : {}),
      ...(options.imageUrl ? { KEYSTONE_IMAGE_URL: options.imageUrl } : {}),
    })
    .withExposedPorts({ container: 5000, host: port })
    .withWaitStrategy(
      Wait.forAll([Wait.forLogMessage('keystone ready'), Wait.forHttp('/v3', 5000)]),
    )
    .withStartupTimeout(180_000);
  const started = await container.start();
  return { container: started, url, stop: async () => void (await started.stop()) };
}

/** A project-scoped token for a bootstrap user (POST /v3/auth/tokens with a password). */
export async function keystoneToken(
  url: string,
  user: string,
  password: string,
  project: string,
): Promise<{ token: string; projectId: string; userId: string }> {
  const response = await fetch(`${url}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: user, password, domain: { name: 'Default' } } },
        },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    }),
  });
  const token = response.headers.get('x-subject-token');
  if (response.status !== 201 || !token) {
    throw new Error(`no token for ${user}: ${response.status} ${await response.text()}`);
  }
  const body = (await response.json()) as {
    token: { project: { id: string }; user: { id: string } };
  };
  return { token, projectId: body.token.project.id, userId: body.token.user.id };
}
