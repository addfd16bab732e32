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
  /** minReplicas of the HorizontalPodAutoscaler that owns `spec.replicas`, when there is one. */
  readonly minReplicas?: number;
  /** The Deployment is rolled out but the autoscaler has not raised it to minReplicas yet. */
  readonly waitingForAutoscaler?: boolean;
}

export interface RolloutOptions {
  /**
   * minReplicas of the HorizontalPodAutoscaler targeting the Deployment (from the rendered manifests). The chart
   * leaves `spec.replicas` to the autoscaler, so a first release starts at 1 replica: it is only complete once the
   * autoscaler has raised it and at least this many replicas are available.
   */
  readonly minReplicas?: number;
}

export function evaluateRollout(d: DeploymentLike, options: RolloutOptions = {}): RolloutState {
  const desired = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const counts = {
    desired,
    current: s.replicas ?? 0,
    updated: s.updatedReplicas ?? 0,
    ready: s.readyReplicas ?? 0,
    available: s.availableReplicas ?? 0,
  };
  const minReplicas = options.minReplicas;
  const state = (phase: RolloutPhase, reason: string, waitingForAutoscaler = false): RolloutState => ({
    phase,
    ...counts,
    reason,
    ...(minReplicas !== undefined ? { minReplicas } : {}),
    ...(waitingForAutoscaler ? { waitingForAutoscaler } : {}),
  });
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) return state('progressing', 'waiting for the deployment controller to observe the new spec');
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return state('failed', `progress deadline exceeded (${d.spec?.progressDeadlineSeconds ?? 600}s): ${progressing.message ?? ''}`.trim());
  }
  if (d.spec?.paused) return state('progressing', 'the Deployment is paused');
  if (counts.updated < desired) return state('progressing', `${counts.updated} of ${desired} new replicas updated`);
  if (counts.current > counts.updated) return state('progressing', `${counts.current - counts.updated} old replicas pending termination`);
  if (counts.available < counts.updated) return state('progressing', `${counts.available} of ${counts.updated} updated replicas available`);
  if (minReplicas !== undefined && counts.available < minReplicas) {
    return state('progressing', `waiting for the HorizontalPodAutoscaler to scale up to minReplicas ${minReplicas} (${counts.available} available)`, true);
  }
  return state(
    'complete',
    minReplicas !== undefined ? `all replicas updated and available (HorizontalPodAutoscaler minReplicas ${minReplicas} reached)` : 'all replicas updated and available',
  );
}

/**
 * A canary's rule (`readyIsEnough` in the watch): its rollout is done once every replica is updated and Ready, before
 * `minReadySeconds` makes them available, because its Ready pods already receive traffic (the analysis starts then).
 */
export function everyReplicaUpdatedAndReady(s: RolloutState): boolean {
  return s.desired > 0 && s.updated >= s.desired && s.current <= s.updated && s.ready >= s.desired;
}

export const UPDATED_AND_READY = 'every replica updated and Ready';

/**
 * One progress line, e.g. "desired 2 · updated 1 · ready 3 · available 2 · pods 3", plus what it waits for when that
 * is the autoscaler (" — waiting for the HorizontalPodAutoscaler to scale up to minReplicas 2 (1 available)").
 */
export function progressLine(s: RolloutState): string {
  const line = `desired ${s.desired} · updated ${s.updated} · ready ${s.ready} · available ${s.available} · pods ${s.current}`;
  return s.waitingForAutoscaler ? `${line} — ${s.reason}` : line;
}

/** Minimal shape of a HorizontalPodAutoscaler (autoscaling/v2 or v1) in the rendered manifests. */
export interface AutoscalerLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: { minReplicas?: number; scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } };
}

/**
 * minReplicas of the HorizontalPodAutoscaler(s) that target `deployment/<name>` among the objects (the highest if
 * several; the API default 1 when unset), or undefined when none does.
 */
export function autoscalerMinReplicas(objects: readonly unknown[], deploymentName: string): number | undefined {
  const mins = (objects as AutoscalerLike[])
    .filter(
      (o) =>
        o?.kind === 'HorizontalPodAutoscaler' &&
        o.spec?.scaleTargetRef?.kind === 'Deployment' &&
        o.spec.scaleTargetRef.name === deploymentName &&
        (o.spec.scaleTargetRef.apiVersion ?? 'apps/v1').startsWith('apps/'),
    )
    .map((o) => o.spec?.minReplicas ?? 1);
  return mins.length > 0 ? Math.max(...mins) : undefined;
}

export interface PodLike {
  metadata?: { name?: string; creationTimestamp?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: { containers?: { name: string; image: string }[]; nodeName?: string; readinessGates?: { conditionType: string }[] };
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

/** The readiness gate the AWS Load Balancer Controller injects: Ready only once the pod's ALB target is healthy. */
const ALB_TARGET_GATE = 'target-health.elbv2.k8s.aws/';

/** Why one pod is not Ready yet, in words (scheduling, a container starting, its readiness probe, a readiness gate). */
export function whyNotReady(pod: PodLike): string {
  const conditions = pod.status?.conditions ?? [];
  const scheduled = conditions.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') return `not scheduled (${scheduled.reason ?? '?'}${scheduled.message ? `: ${scheduled.message}` : ''})`;
  const containers = pod.status?.containerStatuses ?? [];
  const waiting = containers.find((c) => c.state?.waiting);
  if (waiting) return `container ${waiting.name} ${waiting.state!.waiting!.reason ?? 'waiting'}`;
  const unready = containers.find((c) => !c.ready);
  if (unready) return `container ${unready.name} started, its readiness probe not passing yet`;
  const gate = (pod.spec?.readinessGates ?? []).map((g) => g.conditionType).find((t) => conditions.find((c) => c.type === t)?.status !== 'True');
  if (gate?.startsWith(ALB_TARGET_GATE)) return `ALB target registration (readiness gate ${gate}: Ready once the load balancer's health checks pass)`;
  if (gate) return `readiness gate ${gate}`;
  return 'not Ready yet';
}

/** The pods not Ready (and not terminating), grouped by why: e.g. "2 pods: ALB target registration (…)". */
export function unreadyPodsLine(pods: readonly PodLike[]): string | undefined {
  const counts = new Map<string, number>();
  for (const pod of pods) {
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready || pod.metadata?.deletionTimestamp) continue;
    const why = whyNotReady(pod);
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  return [...counts].map(([why, n]) => `${n} pod${n === 1 ? '' : 's'}: ${why}`).join('; ');
}

/**
 * A progress line while nothing changed, saying what the rollout waits for, e.g. "deployment/web waits: 1 of 2
 * updated replicas available — 1 pod: ALB target registration (…) — 45 s of 600 s".
 */
export function waitingLine(name: string, state: RolloutState, pods: readonly PodLike[], elapsedMs: number, timeoutMs: number): string {
  const unready = unreadyPodsLine(pods);
  return `deployment/${name} waits: ${state.reason}${unready ? ` — ${unready}` : ''} — ${Math.round(elapsedMs / 1000)} s of ${Math.round(timeoutMs / 1000)} s`;
}
