// Builds dist/ and starts the local control plane (cluster/up.sh prints the kubeconfig path as its last stdout line;
// it recreates the cluster once itself when another process took a port kwokctl had picked).
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

module.exports = async () => {
  process.env.PLATFORM_CLUSTER_NAME = process.env.PLATFORM_CLUSTER_NAME || 'platform-e2e';
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  const started = Date.now();
  const env = { ...process.env };
  if (process.env.E2E_REUSE_CLUSTER !== '1') env.PLATFORM_CLUSTER_RECREATE = '1';
  const out = execFileSync('bash', [path.join(root, 'cluster', 'up.sh')], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: 60 * 60 * 1000 });
  const kubeconfig = out.trim().split('\n').pop();
  if (!kubeconfig) throw new Error('cluster/up.sh printed no kubeconfig path');
  process.env.E2E_KUBECONFIG = kubeconfig;
  process.stderr.write(`\n[e2e] cluster ${process.env.PLATFORM_CLUSTER_NAME} up in ${((Date.now() - started) / 1000).toFixed(1)}s, kubeconfig ${kubeconfig}\n`);
};
