// Runs the test files that took longest first, so that the two workers finish together instead
// of one idling while the other runs a long suite it picked up last. Durations come from
// test-durations.json (refreshed with `npm run test:durations` after a full run); jest's own
// timings, where this machine has them in its cache, win. Files unknown to both go by size.
const { statSync } = require('node:fs');
const { relative, join } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const ROOT = join(__dirname, '..');
const recorded = require('./test-durations.json');

class LongestFirst extends Sequencer {
  sort(tests) {
    const seconds = new Map(
      tests.map((test) => {
        const cached = this._getCache(test)[test.path];
        const known = Array.isArray(cached)
          ? cached[1] / 1000
          : recorded[relative(ROOT, test.path)];
        // Roughly a second per 10 kB of test source for a file never timed.
        return [test, known ?? statSync(test.path).size / 10_000];
      }),
    );
    return [...tests].sort((a, b) => seconds.get(b) - seconds.get(a));
  }
}

module.exports = LongestFirst;
