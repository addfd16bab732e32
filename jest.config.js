const { availableParallelism } = require('node:os');

/** Unit and integration tests. Transpile-only (swc): type-checking is `npm run typecheck`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/global-setup.js',
  setupFiles: ['<rootDir>/test/setup-env.js'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // One worker per core. Jest's default (cores - 1) is a single worker on 2 cores, which runs every suite in band in
  // the main process while the second core idles; the main process itself only schedules and reports.
  maxWorkers: availableParallelism(),
};
