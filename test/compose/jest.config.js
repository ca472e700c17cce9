// The docker-compose cluster smoke test: run on its own (`npm run test:compose`, and last in
// `npm test`), never beside the e2e suite, since a whole cluster of containers needs both cores.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'compose',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.compose-spec.ts'],
  globalSetup: '<rootDir>/global-setup.ts',
  globalTeardown: '<rootDir>/global-teardown.ts',
  testTimeout: 300_000,
};
