/**
 * Each pod's metrics through the API server's pod proxy (`/api/v1/namespaces/<ns>/pods/<pod>:<port>/proxy/metrics`,
 * `kubectl get --raw`): no Prometheus, nothing installed in the cluster, the same on EKS, other clusters and locally.
 * The namespace-scoped deploy credentials need `get pods/proxy` in the namespace (ClusterRole admin has it).
 */
import { METRICS_PATH, METRICS_PORT } from '../../config';
import type { ClusterContext, PreflightCheck } from '../context';
import { inputError } from '../errors';
import { trafficOf, type Traffic } from './verdict';

export function podMetricsPath(namespace: string, pod: string, port: number = METRICS_PORT): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}:${port}/proxy${METRICS_PATH}`;
}

export interface Scrape {
  /** Traffic counters per pod that answered. */
  readonly pods: ReadonlyMap<string, Traffic>;
  /** Pods that did not answer, with why (a pod being replaced, a proxy error). */
  readonly failed: readonly { readonly pod: string; readonly error: string }[];
}

/** Scrapes every pod (in parallel). A pod that does not answer is reported, not fatal: the analysis decides. */
export async function scrapePods({ cluster }: ClusterContext, namespace: string, pods: readonly string[]): Promise<Scrape> {
  const replies = await Promise.all(pods.map(async (pod) => ({ pod, reply: await cluster.getRaw(podMetricsPath(namespace, pod)) })));
  const ok = new Map<string, Traffic>();
  const failed: { pod: string; error: string }[] = [];
  for (const { pod, reply } of replies) {
    if (reply.ok) ok.set(pod, trafficOf(reply.value));
    else failed.push({ pod, error: reply.error.split('\n')[0] });
  }
  return { pods: ok, failed };
}

/** Preflight for a canary: the credentials may read pods' metrics through the proxy (else the analysis could not run). */
export const podProxyAccess: PreflightCheck = {
  name: 'pods/proxy access for the canary analysis',
  async run({ cluster }, plan) {
    const can = await cluster.canI('get', 'pods/proxy', plan.namespace);
    if (can.ok && !can.value) {
      throw inputError(
        `the canary reads pod metrics through the API server's pod proxy, but these credentials may not "get pods/proxy" in ${plan.namespace}: grant it (ClusterRole admin has it) or release with { kind: "rolling" }; nothing applied`,
      );
    }
  },
};
