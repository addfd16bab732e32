/**
 * End-to-end tests against the real local control plane (cluster/up.sh: kube-apiserver, etcd, controller-manager,
 * scheduler, KWOK nodes and a real node). `npm run test:e2e` (runs in band; minutes, not seconds):
 *   cluster.e2e.test.ts         the local control plane itself (versions, zones, the un-Ready KWOK stage);
 *   deploy.e2e.test.ts          the deploy command on KWOK (simulated) nodes;
 *   render.e2e.test.ts          `npm run render` + plain `kubectl apply --server-side` on the real node, serving;
 *   autoscaling.e2e.test.ts     metrics-server + the HorizontalPodAutoscaler under a bounded CPU load;
 *   realnode.e2e.test.ts        rollouts of real pods on the real node under load;
 *   network-policy.e2e.test.ts  the NetworkPolicies enforced (kube-router) between real pods and a real PostgreSQL;
 *   sample-workloads.e2e.test.ts web, worker and the prune CronJob together against a real PostgreSQL;
 *   canary.e2e.test.ts          canary releases (abort on 5xx, slow, never Ready; promote; lock; killed deploy);
 *   node-lifecycle.e2e.test.ts  (last) down after up leaves the machine as it was.
 *
 * Env: PLATFORM_CLUSTER_NAME (default here: platform-e2e, so a developer's platform-local cluster is untouched),
 *      E2E_REUSE_CLUSTER=1 (keep an existing cluster's state instead of starting empty),
 *      E2E_KEEP_CLUSTER=1 (do not tear the cluster down afterwards; skips the lifecycle test),
 *      PLATFORM_NODE=kwok (no real node: the real-node suites are skipped).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/test/e2e/**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/e2e/global-setup.js',
  globalTeardown: '<rootDir>/test/e2e/global-teardown.js',
  testSequencer: '<rootDir>/test/e2e/sequencer.js',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 15 * 60 * 1000,
  // Each test's and file's duration in the log: the suite's time budget is read from them.
  verbose: true,
  slowTestThreshold: 0,
};
