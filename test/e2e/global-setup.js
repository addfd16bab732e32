// Builds dist/ and starts the local control plane (cluster/up.sh prints the kubeconfig path as its last stdout line).
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

function up(env) {
  const out = execFileSync('bash', [path.join(root, 'cluster', 'up.sh')], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: 60 * 60 * 1000 });
  const kubeconfig = out.trim().split('\n').pop();
  if (!kubeconfig) throw new Error('cluster/up.sh printed no kubeconfig path');
  return kubeconfig;
}

module.exports = async () => {
  process.env.PLATFORM_CLUSTER_NAME = process.env.PLATFORM_CLUSTER_NAME || 'platform-e2e';
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  const started = Date.now();
  const env = { ...process.env };
  if (process.env.E2E_REUSE_CLUSTER !== '1') env.PLATFORM_CLUSTER_RECREATE = '1';
  let kubeconfig;
  try {
    kubeconfig = up(env);
  } catch (e) {
    // One retry from scratch: kwokctl picks free loopback ports at creation, and a cluster created at the same
    // moment elsewhere on the machine can take one of them ("bind: address already in use").
    process.stderr.write(`[e2e] cluster/up.sh failed (${e.message.split('\n')[0]}); recreating once\n`);
    kubeconfig = up({ ...env, PLATFORM_CLUSTER_RECREATE: '1' });
  }
  process.env.E2E_KUBECONFIG = kubeconfig;
  process.stderr.write(`\n[e2e] cluster ${process.env.PLATFORM_CLUSTER_NAME} up in ${((Date.now() - started) / 1000).toFixed(1)}s, kubeconfig ${kubeconfig}\n`);
};
