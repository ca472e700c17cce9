import { Cluster } from '../support/cluster';
import {
  KEYSTONE_PASSWORDS,
  keystoneAuthEnv,
  keystoneAvailable,
  keystoneToken,
  type StartedKeystone,
} from '../support/keystone';

// Issue 13, "Authentication": AUTH_STRATEGY=keystone validates each X-Auth-Token as
// keystonemiddleware does; the token's user, project and roles become the request context;
// missing or invalid token → 401 with WWW-Authenticate; Keystone unreachable → 503; the URL's
// project id must match the token's.
const available = keystoneAvailable();
if (!available)
  process.stdout.write('[e2e] SKIPPING the keystone suite: it needs a container engine\n');

type Caller = { token: string; projectId: string; userId: string };

(available ? describe : describe.skip)('AUTH_STRATEGY=keystone with a real Keystone', () => {
  let keystone: StartedKeystone | undefined;
  let cluster: Cluster;
  const callers: Record<'admin' | 'member' | 'reader', Caller> = {} as never;

  beforeAll(async () => {
    const { startKeystone } = await import('../support/keystone');
    keystone = await startKeystone();
    const auth = keystoneAuthEnv(keystone.url);
    cluster = new Cluster([], {}, { apiEnv: auth });
    await cluster.start();
    await cluster.startGlanceApi(auth);
    callers.admin = await keystoneToken(keystone.url, 'admin', KEYSTONE_PASSWORDS.admin, 'admin');
    callers.member = await keystoneToken(keystone.url, 'member', KEYSTONE_PASSWORDS.demo, 'demo');
    callers.reader = await keystoneToken(keystone.url, 'reader', KEYSTONE_PASSWORDS.demo, 'demo');
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
    await keystone?.stop();
  });

  const cinder = (path: string, token?: string, init: RequestInit = {}) =>
    fetch(`${cluster.apiUrl}${path}`, {
      ...init,
      headers: {
        ...(token ? { 'X-Auth-Token': token } : {}),
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
    });
  const glance = (path: string, token?: string, init: RequestInit = {}) =>
    fetch(`${cluster.glanceUrl}${path}`, {
      ...init,
      headers: {
        ...(token ? { 'X-Auth-Token': token } : {}),
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
    });

  it.each(['admin', 'member', 'reader'] as const)(
    'lets %s list volumes and images of its own project',
    async (who) => {
      const { token, projectId } = callers[who];
      const volumes = await cinder(`/v3/${projectId}/volumes`, token);
      expect(volumes.status).toBe(200);
      expect(await volumes.json()).toEqual({ volumes: [] });
      const images = await glance('/v2/images', token);
      expect(images.status).toBe(200);
    },
  );

  it("takes the caller's project and user from the token", async () => {
    const { token, projectId } = callers.member;
    const created = await glance('/v2/images', token, {
      method: 'POST',
      body: JSON.stringify({ name: 'from-member', disk_format: 'raw', container_format: 'bare' }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ owner: projectId });
  });

  it('refuses a missing or bogus token with 401 and where to get one', async () => {
    const { projectId } = callers.member;
    for (const token of [undefined, 'gAAAAABbogus']) {
      const volumes = await cinder(`/v3/${projectId}/volumes`, token);
      expect(volumes.status).toBe(401);
      expect(volumes.headers.get('www-authenticate')).toBe(`Keystone uri="${keystone!.url}"`);
      expect(await volumes.json()).toEqual({
        unauthorized: {
          code: 401,
          message: 'The request you have made requires authentication.',
        },
      });
      const images = await glance('/v2/images', token);
      expect(images.status).toBe(401);
      expect(images.headers.get('www-authenticate')).toBe(`Keystone uri="${keystone!.url}"`);
    }
  });

  it("refuses another project's id in the URL with Cinder's 400", async () => {
    const response = await cinder(`/v3/${callers.admin.projectId}/volumes`, callers.member.token);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      badRequest: { code: 400, message: 'Malformed request url' },
    });
  });

  it('answers 503 while Keystone is down (the validated tokens cached still pass)', async () => {
    const { projectId, token } = callers.reader;
    await keystone!.stop();
    keystone = undefined;
    const unknown = await cinder(`/v3/${projectId}/volumes`, 'gAAAAABnever-seen');
    expect(unknown.status).toBe(503);
    const image = await glance('/v2/images', 'gAAAAABnever-seen');
    expect(image.status).toBe(503);
    const cached = await cinder(`/v3/${projectId}/volumes`, token);
    expect(cached.status).toBe(200);
  });
});
