module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'glance-api',
  rootDir: __dirname,
};
