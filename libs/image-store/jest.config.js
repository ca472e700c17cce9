module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'image-store',
  rootDir: __dirname,
};
