/** Fake pods and their growing Prometheus counters, for the canary tests (analysis loop, canary phase, orchestrator). */
import { podMetricsPath } from '../../../deploy/canary/pod-metrics';
import { ok } from '../../../deploy/adapters/cluster';
import type { FakeCluster } from '../fake-cluster';

/** Exposition text of a pod that has served `requests` requests so far, `errors` of them 5xx, each in `ms`. */
export function metrics(requests: number, errors: number, ms = 40): string {
  const inBucket = (le: number) => (ms / 1000 <= le ? requests : 0);
  return [
    `http_requests_total{route="GET /",status_class="2xx"} ${requests - errors}`,
    `http_requests_total{route="GET /",status_class="5xx"} ${errors}`,
    ...[0.05, 0.5, 1].map((le) => `http_request_duration_seconds_bucket{le="${le}",route="GET /"} ${inBucket(le)}`),
    `http_request_duration_seconds_bucket{le="+Inf",route="GET /"} ${requests}`,
  ].join('\n');
}

export const pod = (name: string, canary: boolean) => ({
  metadata: { name, labels: { 'app.kubernetes.io/name': 'web', ...(canary ? { 'platform.local/track': 'canary' } : {}) } },
  status: { phase: 'Running' },
});

/** Gives `c` pods (a name containing "canary" is a canary pod) whose counters grow by `perInterval(pod)` at every scrape. */
export function withTraffic<C extends FakeCluster>(c: C, perInterval: Record<string, [requests: number, errors: number, ms?: number]>, namespace = 'web'): C {
  c.pods = Object.keys(perInterval).map((name) => pod(name, name.includes('canary')));
  const scrapes: Record<string, number> = {};
  const raw = c.getRaw.bind(c);
  c.getRaw = async (path: string) => {
    const name = Object.keys(perInterval).find((n) => path === podMetricsPath(namespace, n));
    if (!name) return raw(path);
    c.calls.push(`scrape ${name}`);
    const n = (scrapes[name] = (scrapes[name] ?? -1) + 1);
    const [requests, errors, ms] = perInterval[name];
    return ok(metrics(requests * n, errors * n, ms));
  };
  return c;
}
