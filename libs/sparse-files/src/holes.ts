import { join } from 'node:path';

interface Native {
  seekData(fd: number, offset: number): number;
  seekHole(fd: number, offset: number): number;
}

/** The compiled lseek(SEEK_DATA/SEEK_HOLE) (native/build.mjs), when this machine could build it. */
function loadNative(): Native | null {
  if (process.env.SPARSE_FILES_NATIVE === '0') return null;
  try {
    // From src/ (tests) and dist/ alike: the binary sits in dist/native/. A native addon loads
    // only through require.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(join(__dirname, '..', 'dist', 'native', 'sparse_files.node')) as Native;
  } catch {
    return null;
  }
}

const native = loadNative();

/** Whether holes can be found here; without, every byte counts as data (slower, same result). */
export const holesKnown = native !== null;

/**
 * Where the next data at or after `offset` starts, or `Infinity` when only a hole (or the end)
 * follows. Without native support, `offset` itself: everything is data.
 */
export function nextData(fd: number, offset: number): number {
  if (!native) return offset;
  const found = native.seekData(fd, offset);
  return found < 0 ? Infinity : found;
}

/** Where the hole at or after `offset` starts (the end of the file counts as one). */
export function nextHole(fd: number, offset: number): number {
  if (!native) return Infinity;
  const found = native.seekHole(fd, offset);
  return found < 0 ? Infinity : found;
}

/** Whether `[start, end)` holds no data, so reads as zeros without being read. */
export function isHole(fd: number, start: number, end: number): boolean {
  return native !== null && nextData(fd, start) >= end;
}
