module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'glance-task-worker',
  rootDir: __dirname,
};
