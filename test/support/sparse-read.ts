import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { SparseReadStream } from '@cinderflow/sparse-files';

/**
 * A volume or image file as a stream, its holes not read: a thin GiB volume is mostly holes, and
 * reading them costs the kernel far more than hashing does.
 */
export async function readSparse(path: string): Promise<SparseReadStream> {
  const file = await open(path, 'r');
  try {
    return new SparseReadStream(file, (await file.stat()).size);
  } catch (error) {
    await file.close();
    throw error;
  }
}

/** The hex digest of a whole file. */
export async function digestOfFile(path: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of await readSparse(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
