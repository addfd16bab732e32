import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { findKubectl, runProcess, type KubectlResult } from '../../deploy/adapters/kubectl';

export const root = join(__dirname, '..', '..');

export function kubeconfig(): string {
  const k = process.env.E2E_KUBECONFIG;
  if (!k) throw new Error('E2E_KUBECONFIG is not set: run through jest.e2e.config.js (global setup starts the cluster)');
  return k;
}

export const kubectlBinary = () => findKubectl(process.env);

export function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  return runProcess(kubectlBinary(), [`--kubeconfig=${kubeconfig()}`, ...args], { input, env: process.env });
}

export async function kubectlJson<T = any>(args: string[]): Promise<T> {
  const r = await kubectl([...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The child environment without any AWS variable (and no way to find AWS credentials). */
export function envWithoutAws(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^AWS_/.test(k)));
  return { ...env, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' };
}

export interface DeployRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly result: any;
  readonly seconds: number;
}

/** Runs the built deploy command (dist/deploy.js, as `npm run deploy` does) and echoes its output live. */
export function runDeploy(args: string[], options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[]; onSpawn?: (child: ChildProcess) => void } = {}): Promise<DeployRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), join(root, 'dist', 'deploy.js'), ...args], { cwd: root, env: options.env ?? process.env });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      process.stderr.write(`    │ ${d.toString().replace(/\n(?=.)/g, '\n    │ ')}`);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      process.stderr.write(`    ! ${d.toString()}`);
    });
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('deploy-result: '));
      resolve({ code: code ?? -1, stdout, stderr, result: line ? JSON.parse(line.slice('deploy-result: '.length)) : undefined, seconds: (Date.now() - started) / 1000 });
    });
  });
}

export interface Sample {
  readonly t: number;
  readonly desired: number;
  readonly ready: number;
  readonly available: number;
  readonly updated: number;
}

/**
 * Samples deployment/web every ~200 ms through `kubectl proxy` (loopback) while a release runs, so that any dip
 * of available/ready replicas below the desired count is seen.
 */
export async function watchReplicas(namespace: string, name: string): Promise<{ stop(): Promise<Sample[]> }> {
  const proxy: ChildProcess = spawn(kubectlBinary(), [`--kubeconfig=${kubeconfig()}`, 'proxy', '--address=127.0.0.1', '--port=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proxy.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proxy.on('exit', (c) => reject(new Error(`kubectl proxy exited ${c}`)));
    setTimeout(() => reject(new Error('kubectl proxy did not start')), 20_000);
  });
  const samples: Sample[] = [];
  let running = true;
  const t0 = Date.now();
  const loop = (async () => {
    while (running) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
        if (r.ok) {
          const d = (await r.json()) as any;
          samples.push({
            t: (Date.now() - t0) / 1000,
            desired: d.spec?.replicas ?? 1,
            ready: d.status?.readyReplicas ?? 0,
            available: d.status?.availableReplicas ?? 0,
            updated: d.status?.updatedReplicas ?? 0,
          });
        }
      } catch {
        /* transient */
      }
      await new Promise((res) => setTimeout(res, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      proxy.kill('SIGTERM');
      return samples;
    },
  };
}

/** Summary of samples: the lowest ready / available counts and the desired count at those moments. */
export function lowest(samples: readonly Sample[]): { minReadyMinusDesired: number; minAvailableMinusDesired: number; count: number } {
  return {
    minReadyMinusDesired: Math.min(...samples.map((s) => s.ready - s.desired)),
    minAvailableMinusDesired: Math.min(...samples.map((s) => s.available - s.desired)),
    count: samples.length,
  };
}

/** The real node's name (cluster/node/lib.sh) and the taints that keep pods off the nodes a test does not use. */
/**
 * Builds the sample image (and test variants) without Docker and imports it into the real node
 * (cluster/node/image.sh with these arguments); returns its stdout, whose last line is the image reference.
 */
export function buildNodeImages(args: readonly string[]): string {
  return execFileSync('bash', [join(root, 'cluster', 'node', 'image.sh'), ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

export const REAL_NODE = 'real-node';
const SIMULATED_TAINT = 'platform.local/simulated=true:NoSchedule';
const REAL_TAINT = 'platform.local/real=true:NoSchedule';

/** Whether the cluster has a real node (cluster/up.sh with PLATFORM_NODE=real, the default). */
export async function hasRealNode(): Promise<boolean> {
  return (await kubectl(['get', 'node', REAL_NODE, '--ignore-not-found', '-o', 'name'])).stdout.trim() !== '';
}

/**
 * Where new pods go: 'real' taints the KWOK nodes (pods run for real on the real node), 'kwok' taints the real node
 * (pods are simulated, any image reference works). Pods already scheduled stay where they are.
 */
export async function scheduleOn(kind: 'real' | 'kwok'): Promise<void> {
  const real = await hasRealNode();
  if (kind === 'real' && !real) throw new Error(`no node ${REAL_NODE}: start the cluster with a real node (PLATFORM_NODE=real, the default)`);
  const set = async (args: string[]) => {
    const r = await kubectl(['taint', 'nodes', ...args]);
    if (r.code !== 0 && !/not found/.test(r.stderr)) throw new Error(`kubectl taint nodes ${args.join(' ')}: ${r.stderr}`);
  };
  if (kind === 'real') {
    await set(['-l', 'type=kwok', SIMULATED_TAINT, '--overwrite']);
    await set([REAL_NODE, `${REAL_TAINT.split('=')[0]}:NoSchedule-`]);
  } else {
    await set(['-l', 'type=kwok', `${SIMULATED_TAINT.split('=')[0]}:NoSchedule-`]);
    if (real) await set([REAL_NODE, REAL_TAINT, '--overwrite']);
  }
}

/** Follows the logs of pods (`kubectl logs -f`) until stopped; returns each pod's lines. `ended`: every stream ended. */
export function followLogs(namespace: string, pods: readonly string[]): { stop(): Map<string, string[]>; readonly ended: Promise<void> } {
  const lines = new Map<string, string[]>(pods.map((p) => [p, []]));
  const children = pods.map((pod) => {
    const child = spawn(kubectlBinary(), [`--kubeconfig=${kubeconfig()}`, 'logs', '-f', pod, '-n', namespace, '--tail=0'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let rest = '';
    child.stdout!.on('data', (d: Buffer) => {
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop() ?? '';
      lines.get(pod)!.push(...parts.filter(Boolean));
    });
    return child;
  });
  const ended = Promise.all(children.map((c) => new Promise<void>((r) => c.once('exit', () => r())))).then(() => undefined);
  return {
    ended,
    stop() {
      for (const c of children) c.kill('SIGTERM');
      return lines;
    },
  };
}
