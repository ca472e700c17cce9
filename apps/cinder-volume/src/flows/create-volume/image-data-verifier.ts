import { createHash, type Hash } from 'node:crypto';

/** What the image service says the data is: the image's record and the download's Content-MD5. */
export interface ExpectedImageData {
  size: number | null;
  /** Glance's `checksum`: MD5, hex. */
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  /** The download's Content-MD5 header (Glance sends the hex MD5). */
  contentMd5?: string | null;
}

/** The data read is not the image's (glanceclient's IOError "Corrupt image download. ..."). */
export class CorruptImageDownloadError extends Error {
  override name = 'CorruptImageDownloadError';
}

/**
 * Hashes image data on its way through (`pass`), then tells whether it was the image's
 * (`verify`): its length, its multihash (os_hash_algo/os_hash_value, as glanceclient's
 * serious_integrity_iter), its MD5 against Glance's checksum and the Content-MD5 the download
 * came with (integrity_iter). Whatever the image names is checked; an algorithm this runtime
 * lacks is refused up front, as glanceclient does without allow_md5_fallback.
 */
export class ImageDataVerifier {
  private readonly md5 = createHash('md5');
  private readonly multihash: Hash | null;
  private bytes = 0;

  constructor(private readonly expected: ExpectedImageData) {
    this.multihash = null;
    if (expected.os_hash_value) {
      try {
        this.multihash = createHash(String(expected.os_hash_algo));
      } catch {
        throw new CorruptImageDownloadError(
          `unsupported hash type ${String(expected.os_hash_algo)}`,
        );
      }
    }
  }

  /** The data, unchanged, hashed as it goes through. */
  async *pass(data: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of data) {
      this.md5.update(chunk);
      this.multihash?.update(chunk);
      this.bytes += chunk.length;
      yield chunk;
    }
  }

  /** Bytes seen so far. */
  get length(): number {
    return this.bytes;
  }

  /** Throws CorruptImageDownloadError unless every hash and the length match. */
  verify(): void {
    const { size, checksum, os_hash_value, contentMd5 } = this.expected;
    if (size !== null && this.bytes !== size) {
      throw new CorruptImageDownloadError(
        `Corrupt image download. Got ${this.bytes} bytes, expected ${size}`,
      );
    }
    if (this.multihash && os_hash_value) {
      const computed = this.multihash.digest('hex');
      if (computed !== os_hash_value) {
        throw new CorruptImageDownloadError(
          `Corrupt image download. Hash was ${computed} expected ${os_hash_value}`,
        );
      }
    }
    const md5 = this.md5.digest('hex');
    for (const expected of [checksum, contentMd5]) {
      if (expected && md5 !== expected) {
        throw new CorruptImageDownloadError(
          `Corrupt image download. Checksum was ${md5} expected ${expected}`,
        );
      }
    }
  }
}
