// Races 50 conflicting events on one row, for every status machine, for N rounds, against a
// throw-away PostgreSQL database (DATABASE_URL's server, default the local one). Prints
// transitions/s and the conflicts detected; every round must have exactly one winner.
//
//   npm run bench:cas -- [--rounds 300] [--racers 50]
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '300' },
    racers: { type: 'string', default: '50' },
  },
});
const rounds = Number(values.rounds);
const racers = Number(values.racers);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { applyTransition, StatusConflictError } = require(
  join(root, 'libs/persistence/dist/index.js'),
);
const { createTestDatabase } = require(
  join(root, 'libs/persistence/dist/testing/test-database.js'),
);
const { conflictCases } = require(join(root, 'libs/persistence/dist/testing/conflict-cases.js'));

const db = await createTestDatabase();
try {
  const cases = conflictCases(db.dataSource);
  console.log(
    `${rounds} rounds × ${cases.length} machines × ${racers} concurrent events on one row\n`,
  );
  let attempts = 0;
  let won = 0;
  let conflicts = 0;
  let wrong = 0;
  let busy = 0;
  for (const c of cases) {
    const ids = [];
    for (let i = 0; i < rounds; i++) ids.push(await c.row());
    let caseAttempts = 0;
    const started = process.hrtime.bigint();
    for (const id of ids) {
      const results = await Promise.allSettled(
        Array.from({ length: racers }, () =>
          applyTransition(db.dataSource.manager, {
            machine: c.machine,
            entity: c.entity,
            column: c.column,
            id,
            event: c.event,
            set: c.set,
          }),
        ),
      );
      const winners = results.filter((r) => r.status === 'fulfilled').length;
      if (winners !== 1) wrong++;
      won += winners;
      conflicts += results.filter(
        (r) => r.status === 'rejected' && r.reason instanceof StatusConflictError,
      ).length;
      caseAttempts += results.length;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    busy += seconds;
    attempts += caseAttempts;
    console.log(
      `${c.name.padEnd(60)} ${(caseAttempts / seconds).toFixed(0).padStart(6)} transitions/s`,
    );
  }
  console.log(
    `\nattempted transitions: ${attempts} in ${busy.toFixed(2)} s = ${(attempts / busy).toFixed(0)} transitions/s`,
  );
  console.log(
    `won: ${won}   conflicts detected: ${conflicts}   rounds without exactly one winner: ${wrong}`,
  );
  if (wrong > 0 || won + conflicts !== attempts) process.exitCode = 1;
} finally {
  await db.drop();
}
