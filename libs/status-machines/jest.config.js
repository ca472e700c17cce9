module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'status-machines',
  rootDir: __dirname,
};
