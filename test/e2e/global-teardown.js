// Stops the local control plane started by global-setup (unless E2E_KEEP_CLUSTER=1).
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async () => {
  if (process.env.E2E_KEEP_CLUSTER === '1') {
    process.stderr.write(`[e2e] keeping cluster ${process.env.PLATFORM_CLUSTER_NAME} (E2E_KEEP_CLUSTER=1)\n`);
    return;
  }
  execFileSync('bash', [path.join(__dirname, '..', '..', 'cluster', 'down.sh')], { stdio: ['ignore', 'ignore', 'inherit'], env: process.env });
};
