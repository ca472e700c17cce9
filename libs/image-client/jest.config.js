module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'image-client',
  rootDir: __dirname,
};
