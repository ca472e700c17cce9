// Shared jest settings: ts-jest without type-checking (tsc -b and `npm run typecheck` do that),
// and workspace imports resolved to sources so tests never need a build.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: path.join(__dirname, 'tsconfig.spec.json'), diagnostics: false },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    // A library's test helpers (src/testing), for other workspaces' specs only.
    '^@cinderflow/([^/]+)/testing$': path.join(__dirname, 'libs/$1/src/testing/index.ts'),
    '^@cinderflow/(.*)$': path.join(__dirname, 'libs/$1/src/index.ts'),
  },
};
