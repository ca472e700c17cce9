/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON that each test picks apart as it needs */
/** A minimal Cinder v3 client for tests: noauth token, project in the URL, JSON in and out. */
export interface ApiResponse<T = Record<string, any>> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    readonly projectId: string,
    readonly userId = 'e2e-user',
    private readonly version?: string,
  ) {}

  withVersion(version: string): ApiClient {
    return new ApiClient(this.baseUrl, this.projectId, this.userId, version);
  }

  asProject(projectId: string, userId = this.userId): ApiClient {
    return new ApiClient(this.baseUrl, projectId, userId, this.version);
  }

  async request<T = Record<string, any>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const url = path.startsWith('/')
      ? `${this.baseUrl}${path}`
      : `${this.baseUrl}/v3/${this.projectId}/${path}`;
    const res = await fetch(url, {
      method,
      headers: {
        'X-Auth-Token': `${this.userId}:${this.projectId}`,
        'Content-Type': 'application/json',
        ...(this.version ? { 'OpenStack-API-Version': `volume ${this.version}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T, headers: res.headers };
  }

  get<T = Record<string, any>>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = Record<string, any>>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  delete<T = Record<string, any>>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** Polls a volume until `done` holds (or it is gone: `null`). */
  async waitForVolume(
    id: string,
    done: (volume: Record<string, any> | null) => boolean,
    timeoutMs = 20_000,
  ) {
    const deadline = Date.now() + timeoutMs;
    let last: Record<string, any> | null = null;
    while (Date.now() < deadline) {
      const res = await this.get(`volumes/${id}`);
      last = res.status === 404 ? null : (res.body.volume as Record<string, any>);
      if (done(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `volume ${id} never reached the expected state; last seen: ${JSON.stringify(last)}`,
    );
  }
}

export const PROJECT_A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const PROJECT_B = 'b1b2c3d4e5f60718293a4b5c6d7e8f90';
