// Order of the e2e files (one cluster, run in band; each suite picks its nodes with scheduleOn()): the KWOK suites and
// render (plain kubectl apply, real node), then the real-node autoscaling, rollouts and network policies, the real-node canaries, and
// last the node lifecycle test, which takes the cluster down and up again to check that a down leaves the machine as
// it was.
const Sequencer = require('@jest/test-sequencer').default;

const RANKS = [
  [/(realnode|autoscaling|network-policy|sample-workloads|workloads)\.e2e\.test\.ts$/, 1],
  [/canary\.e2e\.test\.ts$/, 2],
  [/node-lifecycle\.e2e\.test\.ts$/, 3],
];
const rank = (path) => RANKS.find(([pattern]) => pattern.test(path))?.[1] ?? 0;

class E2eSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  }
}

module.exports = E2eSequencer;
