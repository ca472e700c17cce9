module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cinder-manage',
  rootDir: __dirname,
};
