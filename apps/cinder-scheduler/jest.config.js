module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cinder-scheduler',
  rootDir: __dirname,
};
