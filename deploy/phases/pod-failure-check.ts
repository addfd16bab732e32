/**
 * A RolloutCheck (phase 6, watch) that fails a release at once when one of its NEW pods fails in a way waiting
 * cannot fix (deploy/rules/pod-failures.ts: crash loop, image pull, container config, startup budget), instead of after
 * progressDeadlineSeconds. The reason names the pod, the container, why, and its last log lines (redacted).
 */
import { describePodFailure, detectPodFailures, logSource, newPods, newReplicaSetHash, redactLogLines, type FailurePodLike, type ReplicaSetLike } from '../rules/pod-failures';
import type { RolloutCheck } from '../context';

export interface PodFailureCheckOptions {
  /**
   * Values never to show in a log line (e.g. the release's Secret values).
   * @default - none (credential-looking values are redacted anyway)
   */
  readonly knownSecrets?: readonly string[];
  /**
   * Log lines shown per failed container.
   * @default 15
   */
  readonly logLines?: number;
}

export function podFailureCheck(options: PodFailureCheckOptions = {}): RolloutCheck {
  return async ({ cluster, now }, { namespace, deployment }) => {
    const selector = (deployment as { spec?: { selector?: { matchLabels?: Record<string, string> } } }).spec?.selector?.matchLabels ?? {};
    const name = (deployment as { metadata?: { name?: string } }).metadata?.name;
    const labels = Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const rs = await cluster.getRaw(`/apis/apps/v1/namespaces/${namespace}/replicasets${labels ? `?labelSelector=${encodeURIComponent(labels)}` : ''}`);
    if (!rs.ok) return undefined; // a failed read is not a failed release: the next poll tries again
    const hash = newReplicaSetHash(
      deployment as { metadata?: { name?: string; annotations?: Record<string, string> } },
      (JSON.parse(rs.value) as { items?: ReplicaSetLike[] }).items ?? [],
    );
    if (!hash || !name) return undefined;
    const pods = await cluster.listPods(namespace, selector);
    if (!pods.ok) return undefined;
    const failures = detectPodFailures(newPods(pods.value as FailurePodLike[], hash), now());
    if (failures.length === 0) return undefined;
    const lines = [`${failures.length} new pod${failures.length === 1 ? '' : 's'} failed (${[...new Set(failures.map((f) => f.reason))].join(', ')}):`];
    for (const failure of failures.slice(0, 3)) {
      const source = logSource(failure);
      const logs = source
        ? await cluster.getRaw(
            `/api/v1/namespaces/${namespace}/pods/${failure.pod}/log?container=${encodeURIComponent(failure.container)}&tailLines=50${source.previous ? '&previous=true' : ''}`,
          )
        : undefined;
      const logLines = logs?.ok ? redactLogLines(logs.value, options.knownSecrets, options.logLines ?? 15) : [];
      lines.push(...describePodFailure(failure, logLines).map((l) => `  ${l}`));
    }
    return lines.join('\n');
  };
}
