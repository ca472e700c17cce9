// Helpers for other workspaces' specs, imported as '@cinderflow/persistence/testing' (a jest and
// typecheck path, see jest.preset.js): never from the library's index, whose dist/testing the
// container image leaves out.
export * from './test-database';
