// Records how long each test file took, from jest's JSON report, in scripts/test-durations.json
// (what the longest-first sequencer orders by on a machine whose jest cache is empty, as CI's is).
//   npx jest --maxWorkers=2 --json --outputFile=/tmp/jest.json; npm run test:durations -- /tmp/jest.json
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const report = process.argv[2];
if (!report) {
  console.error('usage: npm run test:durations -- <jest --json report>');
  process.exit(2);
}
const { testResults } = JSON.parse(readFileSync(report, 'utf8'));
// The run may have been in another checkout (CI's clone): paths count from its root, the folder
// above its first `apps`, `libs` or `test`.
const fromRoot = (path) => {
  const rel = relative(root, path);
  const at = path.search(/\/(apps|libs|test)\//);
  return rel.startsWith('..') && at >= 0 ? path.slice(at + 1) : rel;
};
const durations = Object.fromEntries(
  testResults
    .map((r) => [fromRoot(r.name), Math.round((r.endTime - r.startTime) / 100) / 10])
    .sort(([a], [b]) => a.localeCompare(b)),
);
writeFileSync(join(root, 'scripts/test-durations.json'), `${JSON.stringify(durations, null, 2)}\n`);
console.log(`${Object.keys(durations).length} test files recorded`);
