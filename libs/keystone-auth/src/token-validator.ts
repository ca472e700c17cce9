import { createHash } from 'node:crypto';

/** The service user keystonemiddleware's `[keystone_authtoken]` section names. */
export interface KeystoneAuthOptions {
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
  /** Validated tokens kept (least recently used dropped first). */
  cacheSize?: number;
  /** Per request to Keystone. */
  timeoutMs?: number;
  /** The service token is renewed this long before it expires. */
  renewBeforeMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** What a valid token says about its holder: the request context's source. */
export interface TokenInfo {
  userId: string;
  userName: string;
  userDomainId?: string;
  projectId: string;
  projectName: string;
  projectDomainId?: string;
  roles: string[];
  isAdmin: boolean;
  expiresAt: number;
}

/** Keystone did not answer (or answered 5xx): the API says 503, not 401. */
export class KeystoneUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeystoneUnavailableError';
  }
}

interface TokenBody {
  token?: {
    expires_at?: string;
    user?: { id?: string; name?: string; domain?: { id?: string } };
    project?: { id?: string; name?: string; domain?: { id?: string } };
    roles?: { name?: string }[];
  };
}

/** `http://host:5000`, `http://host:5000/v3/` and `http://host/identity/v3` alike. */
export function identityV3(authUrl: string): string {
  const base = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(base) ? base : `${base}/v3`;
}

/** The `WWW-Authenticate` value keystonemiddleware sends with its 401s. */
export function wwwAuthenticate(authUrl: string): string {
  return `Keystone uri="${authUrl}"`;
}

/**
 * Validates user tokens as keystonemiddleware's auth_token does: `GET /v3/auth/tokens` with the
 * token in `X-Subject-Token`, authenticated by the service user's own token, which is renewed
 * before it expires. Valid tokens are cached until they expire (bounded, LRU); only
 * project-scoped tokens are accepted, since every API call acts in a project.
 */
export class KeystoneTokenValidator {
  private readonly cache = new Map<string, TokenInfo>();
  private serviceToken?: { value: string; expiresAt: number };
  private pendingServiceToken?: Promise<string>;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly base: string;

  constructor(private readonly options: KeystoneAuthOptions) {
    this.fetchFn = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
    this.base = identityV3(options.authUrl);
  }

  get authUrl(): string {
    return this.options.authUrl;
  }

  /** The token's holder, or null when Keystone does not know the token (or it has no project). */
  async validate(token: string): Promise<TokenInfo | null> {
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      if (cached.expiresAt > this.now()) {
        this.cache.set(key, cached); // most recently used last
        return cached;
      }
    }
    let response = await this.check(token, await this.currentServiceToken());
    if (response.status === 401) {
      // Our own token was revoked or expired early: get a new one, once.
      this.serviceToken = undefined;
      response = await this.check(token, await this.currentServiceToken());
    }
    if (response.status >= 500) {
      throw new KeystoneUnavailableError(`Keystone answered ${response.status}`);
    }
    if (response.status === 401 || response.status === 403) {
      throw new KeystoneUnavailableError(
        `the service user may not validate tokens (Keystone answered ${response.status})`,
      );
    }
    if (response.status !== 200) return null;
    const info = parseToken((await response.json()) as TokenBody);
    if (!info || info.expiresAt <= this.now()) return null;
    this.cache.set(key, info);
    const limit = this.options.cacheSize ?? 1000;
    while (this.cache.size > limit) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
    return info;
  }

  private async check(token: string, serviceToken: string): Promise<Response> {
    return this.request(`${this.base}/auth/tokens`, {
      method: 'GET',
      headers: { 'X-Auth-Token': serviceToken, 'X-Subject-Token': token },
    });
  }

  private async currentServiceToken(): Promise<string> {
    const renewBefore = this.options.renewBeforeMs ?? 120_000;
    if (this.serviceToken && this.serviceToken.expiresAt - renewBefore > this.now()) {
      return this.serviceToken.value;
    }
    // Concurrent requests share one authentication.
    this.pendingServiceToken ??= this.authenticate().finally(() => {
      this.pendingServiceToken = undefined;
    });
    return this.pendingServiceToken;
  }

  private async authenticate(): Promise<string> {
    const o = this.options;
    const response = await this.request(`${this.base}/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: {
              user: { name: o.username, password: o.password, domain: { name: o.userDomainName } },
            },
          },
          scope: { project: { name: o.projectName, domain: { name: o.projectDomainName } } },
        },
      }),
    });
    const value = response.headers.get('x-subject-token');
    if (response.status !== 201 || !value) {
      throw new KeystoneUnavailableError(
        `the service user could not authenticate (Keystone answered ${response.status})`,
      );
    }
    const body = (await response.json()) as TokenBody;
    const expiresAt = Date.parse(body.token?.expires_at ?? '');
    this.serviceToken = { value, expiresAt: Number.isNaN(expiresAt) ? this.now() : expiresAt };
    return value;
  }

  private async request(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchFn(url, {
        ...init,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new KeystoneUnavailableError(`Keystone unreachable: ${(error as Error).message}`);
    }
  }
}

function parseToken(body: TokenBody): TokenInfo | null {
  const token = body.token;
  const expiresAt = Date.parse(token?.expires_at ?? '');
  if (!token?.user?.id || !token.project?.id || Number.isNaN(expiresAt)) return null;
  const roles = (token.roles ?? [])
    .map((role) => role.name?.toLowerCase())
    .filter((name): name is string => !!name);
  return {
    userId: token.user.id,
    userName: token.user.name ?? token.user.id,
    userDomainId: token.user.domain?.id,
    projectId: token.project.id,
    projectName: token.project.name ?? token.project.id,
    projectDomainId: token.project.domain?.id,
    roles,
    isAdmin: roles.includes('admin'),
    expiresAt,
  };
}

/** The settings libs/config's authSpec reads (keystonemiddleware's option names). */
export interface AuthSettings {
  AUTH_STRATEGY: string;
  KEYSTONE_AUTH_URL: string;
  KEYSTONE_USERNAME: string;
  KEYSTONE_PASSWORD: string;
  KEYSTONE_PROJECT_NAME: string;
  KEYSTONE_USER_DOMAIN_NAME: string;
  KEYSTONE_PROJECT_DOMAIN_NAME: string;
  KEYSTONE_TOKEN_CACHE_SIZE: number;
}

/** The validator `AUTH_STRATEGY=keystone` asks for; undefined for noauth. */
export function validatorFromSettings(settings: AuthSettings): KeystoneTokenValidator | undefined {
  if (settings.AUTH_STRATEGY !== 'keystone') return undefined;
  const missing = (['KEYSTONE_AUTH_URL', 'KEYSTONE_USERNAME', 'KEYSTONE_PASSWORD'] as const).filter(
    (key) => !settings[key],
  );
  if (missing.length > 0) {
    throw new Error(`AUTH_STRATEGY=keystone needs ${missing.join(', ')}`);
  }
  return new KeystoneTokenValidator({
    authUrl: settings.KEYSTONE_AUTH_URL,
    username: settings.KEYSTONE_USERNAME,
    password: settings.KEYSTONE_PASSWORD,
    projectName: settings.KEYSTONE_PROJECT_NAME,
    userDomainName: settings.KEYSTONE_USER_DOMAIN_NAME,
    projectDomainName: settings.KEYSTONE_PROJECT_DOMAIN_NAME,
    cacheSize: settings.KEYSTONE_TOKEN_CACHE_SIZE,
  });
}
