module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cinder-volume',
  rootDir: __dirname,
};
