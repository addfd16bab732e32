/**
 * Steps the real-node suites share (realnode.e2e.test.ts, canary.e2e.test.ts): the workload's Service address, its
 * Deployment and pods, a release under bounded load, a fresh namespace, and the `bench-rollout:` line.
 */
import { localConfig } from '../../config/examples/local';
import { startLoad, summarize, type Sample, type Summary } from '../support/load';
import { kubectl, kubectlJson } from './helpers';
import { startLocalDatabase } from './local-env';

/** At least 100 requests per second for the whole episode (the floor), bounded in count and time. */
export const RATE = 110;

export interface BenchLine {
  scenario: string;
  requests: number;
  failed: number;
  p50Ms: number | null;
  p99Ms: number | null;
  rolloutSeconds: number | null;
  detectSeconds: number | null;
  restoreSeconds: number | null;
  [extra: string]: unknown;
}

/** One machine-readable line per scenario (`npm run bench:rollout` collects them). */
export function bench(line: BenchLine): void {
  process.stdout.write(`bench-rollout: ${JSON.stringify(line)}\n`);
}

export async function serviceAddress(ns: string): Promise<{ host: string; port: number }> {
  const svc = await kubectlJson(['get', 'service', 'web', '-n', ns]);
  return { host: svc.spec.clusterIP, port: svc.spec.ports[0].port };
}

export async function deploymentImage(ns: string, name = 'web'): Promise<string> {
  const d = await kubectlJson(['get', 'deployment', name, '-n', ns]);
  return d.spec.template.spec.containers[0].image;
}

/** Running pods of the workload (stable and canary), not being deleted. */
export async function runningPods(ns: string): Promise<any[]> {
  const pods = await kubectlJson(['get', 'pods', '-n', ns, '-l', 'app.kubernetes.io/name=web']);
  return pods.items.filter((p: any) => !p.metadata.deletionTimestamp && p.status.phase === 'Running');
}

export interface LoadOptions {
  /** Load before the release (ms). @default 5000 */
  readonly steadyMs?: number;
  /** Load after it (ms). @default 2000 */
  readonly afterMs?: number;
  /** @default 300 */
  readonly maxSeconds?: number;
  /** @default RATE */
  readonly rate?: number;
}

/** Runs `release` under load: `steadyMs` of load before it, `afterMs` after it; samples split by phase. */
export async function underLoad<T>(ns: string, release: () => Promise<T>, options: LoadOptions = {}) {
  const { steadyMs = 5000, afterMs = 2000, maxSeconds = 300, rate = RATE } = options;
  const { host, port } = await serviceAddress(ns);
  const load = startLoad({ host, port, ratePerSecond: rate, maxRequests: Math.ceil(rate * maxSeconds), maxSeconds });
  await new Promise((r) => setTimeout(r, steadyMs));
  const from = load.now();
  const result = await release();
  const to = load.now();
  await new Promise((r) => setTimeout(r, afterMs));
  const samples: Sample[] = await load.stop();
  expect(to).toBeLessThan(maxSeconds * 1000); // the bound did not cut the episode short
  return { result, samples, from, to, all: summarize(samples), steady: summarize(samples, 0, from), during: summarize(samples, from, to) };
}

/**
 * An empty namespace (another suite may have left simulated pods in it) with the workloads' database roles and their
 * Secrets on the local PostgreSQL (./local-env.ts, as `npm run local:up` makes them): web's migration runs for real with
 * every release. The suite stops the database in its afterAll (`stopLocalDatabase`).
 */
export async function freshNamespace(ns: string): Promise<void> {
  const target = localConfig.portableTargets.find((t) => t.namespace === ns);
  if (!target) throw new Error(`no portable target deploys to namespace ${ns}`);
  await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true', '--timeout=180s']);
  expect(await startLocalDatabase(target)).toHaveLength(target.workloads.length);
}

/** A bench line from the load's summary and the deploy's `deploy-result` (what did not happen is null). */
export function benchOf(scenario: string, load: Summary, result: Record<string, number | undefined> | undefined, extra: Record<string, unknown> = {}): BenchLine {
  return {
    scenario,
    requests: load.requests,
    failed: load.failed,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    rolloutSeconds: result?.rolloutSeconds ?? null,
    detectSeconds: result?.detectSeconds ?? null,
    restoreSeconds: result?.restoreSeconds ?? null,
    ...extra,
  };
}
