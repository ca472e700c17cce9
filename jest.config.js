/** Everything: the unit projects and the cross-service end-to-end suite in test/. */
module.exports = {
  testSequencer: '<rootDir>/scripts/longest-first.sequencer.js',
  projects: [...require('./jest.unit.config.js').projects, '<rootDir>/test/jest.config.js'],
};
