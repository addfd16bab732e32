/**
 * `npm run bench:rollout`: how long a good rollout, the detection of a faulty release and the automatic rollback
 * take on the local control plane. Starts it with cluster/up.sh, or reuses the cluster in $KUBECONFIG.
 * Prints seconds; no assertions. The chart's progressDeadlineSeconds (90 s on the generic target it uses) dominates the detection time.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');

interface Result {
  outcome: string;
  exitCode: number;
  applySeconds?: number;
  rolloutSeconds?: number;
  detectSeconds?: number;
  restoreSeconds?: number;
  totalSeconds?: number;
}

function deploy(kubeconfig: string, image: string): Promise<{ code: number; result?: Result; wall: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'deploy.js'), '--env', 'generic', '--image', image, '--kubeconfig', kubeconfig], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('deploy-result: '));
      resolve({ code: code ?? -1, result: line ? (JSON.parse(line.slice(15)) as Result) : undefined, wall: (Date.now() - started) / 1000 });
    });
  });
}

async function main(): Promise<void> {
  let kubeconfig = process.env.KUBECONFIG;
  let startedCluster = false;
  const t0 = Date.now();
  if (!kubeconfig) {
    const out = execFileSync('bash', [join(root, 'cluster', 'up.sh')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    kubeconfig = out.trim().split('\n').pop()!;
    startedCluster = true;
  }
  const clusterSeconds = (Date.now() - t0) / 1000;
  const run = Date.now().toString(36);

  // Baseline release (first deploy or whatever ran before), then the measured good and faulty releases.
  const baseline = await deploy(kubeconfig, `registry.local/web:bench-${run}-a`);
  const good = await deploy(kubeconfig, `registry.local/web:bench-${run}-b`);
  const faulty = await deploy(kubeconfig, `registry.local/web:faulty-bench-${run}`);

  const rows: [string, string][] = [
    ['cluster ready (up.sh or reused)', startedCluster ? `${clusterSeconds.toFixed(1)} s` : 'reused $KUBECONFIG'],
    ['baseline release: rollout', fmt(baseline.result?.rolloutSeconds, baseline.code)],
    ['good release: apply', fmt(good.result?.applySeconds, good.code)],
    ['good release: rollout (apply → all replicas available)', fmt(good.result?.rolloutSeconds, good.code)],
    ['good release: whole command', `${good.wall.toFixed(1)} s`],
    ['faulty release: apply → failure detected', fmt(faulty.result?.detectSeconds, faulty.code)],
    ['faulty release: detected → previous revision restored', fmt(faulty.result?.restoreSeconds, faulty.code)],
    ['faulty release: apply → restored', faulty.result?.detectSeconds !== undefined && faulty.result?.restoreSeconds !== undefined ? `${(faulty.result.detectSeconds + faulty.result.restoreSeconds).toFixed(1)} s` : 'n/a'],
    ['faulty release: exit code (1 = rolled back)', String(faulty.code)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\nrollout benchmark (local control plane, ${new Date().toISOString()})\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
  process.stdout.write(`${JSON.stringify({ good: good.result, faulty: faulty.result })}\n`);
  if (startedCluster) process.stderr.write('cluster left running; stop it with: npm run cluster:down\n');
}

function fmt(value: number | undefined, code: number): string {
  return value === undefined ? `n/a (exit ${code})` : `${value.toFixed(1)} s`;
}

main().catch((e) => {
  process.stderr.write(`bench-rollout: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
