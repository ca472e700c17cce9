const { readdirSync } = require('node:fs');
const { join } = require('node:path');

/** Every app's and lib's own tests (colocated `*.spec.ts`). */
module.exports = {
  projects: ['libs', 'apps'].flatMap((dir) =>
    readdirSync(join(__dirname, dir)).map((name) => `<rootDir>/${dir}/${name}/jest.config.js`),
  ),
};
