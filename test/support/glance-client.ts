/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON that each test picks apart as it needs */
import { type Agent, type ClientRequest, request as httpRequest } from 'node:http';
/**
 * A minimal Glance v2 client for tests: a noauth token, JSON by default; `X-Roles` makes the
 * caller a non-admin (`member`).
 */
export interface GlanceResponse<T = Record<string, any>> {
  status: number;
  /** JSON when the answer is JSON, else the text (webob's HTML error pages). */
  body: T;
  text: string;
  headers: Headers;
}

export class GlanceClient {
  constructor(
    readonly baseUrl: string,
    readonly projectId: string,
    readonly userId = 'e2e-user',
    readonly roles?: string[],
  ) {}

  asProject(projectId: string, roles = this.roles): GlanceClient {
    return new GlanceClient(this.baseUrl, projectId, this.userId, roles);
  }

  /** The same project as a plain member, not an admin. */
  asMember(): GlanceClient {
    return new GlanceClient(this.baseUrl, this.projectId, this.userId, ['member', 'reader']);
  }

  /**
   * An upload (PUT `path`) that sends `first` and waits: the caller ends it or cuts it off. No
   * Content-Length unless `headers` gives one, so the body goes chunked.
   */
  startUpload(
    path: string,
    first: Buffer,
    headers: Record<string, string> = {},
    agent?: Agent,
  ): { req: ClientRequest; response: Promise<{ status: number; text: string }> } {
    const req = httpRequest(`${this.baseUrl}${path}`, {
      agent,
      method: 'PUT',
      headers: {
        'X-Auth-Token': `${this.userId}:${this.projectId}`,
        ...(this.roles ? { 'X-Roles': this.roles.join(',') } : {}),
        'Content-Type': 'application/octet-stream',
        ...headers,
      },
    });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
    });
    req.write(first);
    return { req, response };
  }

  async request<T = Record<string, any>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<GlanceResponse<T>> {
    const raw = body instanceof Uint8Array || typeof body === 'string';
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        'X-Auth-Token': `${this.userId}:${this.projectId}`,
        ...(this.roles ? { 'X-Roles': this.roles.join(',') } : {}),
        ...(body === undefined
          ? {}
          : { 'Content-Type': raw ? 'application/octet-stream' : 'application/json' }),
        ...headers,
      },
      body:
        body === undefined
          ? undefined
          : raw
            ? (body as NonNullable<RequestInit['body']>)
            : JSON.stringify(body),
    });
    const text = await res.text();
    const json = (res.headers.get('content-type') ?? '').includes('json') && text.length > 0;
    return {
      status: res.status,
      body: (json ? JSON.parse(text) : text) as T,
      text,
      headers: res.headers,
    };
  }

  get<T = Record<string, any>>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = Record<string, any>>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  put<T = Record<string, any>>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PUT', path, body, headers);
  }
  patch<T = Record<string, any>>(path: string, operations: unknown[]) {
    return this.request<T>('PATCH', path, JSON.stringify(operations), {
      'Content-Type': 'application/openstack-images-v2.1-json-patch',
    });
  }
  delete<T = Record<string, any>>(path: string) {
    return this.request<T>('DELETE', path);
  }
}
