import { createHash, randomBytes } from 'node:crypto';
import {
  CorruptImageDownloadError,
  type ExpectedImageData,
  ImageDataVerifier,
} from './image-data-verifier';

const DATA = randomBytes(200_000);
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

function expectedOf(data: Buffer): ExpectedImageData {
  return {
    size: data.length,
    checksum: md5(data),
    os_hash_algo: 'sha512',
    os_hash_value: sha512(data),
    contentMd5: md5(data),
  };
}

async function* chunked(data: Buffer, size = 7_919): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

/** Runs the data through a verifier; what came out, and the verdict. */
async function run(expected: ExpectedImageData, data = DATA) {
  const verifier = new ImageDataVerifier(expected);
  const out: Buffer[] = [];
  for await (const chunk of verifier.pass(chunked(data))) out.push(Buffer.from(chunk));
  let error: unknown;
  try {
    verifier.verify();
  } catch (caught) {
    error = caught;
  }
  return { out: Buffer.concat(out), error: error as Error | undefined, length: verifier.length };
}

describe('ImageDataVerifier', () => {
  it('passes the data through unchanged and accepts it when every hash matches', async () => {
    const { out, error, length } = await run(expectedOf(DATA));
    expect(out.equals(DATA)).toBe(true);
    expect(length).toBe(DATA.length);
    expect(error).toBeUndefined();
  });

  it("refuses data whose multihash differs, with glanceclient's words", async () => {
    const corrupt = Buffer.from(DATA);
    corrupt[100_000] ^= 0xff;
    const { error } = await run(expectedOf(DATA), corrupt);
    expect(error).toBeInstanceOf(CorruptImageDownloadError);
    expect(error?.message).toBe(
      `Corrupt image download. Hash was ${sha512(corrupt)} expected ${sha512(DATA)}`,
    );
  });

  it('refuses data whose MD5 differs from the checksum when there is no multihash', async () => {
    const corrupt = Buffer.from(DATA);
    corrupt[0] ^= 1;
    const expected = { ...expectedOf(DATA), os_hash_algo: null, os_hash_value: null };
    const { error } = await run(expected, corrupt);
    expect(error?.message).toBe(
      `Corrupt image download. Checksum was ${md5(corrupt)} expected ${md5(DATA)}`,
    );
  });

  it('checks the MD5 against Content-MD5 too', async () => {
    const { error } = await run({ ...expectedOf(DATA), contentMd5: md5(Buffer.from('other')) });
    expect(error?.message).toBe(
      `Corrupt image download. Checksum was ${md5(DATA)} expected ${md5(Buffer.from('other'))}`,
    );
  });

  it('refuses data cut short, even when nothing else says so', async () => {
    const { error } = await run(
      { size: DATA.length, checksum: null, os_hash_algo: null, os_hash_value: null },
      DATA.subarray(0, 1000),
    );
    expect(error?.message).toBe(`Corrupt image download. Got 1000 bytes, expected ${DATA.length}`);
  });

  it('accepts data the image gives no hash for (legacy images), whatever its length', async () => {
    const { error } = await run({
      size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
    });
    expect(error).toBeUndefined();
  });

  it('uses the algorithm the image names', async () => {
    const sha256 = createHash('sha256').update(DATA).digest('hex');
    const good = await run({ ...expectedOf(DATA), os_hash_algo: 'sha256', os_hash_value: sha256 });
    expect(good.error).toBeUndefined();
    // The image's sha512 value read as a sha256 one: a mismatch.
    const bad = await run({ ...expectedOf(DATA), os_hash_algo: 'sha256' });
    expect(bad.error?.message).toBe(
      `Corrupt image download. Hash was ${sha256} expected ${sha512(DATA)}`,
    );
  });

  it('refuses an algorithm it does not have before reading anything', () => {
    expect(
      () => new ImageDataVerifier({ ...expectedOf(DATA), os_hash_algo: 'no-such-hash' }),
    ).toThrow('unsupported hash type no-such-hash');
  });
});
