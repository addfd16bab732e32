/**
 * Rollout state of a Deployment, from its status alone (pure; mirrors `kubectl rollout status`), plus the
 * diagnostics gathered when a release fails.
 */

export interface DeploymentLike {
  metadata?: { generation?: number; annotations?: Record<string, string> };
  spec?: { replicas?: number; progressDeadlineSeconds?: number; paused?: boolean };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string; lastUpdateTime?: string }[];
  };
}

export type RolloutPhase = 'progressing' | 'complete' | 'failed';

export interface RolloutState {
  readonly phase: RolloutPhase;
  readonly desired: number;
  /** Pods (old and new) the Deployment owns. */
  readonly current: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  /** Why it is not complete yet, or why it failed. */
  readonly reason: string;
}

export function evaluateRollout(d: DeploymentLike): RolloutState {
  const desired = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const counts = {
    desired,
    current: s.replicas ?? 0,
    updated: s.updatedReplicas ?? 0,
    ready: s.readyReplicas ?? 0,
    available: s.availableReplicas ?? 0,
  };
  const state = (phase: RolloutPhase, reason: string): RolloutState => ({ phase, ...counts, reason });
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) return state('progressing', 'waiting for the deployment controller to observe the new spec');
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return state('failed', `progress deadline exceeded (${d.spec?.progressDeadlineSeconds ?? 600}s): ${progressing.message ?? ''}`.trim());
  }
  if (d.spec?.paused) return state('progressing', 'the Deployment is paused');
  if (counts.updated < desired) return state('progressing', `${counts.updated} of ${desired} new replicas updated`);
  if (counts.current > counts.updated) return state('progressing', `${counts.current - counts.updated} old replicas pending termination`);
  if (counts.available < counts.updated) return state('progressing', `${counts.available} of ${counts.updated} updated replicas available`);
  return state('complete', 'all replicas updated and available');
}

/** One progress line, e.g. "desired 2 · updated 1 · ready 3 · available 2 · total 3". */
export function progressLine(s: RolloutState): string {
  return `desired ${s.desired} · updated ${s.updated} · ready ${s.ready} · available ${s.available} · pods ${s.current}`;
}

export interface PodLike {
  metadata?: { name?: string; creationTimestamp?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: { containers?: { name: string; image: string }[]; nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { name: string; ready?: boolean; restartCount?: number; state?: Record<string, { reason?: string; message?: string; exitCode?: number }> }[];
  };
}

export interface EventLike {
  involvedObject?: { kind?: string; name?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
}

/** Human-readable lines about the pods that are not Ready, with their conditions and recent events. */
export function describeUnreadyPods(pods: readonly PodLike[], events: readonly EventLike[], limit = 5): string[] {
  const unready = pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True');
  const lines: string[] = [];
  for (const p of unready.slice(0, limit)) {
    const name = p.metadata?.name ?? '?';
    const images = (p.spec?.containers ?? []).map((c) => c.image).join(', ');
    lines.push(`pod ${name} (image ${images}; phase ${p.status?.phase ?? 'unknown'}${p.spec?.nodeName ? `; node ${p.spec.nodeName}` : ''})`);
    for (const c of p.status?.conditions ?? []) {
      if (c.status !== 'True') lines.push(`    condition ${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}${c.message ? `: ${c.message}` : ''}`);
    }
    for (const cs of p.status?.containerStatuses ?? []) {
      const [stateName, detail] = Object.entries(cs.state ?? {})[0] ?? ['unknown', {}];
      lines.push(`    container ${cs.name}: ${stateName}${detail?.reason ? ` (${detail.reason})` : ''}, ready=${cs.ready ? 'true' : 'false'}, restarts=${cs.restartCount ?? 0}`);
    }
    const podEvents = events.filter((e) => e.involvedObject?.name === name).slice(-3);
    for (const e of podEvents) lines.push(`    event ${e.type ?? ''} ${e.reason ?? ''}${e.count && e.count > 1 ? ` (x${e.count})` : ''}: ${e.message ?? ''}`);
  }
  if (unready.length > limit) lines.push(`… and ${unready.length - limit} more not-ready pods`);
  return lines;
}
