module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cinder-backup',
  rootDir: __dirname,
};
