import { KeystoneTokenValidator, KeystoneUnavailableError, identityV3 } from './token-validator';

/** A Keystone that knows a few user tokens and hands the service user numbered tokens. */
function fakeKeystone(now: () => number) {
  const calls: { method: string; auth?: string; subject?: string }[] = [];
  let issued = 0;
  const users = new Map<string, { project?: string; roles: string[] }>([
    ['good', { project: 'p1', roles: ['member', 'reader'] }],
    ['admin-token', { project: 'p0', roles: ['admin'] }],
    ['unscoped', { roles: [] }],
  ]);
  const state = { down: false, serviceLifetimeMs: 3_600_000 };
  const fetchFn = (async (url: string, init: RequestInit) => {
    if (state.down) throw new TypeError('fetch failed');
    const headers = init.headers as Record<string, string>;
    calls.push({
      method: init.method!,
      auth: headers['X-Auth-Token'],
      subject: headers['X-Subject-Token'],
    });
    expect(url).toBe('http://ks:5000/v3/auth/tokens');
    const expires = (ms: number) => new Date(now() + ms).toISOString();
    if (init.method === 'POST') {
      issued += 1;
      return new Response(
        JSON.stringify({ token: { expires_at: expires(state.serviceLifetimeMs) } }),
        {
          status: 201,
          headers: { 'X-Subject-Token': `svc-${issued}` },
        },
      );
    }
    if (headers['X-Auth-Token'] !== `svc-${issued}`) return new Response('{}', { status: 401 });
    const user = users.get(headers['X-Subject-Token']);
    if (!user) return new Response('{}', { status: 404 });
    return Response.json({
      token: {
        expires_at: expires(600_000),
        user: { id: `u-${headers['X-Subject-Token']}`, name: 'someone', domain: { id: 'default' } },
        project: user.project
          ? { id: user.project, name: 'proj', domain: { id: 'default' } }
          : undefined,
        roles: user.roles.map((name) => ({ id: name, name })),
      },
    });
  }) as unknown as typeof fetch;
  return { calls, fetchFn, state, revokeService: () => (issued += 100) };
}

describe('KeystoneTokenValidator', () => {
  let clock: number;
  const now = () => clock;
  beforeEach(() => (clock = Date.parse('2026-01-01T00:00:00Z')));

  function validator(keystone: ReturnType<typeof fakeKeystone>, cacheSize = 10) {
    return new KeystoneTokenValidator({
      authUrl: 'http://ks:5000/',
      username: 'cinderflow',
      password: 'pw',
      projectName: 'service',
      userDomainName: 'Default',
      projectDomainName: 'Default',
      cacheSize,
      fetch: keystone.fetchFn,
      now,
    });
  }

  it('normalises the auth url to its v3 root', () => {
    expect(identityV3('http://h:5000')).toBe('http://h:5000/v3');
    expect(identityV3('http://h/identity/v3/')).toBe('http://h/identity/v3');
  });

  it('turns a valid token into user, project and roles; admin is whoever has the admin role', async () => {
    const keystone = fakeKeystone(now);
    const v = validator(keystone);
    await expect(v.validate('good')).resolves.toMatchObject({
      userId: 'u-good',
      projectId: 'p1',
      roles: ['member', 'reader'],
      isAdmin: false,
    });
    await expect(v.validate('admin-token')).resolves.toMatchObject({
      isAdmin: true,
      projectId: 'p0',
    });
    expect(keystone.calls[0]).toEqual({ method: 'POST', auth: undefined, subject: undefined });
    expect(keystone.calls[1]).toEqual({ method: 'GET', auth: 'svc-1', subject: 'good' });
  });

  it('refuses unknown and unscoped tokens', async () => {
    const v = validator(fakeKeystone(now));
    await expect(v.validate('bogus')).resolves.toBeNull();
    await expect(v.validate('unscoped')).resolves.toBeNull();
  });

  it('caches a validation until the token expires', async () => {
    const keystone = fakeKeystone(now);
    const v = validator(keystone);
    await v.validate('good');
    await v.validate('good');
    expect(keystone.calls.filter((c) => c.method === 'GET')).toHaveLength(1);
    clock += 600_001;
    await v.validate('good');
    expect(keystone.calls.filter((c) => c.method === 'GET')).toHaveLength(2);
  });

  it('keeps the cache bounded, dropping the least recently used', async () => {
    const keystone = fakeKeystone(now);
    const v = validator(keystone, 1);
    await v.validate('good');
    await v.validate('admin-token');
    await v.validate('good');
    expect(keystone.calls.filter((c) => c.method === 'GET')).toHaveLength(3);
  });

  it('renews its own token before it expires, and once when Keystone refuses it', async () => {
    const keystone = fakeKeystone(now);
    keystone.state.serviceLifetimeMs = 200_000;
    const v = validator(keystone, 0);
    await v.validate('good');
    clock += 90_000; // within two minutes of expiry
    await v.validate('good');
    expect(keystone.calls.filter((c) => c.method === 'POST')).toHaveLength(2);
    keystone.revokeService();
    await expect(v.validate('good')).resolves.toMatchObject({ userId: 'u-good' });
    expect(keystone.calls.filter((c) => c.method === 'POST')).toHaveLength(3);
  });

  it('says Keystone is unavailable when it does not answer', async () => {
    const keystone = fakeKeystone(now);
    keystone.state.down = true;
    await expect(validator(keystone).validate('good')).rejects.toBeInstanceOf(
      KeystoneUnavailableError,
    );
  });
});
