module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'keystone-auth',
  rootDir: __dirname,
};
