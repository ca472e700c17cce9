import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { REQUEST_ID_HEADER, type RequestContext } from '@cinderflow/request-context';

/** An image as Glance's v2 API shows it (the fields Cinder reads; custom properties beside). */
export interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  owner: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  protected: boolean;
  [property: string]: unknown;
}

/** A Glance schema document: each property's JSON schema, custom ones marked `is_base: false`. */
export interface ImageSchema {
  name: string;
  properties: Record<string, { is_base?: boolean } & Record<string, unknown>>;
}

/** glance-api answered with an error status (the HTTP status and webob's explanation). */
export class ImageServiceError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ImageServiceError';
  }
}

/** glance-api could not be reached (refused, reset, timed out): worth trying again. */
export class ImageServiceUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`The image service is unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'ImageServiceUnavailableError';
  }
}

/**
 * Cinder's GlanceImageService (cinder/image/glance.py) for this project's glance-api: the
 * calls cinder-api and cinder-volume make, on behalf of the caller, with its token (Cinder
 * passes context.auth_token) and the request id, so that the image service's log carries it.
 */
export class ImageServiceClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {}

  /** The image, or null when it does not exist or the caller may not see it (Glance: 404). */
  async show(context: RequestContext, id: string): Promise<GlanceImage | null> {
    const res = await this.fetch(context, 'GET', `/v2/images/${encodeURIComponent(id)}`);
    if (res.status === 404) return null;
    return (await this.json(res)) as GlanceImage;
  }

  /**
   * The first page of the images the caller sees that match the filters (Glance's list query,
   * e.g. `{name, limit}`), as Cinder's detail(filters) reads them.
   */
  async list(context: RequestContext, query: Record<string, string>): Promise<GlanceImage[]> {
    const search = new URLSearchParams(query).toString();
    const res = await this.fetch(context, 'GET', `/v2/images${search ? `?${search}` : ''}`);
    return ((await this.json(res)) as { images: GlanceImage[] }).images;
  }

  /**
   * A schema document (`GET /v2/schemas/{name}`): Cinder reads the image schema to tell base
   * properties (`is_base` absent or true) from custom ones, as glanceclient's is_base_property.
   */
  async schema(context: RequestContext, name: string): Promise<ImageSchema> {
    const res = await this.fetch(context, 'GET', `/v2/schemas/${encodeURIComponent(name)}`);
    return (await this.json(res)) as ImageSchema;
  }

  /** Creates an image record (`queued`). */
  async create(context: RequestContext, body: Record<string, unknown>): Promise<GlanceImage> {
    const res = await this.fetch(context, 'POST', '/v2/images', {
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    });
    return (await this.json(res)) as GlanceImage;
  }

  /**
   * The image's data as a stream; its length and Glance's checksum (the MD5 `Content-MD5`
   * gives, hex). The stream errors if the connection breaks before the last byte.
   */
  async download(
    context: RequestContext,
    id: string,
  ): Promise<{ stream: Readable; size: number | null; checksum: string | null }> {
    const res = await this.fetch(context, 'GET', `/v2/images/${encodeURIComponent(id)}/file`, {
      timeout: false,
    });
    if (res.status === 204) {
      throw new ImageServiceError(204, `Image ${id} has no data.`);
    }
    if (res.status !== 200 || !res.body) await this.json(res);
    const length = res.headers.get('content-length');
    return {
      stream: Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>),
      size: length === null ? null : Number(length),
      checksum: res.headers.get('content-md5'),
    };
  }

  /** Streams data into a `queued` image (`PUT /file`): queued → saving → active. */
  async upload(context: RequestContext, id: string, data: Readable, size?: number): Promise<void> {
    const res = await this.fetch(context, 'PUT', `/v2/images/${encodeURIComponent(id)}/file`, {
      body: Readable.toWeb(data) as unknown as ReadableStream<Uint8Array>,
      headers: {
        'Content-Type': 'application/octet-stream',
        ...(size === undefined ? {} : { 'x-openstack-image-size': String(size) }),
      },
      timeout: false,
    });
    if (res.status !== 204) await this.json(res);
  }

  /** Deletes an image; one already gone counts as deleted. */
  async delete(context: RequestContext, id: string): Promise<void> {
    const res = await this.fetch(context, 'DELETE', `/v2/images/${encodeURIComponent(id)}`);
    if (res.status === 404 || res.status === 204) return;
    await this.json(res);
  }

  private async fetch(
    context: RequestContext,
    method: string,
    path: string,
    options: {
      body?: RequestInit['body'];
      headers?: Record<string, string>;
      timeout?: boolean;
    } = {},
  ): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl.replace(/\/+$/, '')}${path}`, {
        method,
        body: options.body,
        // A streamed request body (an upload) needs half-duplex.
        ...(options.body instanceof ReadableStream ? { duplex: 'half' } : {}),
        headers: {
          // noauth's token when the caller came without one of its own (work the service
          // started itself); Keystone tokens travel as they came.
          'X-Auth-Token': context.authToken ?? `${context.userId}:${context.projectId}`,
          ...(context.authToken === undefined && !context.isAdmin
            ? { 'X-Roles': context.roles.join(',') }
            : {}),
          [REQUEST_ID_HEADER]: context.requestId,
          Accept: 'application/json',
          ...options.headers,
        },
        signal: options.timeout === false ? undefined : AbortSignal.timeout(this.timeoutMs),
      } as RequestInit);
    } catch (error) {
      throw new ImageServiceUnavailableError(error);
    }
  }

  /** The JSON body of a success, or the error the answer means. */
  private async json(res: Response): Promise<unknown> {
    const text = await res.text();
    if (res.status >= 200 && res.status < 300) return text ? JSON.parse(text) : undefined;
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // webob's plain or HTML text
    }
    if (res.status === 503) throw new ImageServiceUnavailableError(new Error(message));
    throw new ImageServiceError(res.status, message.trim());
  }
}
