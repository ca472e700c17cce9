const { readdirSync } = require('node:fs');
const { join } = require('node:path');

/** Every app's and lib's own tests (colocated `*.spec.ts`). */
module.exports = {
  // Many specs use the real PostgreSQL; on a loaded two-core CI machine 5 s is too short for
  // some. (A project's own testTimeout is ignored when jest runs several projects.)
  testTimeout: 30_000,
  projects: ['libs', 'apps'].flatMap((dir) =>
    readdirSync(join(__dirname, dir)).map((name) => `<rootDir>/${dir}/${name}/jest.config.js`),
  ),
};
