module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'glance-scrubber',
  rootDir: __dirname,
};
