// Clusters of real processes take seconds to start; `testTimeout` in a project config is
// ignored when jest runs several projects, so the e2e project sets it here.
jest.setTimeout(120_000);
