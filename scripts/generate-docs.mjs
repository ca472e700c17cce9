// Writes docs/status-machines.md from the status machines (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { MACHINES, renderDocument } = require(join(root, 'libs/status-machines/dist/index.js'));
writeFileSync(join(root, 'docs/status-machines.md'), renderDocument(MACHINES));
console.log('wrote docs/status-machines.md');
