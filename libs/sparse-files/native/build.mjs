// Compiles native/sparse_files.c into dist/native/sparse_files.node with the C compiler and Node's
// own headers (what node-gyp would do, without its download step). Where that cannot be done, the
// library reads holes like any other bytes: slower, same results. Skips an up-to-date build.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'sparse_files.c');
const target = join(here, '..', 'dist', 'native', 'sparse_files.node');
const headers = [
  join(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].find((dir) => existsSync(join(dir, 'node_api.h')));

if (existsSync(target) && statSync(target).mtimeMs >= statSync(source).mtimeMs) process.exit(0);
if (!headers) {
  console.warn('sparse-files: no node_api.h found; holes will be read as data');
  process.exit(0);
}
mkdirSync(dirname(target), { recursive: true });
try {
  execFileSync(
    process.env.CC ?? 'cc',
    [
      '-O2',
      '-Wall',
      '-shared',
      '-fPIC',
      '-DNODE_GYP_MODULE_NAME=sparse_files',
      `-I${headers}`,
      '-o',
      target,
      source,
    ],
    { stdio: 'inherit' },
  );
} catch (error) {
  console.warn(`sparse-files: could not compile (${error.message}); holes will be read as data`);
}
