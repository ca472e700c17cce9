import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import {
  DEFAULT_IMPORT_FILTER,
  type ImportFilter,
  ImportRedirectError,
  ImportSourceError,
  ImportUriError,
  normalizeHostname,
  openImportSource,
  validateImportUri,
  validateLegacyImportUri,
} from './import-source';

const ANY_PORT: ImportFilter = { ...DEFAULT_IMPORT_FILTER, allowedPorts: [] };

describe("validateLegacyImportUri (Glance's checks of import_from)", () => {
  it.each<[string, unknown, string]>([
    ['nothing', undefined, 'Invalid location: None'],
    ['null', null, 'Invalid location: None'],
    ['an empty string', '', 'Invalid location: '],
    ['an empty object', {}, 'Invalid location: {}'],
    [
      'a file URL',
      'file:///etc/shadow',
      'File based imports are not allowed. Please use a non-local source of image data.',
    ],
    [
      'a filesystem URL',
      'filesystem:///var/lib/x',
      'File based imports are not allowed. Please use a non-local source of image data.',
    ],
    [
      'an ftp URL',
      'ftp://example.com/x',
      "The given uri is not valid. Please specify a valid uri from the following list of supported uri ['http']",
    ],
    [
      'an upper-case scheme',
      'HTTP://127.0.0.1/x',
      "The given uri is not valid. Please specify a valid uri from the following list of supported uri ['http']",
    ],
    [
      'a number',
      42,
      "The given uri is not valid. Please specify a valid uri from the following list of supported uri ['http']",
    ],
    [
      'a port outside the defaults',
      'http://127.0.0.1:8080/x',
      'URI for legacy import task does not pass filtering: http://127.0.0.1:8080/x',
    ],
  ])('refuses %s with Glance’s message', async (_what, location, message) => {
    await expect(validateLegacyImportUri(location, DEFAULT_IMPORT_FILTER)).rejects.toEqual(
      new ImportUriError(message),
    );
  });

  it('takes http and https URLs that pass the filter', async () => {
    await expect(
      validateLegacyImportUri('http://127.0.0.1/image.qcow2', DEFAULT_IMPORT_FILTER),
    ).resolves.toBe('http://127.0.0.1/image.qcow2');
    await expect(
      validateLegacyImportUri('https://[::1]:443/x', DEFAULT_IMPORT_FILTER),
    ).resolves.toBe('https://[::1]:443/x');
  });
});

describe('validateImportUri (import_filtering_opts)', () => {
  it.each([
    ['2130706433', undefined],
    ['127.1', undefined],
    ['0x7f000001', undefined],
    ['127.000.000.001', undefined],
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:7f00:1', '::ffff:7f00:1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['no-such-host.invalid', undefined],
  ])('normalises host %s to %s, as Glance (encoded addresses are nothing)', async (host, out) => {
    expect(await normalizeHostname(host)).toBe(out);
  });

  it('applies allow-lists over deny-lists, for schemes, hosts and ports', async () => {
    const url = 'http://127.0.0.1:8080/x';
    expect(await validateImportUri(url, ANY_PORT)).toBe(true);
    expect(await validateImportUri(url, { ...ANY_PORT, disallowedPorts: [8080] })).toBe(false);
    expect(
      await validateImportUri(url, { ...ANY_PORT, allowedPorts: [8080], disallowedPorts: [8080] }),
    ).toBe(true);
    expect(await validateImportUri(url, { ...ANY_PORT, disallowedHosts: ['127.0.0.1'] })).toBe(
      false,
    );
    expect(await validateImportUri(url, { ...ANY_PORT, allowedHosts: ['10.0.0.1'] })).toBe(false);
    expect(await validateImportUri(url, { ...ANY_PORT, allowedSchemes: ['https'] })).toBe(false);
    expect(
      await validateImportUri(url, {
        ...ANY_PORT,
        allowedSchemes: [],
        disallowedSchemes: ['http'],
      }),
    ).toBe(false);
    expect(await validateImportUri('http://127.0.0.1:99999/x', ANY_PORT)).toBe(false);
  });

  it('refuses a URL a fetcher would read as another host than the one checked', async () => {
    // Python sees host 127.0.0.1; a WHATWG parser (what fetches) sees evil.invalid.
    expect(await validateImportUri('http://evil.invalid\\@127.0.0.1/x', ANY_PORT)).toBe(false);
  });
});

describe('openImportSource', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok') {
        res.writeHead(200, { 'Content-Length': 5 });
        res.end('hello');
      } else if (req.url === '/hop') {
        res.writeHead(301, { Location: '/ok' });
        res.end();
      } else if (req.url === '/loop') {
        res.writeHead(302, { Location: '/loop' });
        res.end();
      } else if (req.url === '/away') {
        res.writeHead(307, { Location: 'ftp://127.0.0.1/x' });
        res.end();
      } else if (req.url === '/short') {
        res.writeHead(200, { 'Content-Length': 10 });
        res.write('abc', () => res.destroy());
      } else if (req.url === '/teapot') {
        res.writeHead(418, "I'm a teapot");
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const open = (path: string) =>
    openImportSource(`${base}${path}`, { filter: ANY_PORT, idleTimeoutMs: 5000 });

  it('streams the body and gives its length', async () => {
    const source = await open('/ok');
    expect(source.size).toBe(5);
    expect(await text(source.stream)).toBe('hello');
  });

  it('follows redirects the filter allows', async () => {
    expect(await text((await open('/hop')).stream)).toBe('hello');
  });

  it.each([
    ['/nope', 'HTTP Error 404: Not Found'],
    ['/teapot', "HTTP Error 418: I'm a teapot"],
    [
      '/loop',
      'HTTP Error 302: The HTTP server returned a redirect error that would lead to an infinite loop.\nThe last 30x error message was:\nFound',
    ],
  ])('fails %s as urllib would', async (path, reason) => {
    await expect(open(path)).rejects.toEqual(new ImportSourceError(reason));
  });

  it('refuses a redirect to what the filter refuses', async () => {
    await expect(open('/away')).rejects.toEqual(new ImportRedirectError('ftp://127.0.0.1/x'));
  });

  it('fails a refused connection and a body cut short with ImportSourceErrors', async () => {
    await expect(
      openImportSource(`http://127.0.0.1:1/x`, { filter: ANY_PORT, idleTimeoutMs: 5000 }),
    ).rejects.toEqual(new ImportSourceError('<urlopen error [Errno 111] Connection refused>'));
    const short = await open('/short');
    await expect(text(short.stream)).rejects.toEqual(
      new ImportSourceError('IncompleteRead(3 bytes read, 7 more expected)'),
    );
  });
});
