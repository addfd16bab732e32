import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Picks kubectl: $KUBECTL, else the newest kubectl built by cluster/build.sh
 * (${PLATFORM_CACHE_DIR:-~/.cache/platform-k8s}/<versions>/bin/kubectl), else `kubectl` on PATH.
 * `env` is the entry point's environment (deploy/commands/deploy.ts reads it once).
 */
export function findKubectl(env: NodeJS.ProcessEnv): string {
  if (env.KUBECTL) return env.KUBECTL;
  const cache = env.PLATFORM_CACHE_DIR || join(homedir(), '.cache', 'platform-k8s');
  try {
    const candidates = readdirSync(cache)
      .filter((d) => /^k8s-v\d+\.\d+\.\d+/.test(d))
      .map((d) => ({
        d,
        v: d
          .match(/^k8s-v(\d+)\.(\d+)\.(\d+)/)!
          .slice(1)
          .map(Number),
      }))
      .sort((a, b) => b.v[0] - a.v[0] || b.v[1] - a.v[1] || b.v[2] - a.v[2]);
    for (const c of candidates) {
      const bin = join(cache, c.d, 'bin', 'kubectl');
      if (existsSync(bin)) return bin;
    }
  } catch {
    /* no cache */
  }
  return 'kubectl';
}

export interface KubectlTarget {
  /**
   * Kubeconfig file, passed as `--kubeconfig` (a single file: kubectl's flag takes no list).
   * @default - kubectl's own rules: `KUBECONFIG` in `env` (a list is fine there), else ~/.kube/config
   */
  readonly kubeconfig?: string;
  /**
   * Context in the kubeconfig.
   * @default - the kubeconfig's current context
   */
  readonly context?: string;
  /**
   * Called before every invocation (refreshes a short-lived EKS token).
   * @default - nothing
   */
  readonly beforeRun?: () => Promise<void>;
}

export interface RunOptions {
  /** Written to stdin (objects, never argv or a file). */
  readonly input?: string;
  /** Added to the environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Killed after this long. */
  readonly timeoutMs?: number;
}

/** What `KubectlCluster` needs of kubectl: one invocation. */
export interface KubectlRunner {
  readonly binary: string;
  run(args: readonly string[], options?: RunOptions): Promise<KubectlResult>;
}

/** Runs kubectl against one cluster. Input goes through stdin (never argv, never a file). */
export class Kubectl implements KubectlRunner {
  /** `env`: the environment kubectl runs with (the entry point's, passed down; never read here). */
  constructor(
    readonly binary: string,
    readonly target: KubectlTarget,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  baseArgs(): string[] {
    const args: string[] = [];
    if (this.target.kubeconfig) args.push(`--kubeconfig=${this.target.kubeconfig}`);
    if (this.target.context) args.push(`--context=${this.target.context}`);
    return args;
  }

  async run(args: readonly string[], options: RunOptions = {}): Promise<KubectlResult> {
    await this.target.beforeRun?.();
    return runProcess(this.binary, [...this.baseArgs(), ...args], { ...options, env: { ...this.env, ...(options.env ?? {}) } });
  }
}

export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    // Its own process group: a Ctrl-C (SIGINT to the terminal's foreground group) cancels the deploy, which then
    // stops between calls and cleans up; it does not kill a kubectl call half-way (an apply, the cleanup's delete).
    const child = spawn(command, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 127, stdout: '', stderr: `${command}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8') + (signal ? `\n(killed by ${signal}${options.timeoutMs ? ` after ${options.timeoutMs} ms` : ''})` : '');
      resolve({ code: code ?? 128, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** "v1.35.4" / {major:"1",minor:"35"} → [1, 35]. */
export function parseMinor(gitVersion: string): [number, number] | undefined {
  const m = /v?(\d+)\.(\d+)/.exec(gitVersion);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}
