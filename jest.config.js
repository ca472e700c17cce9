/** Everything: the unit projects and the cross-service end-to-end suite in test/. */
module.exports = {
  // Many specs use the real PostgreSQL; on a loaded two-core CI machine 5 s is too short for
  // some. (A project's own testTimeout is ignored when jest runs several projects.)
  testTimeout: 30_000,
  testSequencer: '<rootDir>/scripts/longest-first.sequencer.js',
  projects: [...require('./jest.unit.config.js').projects, '<rootDir>/test/jest.config.js'],
};
