export { holesKnown, isHole, nextData, nextHole } from './holes';
export { SparseReadStream, type SparseReadOptions } from './sparse-read-stream';
