module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cinder-api',
  rootDir: __dirname,
};
