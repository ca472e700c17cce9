import { checkBody, checkUrl, MAX_BODY_DEPTH, parseQuery } from './input-checks';

function nested(depth: number): unknown {
  let body: unknown = 'leaf';
  for (let i = 0; i < depth; i++) body = { a: body };
  return body;
}

describe('checkBody', () => {
  it('accepts ordinary bodies, astral characters and paired surrogates included', () => {
    expect(
      checkBody({ volume: { name: 'disk 💾', metadata: { k: 'v' }, size: 1, x: [null, true] } }),
    ).toBeUndefined();
    expect(checkBody(nested(MAX_BODY_DEPTH))).toBeUndefined();
  });

  it.each([
    [
      { volume: { name: 'a\u0000b' } },
      'Invalid input received: volume.name contains a NUL character.',
    ],
    [
      { volume: { metadata: { k: '\ud800' } } },
      'Invalid input received: volume.metadata.k is not valid Unicode (it has an unpaired surrogate).',
    ],
    [
      { volume: { name: 'x\udc00' } },
      'Invalid input received: volume.name is not valid Unicode (it has an unpaired surrogate).',
    ],
    [{ a: ['ok', 'b\u0000'] }, 'Invalid input received: a.1 contains a NUL character.'],
    [
      { volume: { 'k\u0000': 'v' } },
      'Invalid input received: A key in volume contains a NUL character.',
    ],
    ['\u0000', 'Invalid input received: the body contains a NUL character.'],
  ])('refuses %j with 400', (body, message) => {
    expect(checkBody(body)).toMatchObject({ status: 400, message });
  });

  it('refuses bodies nested deeper than the limit, however deep, without recursing', () => {
    expect(checkBody(nested(MAX_BODY_DEPTH + 1))).toMatchObject({
      status: 400,
      message: `Malformed request body: it nests deeper than ${MAX_BODY_DEPTH} levels.`,
    });
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(checkBody(deep)?.status).toBe(400);
  });
});

describe('checkUrl', () => {
  it('accepts ordinary URLs', () => {
    expect(
      checkUrl('/v3/p/volumes/%C3%A9t%C3%A9', { name: 'été', sort: 'name:asc' }),
    ).toBeUndefined();
  });

  it.each([
    ['/v3/p/volumes/a%00b', {}, 'the URL path contains a NUL character.'],
    ['/v3/p/volumes/%E0%A4%A', {}, 'the URL path is not percent-encoded UTF-8.'],
    // An encoded lone surrogate is not UTF-8 either.
    ['/v3/p/volumes/%ED%A0%80', {}, 'the URL path is not percent-encoded UTF-8.'],
    ['/v3/p/volumes', { name: 'a\u0000' }, 'the query parameter name contains a NUL character.'],
    ['/v3/p/volumes', { 'a\u0000': 'x' }, 'a query parameter name contains a NUL character.'],
  ])('refuses %s %j with 400', (path, query: Record<string, string>, reason) => {
    expect(checkUrl(path, query)).toMatchObject({
      status: 400,
      message: `Invalid input received: ${reason}`,
    });
  });
});

describe('parseQuery', () => {
  it('keeps the last value of a repeated key, as webob does, and never an array', () => {
    const query = parseQuery('force=1&force=0&name=a%00b&a[b]=c');
    expect({ ...query }).toEqual({ force: '0', name: 'a\u0000b', 'a[b]': 'c' });
  });

  it('has no prototype: keys like constructor are only what the client sent', () => {
    const query = parseQuery('x=1');
    expect(query.constructor).toBeUndefined();
    expect(parseQuery('constructor=y').constructor).toBe('y');
  });
});
