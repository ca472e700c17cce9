import { lookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { PassThrough, type Readable } from 'node:stream';
import { pyStr } from './python-repr';

/** Glance's [import_filtering_opts]; an allow-list wins over its deny-list. */
export interface ImportFilter {
  allowedSchemes: readonly string[];
  disallowedSchemes: readonly string[];
  allowedHosts: readonly string[];
  disallowedHosts: readonly string[];
  allowedPorts: readonly number[];
  disallowedPorts: readonly number[];
}

/** Glance's defaults: http and https on ports 80 and 443, any host. */
export const DEFAULT_IMPORT_FILTER: ImportFilter = {
  allowedSchemes: ['http', 'https'],
  disallowedSchemes: [],
  allowedHosts: [],
  disallowedHosts: [],
  allowedPorts: [80, 443],
  disallowedPorts: [],
};

/** The filter the GLANCE_IMPORT_* settings describe (see glanceImportFilterSpec). */
export function importFilterOf(config: {
  GLANCE_IMPORT_ALLOWED_SCHEMES: readonly string[];
  GLANCE_IMPORT_DISALLOWED_SCHEMES: readonly string[];
  GLANCE_IMPORT_ALLOWED_HOSTS: readonly string[];
  GLANCE_IMPORT_DISALLOWED_HOSTS: readonly string[];
  GLANCE_IMPORT_ALLOWED_PORTS: readonly number[];
  GLANCE_IMPORT_DISALLOWED_PORTS: readonly number[];
}): ImportFilter {
  return {
    allowedSchemes: config.GLANCE_IMPORT_ALLOWED_SCHEMES,
    disallowedSchemes: config.GLANCE_IMPORT_DISALLOWED_SCHEMES,
    allowedHosts: config.GLANCE_IMPORT_ALLOWED_HOSTS,
    disallowedHosts: config.GLANCE_IMPORT_DISALLOWED_HOSTS,
    allowedPorts: config.GLANCE_IMPORT_ALLOWED_PORTS,
    disallowedPorts: config.GLANCE_IMPORT_DISALLOWED_PORTS,
  };
}

/** An `import_from` Glance refuses before any task runs; the message is Glance's. */
export class ImportUriError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportUriError';
  }
}

/**
 * The import source failed: `reason` is what Python's urllib would say (e.g. `HTTP Error 404:
 * Not Found`, `<urlopen error [Errno 111] Connection refused>`). Never transient: the task
 * fails with it instead of being retried.
 */
export class ImportSourceError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ImportSourceError';
  }
}

/** The source redirected to a URL the filter refuses (Glance's SafeRedirectHandler). */
export class ImportRedirectError extends Error {
  constructor(readonly target: string) {
    super(`Redirect to disallowed URL: ${target}`);
    this.name = 'ImportRedirectError';
  }
}

/** What Python's urllib.parse.urlsplit makes of a URL: no normalisation of the host. */
interface SplitUrl {
  scheme: string;
  hostname: string | undefined;
  /** undefined: none given; NaN: not a port (Python raises ValueError). */
  port: number | undefined;
}

function splitUrl(uri: string): SplitUrl {
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  const scheme = schemeMatch ? schemeMatch[1].toLowerCase() : '';
  const rest = schemeMatch ? uri.slice(schemeMatch[0].length) : uri;
  if (!rest.startsWith('//')) return { scheme, hostname: undefined, port: undefined };
  const netloc = rest.slice(2).split(/[/?#]/, 1)[0];
  const hostPort = netloc.slice(netloc.lastIndexOf('@') + 1);
  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    host = close < 0 ? hostPort.slice(1) : hostPort.slice(1, close);
    const after = close < 0 ? '' : hostPort.slice(close + 1);
    portText = after.startsWith(':') ? after.slice(1) : undefined;
  } else {
    const colon = hostPort.indexOf(':');
    host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    portText = colon < 0 ? undefined : hostPort.slice(colon + 1);
  }
  let port: number | undefined;
  if (portText !== undefined && portText !== '') {
    const value = /^\d+$/.test(portText) ? Number(portText) : NaN;
    port = value >= 0 && value <= 65535 ? value : NaN;
  }
  return { scheme, hostname: host ? host.toLowerCase() : undefined, port };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function ipv6(host: string): string | undefined {
  if (!host.includes(':') || !/^[0-9a-f:.]+$/i.test(host)) return undefined;
  try {
    return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/**
 * Glance's normalize_hostname: an IP address in its standard form, or a name that resolves;
 * encoded addresses (`2130706433`, `127.1`, `0x7f000001`) are nothing, so they never pass.
 */
export async function normalizeHostname(host: string | undefined): Promise<string | undefined> {
  if (!host) return undefined;
  if (IPV4.test(host)) return host;
  const v6 = ipv6(host);
  if (v6 !== undefined) return v6;
  if (/^[\d.]+$/.test(host)) return undefined;
  // The trailing dot forces a DNS lookup rather than the resolver's numeric parsing.
  const name = host.endsWith('.') ? host : `${host}.`;
  try {
    await Promise.race([
      lookup(name),
      new Promise((_, reject) => setTimeout(reject, 5000, new Error('lookup timed out')).unref()),
    ]);
    return host;
  } catch {
    return undefined;
  }
}

/** Glance's validate_import_uri: the filter's verdict on a URL. */
export async function validateImportUri(uri: string, filter: ImportFilter): Promise<boolean> {
  if (!uri) return false;
  const { scheme, hostname, port } = splitUrl(uri);
  const deniedSchemes = filter.allowedSchemes.length > 0 ? [] : filter.disallowedSchemes;
  const deniedHosts = filter.allowedHosts.length > 0 ? [] : filter.disallowedHosts;
  const deniedPorts = filter.allowedPorts.length > 0 ? [] : filter.disallowedPorts;
  if (
    !scheme ||
    (filter.allowedSchemes.length > 0 && !filter.allowedSchemes.includes(scheme)) ||
    deniedSchemes.includes(scheme)
  ) {
    return false;
  }
  const host = await normalizeHostname(hostname);
  if (
    !host ||
    (filter.allowedHosts.length > 0 && !filter.allowedHosts.includes(host)) ||
    deniedHosts.includes(host)
  ) {
    return false;
  }
  if (port !== undefined && Number.isNaN(port)) return false; // Python: ValueError
  if (
    port &&
    ((filter.allowedPorts.length > 0 && !filter.allowedPorts.includes(port)) ||
      deniedPorts.includes(port))
  ) {
    return false;
  }
  // What is fetched must be what was checked: a URL a WHATWG parser reads differently (e.g.
  // a backslash before `@`) is refused rather than fetched from another host.
  try {
    const parsed = new URL(uri);
    const fetched = parsed.hostname.replace(/^\[|\]$/g, '');
    if (fetched !== host && fetched !== hostname) return false;
    if (port && Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80)) !== port) {
      return false;
    }
  } catch {
    return false;
  }
  return true;
}

/**
 * Glance's validate_legacy_import_from_uri (with validate_location_uri): an http(s) URL that
 * passes the import filter, or an ImportUriError with Glance's message.
 */
export async function validateLegacyImportUri(
  location: unknown,
  filter: ImportFilter,
): Promise<string> {
  const falsy =
    location === null ||
    location === undefined ||
    location === '' ||
    location === 0 ||
    location === false ||
    (Array.isArray(location) && location.length === 0) ||
    (typeof location === 'object' &&
      location !== null &&
      !Array.isArray(location) &&
      Object.keys(location).length === 0);
  if (falsy) throw new ImportUriError(`Invalid location: ${pyStr(location)}`);
  if (typeof location === 'string' && /^https?:\/\//.test(location)) {
    if (!(await validateImportUri(location, filter))) {
      throw new ImportUriError(`URI for legacy import task does not pass filtering: ${location}`);
    }
    return location;
  }
  if (typeof location === 'string' && /^(file|filesystem):\/\/\//.test(location)) {
    throw new ImportUriError(
      'File based imports are not allowed. Please use a non-local source of image data.',
    );
  }
  throw new ImportUriError(
    "The given uri is not valid. Please specify a valid uri from the following list of supported uri ['http']",
  );
}

/** errno and strerror as Linux and Python name them, for urllib's `<urlopen error ...>`. */
const ERRNO: Record<string, string> = {
  ECONNREFUSED: '[Errno 111] Connection refused',
  ECONNRESET: '[Errno 104] Connection reset by peer',
  EHOSTUNREACH: '[Errno 113] No route to host',
  ENETUNREACH: '[Errno 101] Network is unreachable',
  ETIMEDOUT: '[Errno 110] Connection timed out',
  ENOTFOUND: '[Errno -2] Name or service not known',
  EAI_AGAIN: '[Errno -3] Temporary failure in name resolution',
  EPIPE: '[Errno 32] Broken pipe',
};

function describeSocketError(error: NodeJS.ErrnoException): string {
  return (error.code && ERRNO[error.code]) ?? error.message;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** urllib's HTTPRedirectHandler.max_redirections. */
const MAX_REDIRECTS = 10;

export interface ImportSource {
  /** The body, streamed: errors reading it are ImportSourceErrors. */
  stream: Readable;
  /** Content-Length, when the server gave one. */
  size: number | undefined;
}

export interface OpenOptions {
  filter: ImportFilter;
  /** How long the source may stay silent (connecting, or between two reads). */
  idleTimeoutMs: number;
}

/**
 * Opens an import source as Glance's get_image_data_iter does (urllib with the safe redirect
 * handler): redirects followed while the filter allows their target, any status outside 2xx an
 * HTTP error. The body is not read here: the caller streams it into a store.
 */
export async function openImportSource(uri: string, options: OpenOptions): Promise<ImportSource> {
  let current = uri;
  for (let redirects = 0; ; redirects++) {
    const response = await get(current, options.idleTimeoutMs);
    const status = response.statusCode ?? 0;
    const reason = response.statusMessage ?? '';
    if (REDIRECTS.has(status) && typeof response.headers.location === 'string') {
      response.resume();
      if (redirects >= MAX_REDIRECTS) {
        throw new ImportSourceError(
          `HTTP Error ${status}: The HTTP server returned a redirect error that would lead to an infinite loop.\nThe last 30x error message was:\n${reason}`,
        );
      }
      let target: string;
      try {
        target = new URL(response.headers.location, current).href;
      } catch {
        throw new ImportRedirectError(response.headers.location);
      }
      if (!(await validateImportUri(target, options.filter))) {
        throw new ImportRedirectError(target);
      }
      current = target;
      continue;
    }
    if (status < 200 || status >= 300) {
      response.resume();
      throw new ImportSourceError(`HTTP Error ${status}: ${reason}`);
    }
    const length = response.headers['content-length'];
    const size = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
    return { stream: bodyOf(response, size), size };
  }
}

function get(url: string, idleTimeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const request = client.get(url, { headers: { 'User-Agent': 'glance-task-worker' } });
    request.setTimeout(idleTimeoutMs, () =>
      request.destroy(new ImportSourceError('<urlopen error timed out>')),
    );
    request.once('response', resolve);
    request.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error instanceof ImportSourceError
          ? error
          : new ImportSourceError(`<urlopen error ${describeSocketError(error)}>`),
      ),
    );
  });
}

/**
 * The response body with its failures as ImportSourceErrors (a dropped connection must fail
 * the task, not look like a broker blink to the retry logic), and the request torn down when
 * the consumer stops early (e.g. past the size cap).
 */
function bodyOf(response: IncomingMessage, size: number | undefined): Readable {
  const out = new PassThrough();
  let received = 0;
  response.on('data', (chunk: Buffer) => (received += chunk.length));
  const fail = (error: NodeJS.ErrnoException) => {
    const reason =
      error instanceof ImportSourceError
        ? error.reason
        : size !== undefined && received < size
          ? `IncompleteRead(${received} bytes read, ${size - received} more expected)`
          : describeSocketError(error);
    out.destroy(new ImportSourceError(reason));
  };
  response.once('error', fail);
  response.once('aborted', () => fail(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
  out.once('close', () => {
    if (!response.complete) response.destroy();
  });
  response.pipe(out);
  return out;
}
