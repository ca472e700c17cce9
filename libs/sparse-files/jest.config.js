module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'sparse-files',
  rootDir: __dirname,
};
