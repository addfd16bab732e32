/**
 * End-to-end tests of the deploy command against the real local control plane (cluster/up.sh: kube-apiserver,
 * etcd, controller-manager, scheduler + KWOK nodes). `npm run test:e2e` (runs in band; minutes, not seconds).
 *
 * Env: PLATFORM_CLUSTER_NAME (default here: platform-e2e, so a developer's platform-local cluster is untouched),
 *      E2E_REUSE_CLUSTER=1 (keep an existing cluster's state instead of starting empty),
 *      E2E_KEEP_CLUSTER=1 (do not tear the cluster down afterwards).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/test/e2e/**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/e2e/global-setup.js',
  globalTeardown: '<rootDir>/test/e2e/global-teardown.js',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 15 * 60 * 1000,
  slowTestThreshold: 600,
};
