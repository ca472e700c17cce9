module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'request-context',
  rootDir: __dirname,
};
