/**
 * Fast failure detection for a rollout (pure): a NEW pod that fails in a way that waiting cannot fix fails the
 * release at once instead of after `progressDeadlineSeconds`:
 *   - a container in CrashLoopBackOff, or restarted twice after exiting non-zero (crashes at start);
 *   - an image that cannot be pulled (ErrImagePull, ImagePullBackOff, InvalidImageName, ErrImageNeverPull);
 *   - a container that cannot be created (CreateContainerConfigError: a missing Secret/ConfigMap key, …;
 *     CreateContainerError);
 *   - a pod not Ready once its startup budget (the startupProbe's initialDelay + failureThreshold × period)
 *     has passed since its container started.
 * Only pods of the new ReplicaSet count: old pods keep serving and say nothing about the release.
 */

/** The parts of a Pod this module reads. */
export interface FailurePodLike {
  metadata?: { name?: string; labels?: Record<string, string>; deletionTimestamp?: string; creationTimestamp?: string };
  spec?: { containers?: readonly ContainerSpecLike[] };
  status?: {
    phase?: string;
    conditions?: readonly { type: string; status: string }[];
    containerStatuses?: readonly ContainerStatusLike[];
  };
}

export interface ProbeLike {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface ContainerSpecLike {
  name: string;
  image?: string;
  startupProbe?: ProbeLike;
  readinessProbe?: ProbeLike;
}

type ContainerState = { reason?: string; message?: string; exitCode?: number; startedAt?: string; finishedAt?: string };

export interface ContainerStatusLike {
  name: string;
  image?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: { waiting?: ContainerState; running?: ContainerState; terminated?: ContainerState };
  lastState?: { waiting?: ContainerState; running?: ContainerState; terminated?: ContainerState };
}

export type PodFailureKind = 'crash-loop' | 'image-pull' | 'container-config' | 'startup-budget';

export interface PodFailure {
  readonly kind: PodFailureKind;
  readonly pod: string;
  readonly container: string;
  readonly image?: string;
  /** Kubernetes' reason (e.g. CrashLoopBackOff) or "StartupBudgetExceeded". */
  readonly reason: string;
  /** What Kubernetes says about it, or how the budget was exceeded. */
  readonly message: string;
  readonly restarts: number;
  /** Exit code of the last termination, when the container ran and exited. */
  readonly exitCode?: number;
}

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CONTAINER_CONFIG = new Set(['CreateContainerConfigError', 'CreateContainerError']);
/** Restarts after a non-zero exit that count as crashing even before the kubelet reports CrashLoopBackOff. */
export const CRASH_RESTARTS = 2;

/**
 * The startup budget of a container: how long after it starts it may take to pass its startupProbe
 * (initialDelaySeconds + failureThreshold × periodSeconds, with the API defaults 0, 3 and 10), plus one readiness
 * period to turn Ready after that; undefined without a startupProbe.
 */
export function startupBudgetSeconds(container: ContainerSpecLike): number | undefined {
  const p = container.startupProbe;
  if (!p) return undefined;
  const readinessPeriod = container.readinessProbe ? (container.readinessProbe.periodSeconds ?? 10) : 0;
  return (p.initialDelaySeconds ?? 0) + (p.failureThreshold ?? 3) * (p.periodSeconds ?? 10) + readinessPeriod;
}

/** The pods of the ReplicaSet whose pod-template-hash is `templateHash`, not being deleted. */
export function newPods<P extends FailurePodLike>(pods: readonly P[], templateHash: string): P[] {
  return pods.filter((p) => p.metadata?.labels?.['pod-template-hash'] === templateHash && !p.metadata?.deletionTimestamp);
}

/** The failures among `pods` (call it with the new ReplicaSet's pods only) at time `now`. */
export function detectPodFailures(pods: readonly FailurePodLike[], now: Date): PodFailure[] {
  const failures: PodFailure[] = [];
  for (const pod of pods) {
    const podName = pod.metadata?.name ?? '?';
    const specs = new Map((pod.spec?.containers ?? []).map((c) => [c.name, c]));
    const podReady = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    for (const cs of pod.status?.containerStatuses ?? []) {
      const spec = specs.get(cs.name);
      const base = { pod: podName, container: cs.name, image: spec?.image ?? cs.image, restarts: cs.restartCount ?? 0 };
      const lastExit = cs.lastState?.terminated?.exitCode ?? cs.state?.terminated?.exitCode;
      const withExit = lastExit !== undefined ? { exitCode: lastExit } : {};
      const waiting = cs.state?.waiting;
      if (waiting?.reason && IMAGE_PULL.has(waiting.reason)) {
        failures.push({ kind: 'image-pull', ...base, reason: waiting.reason, message: waiting.message ?? 'the image cannot be pulled' });
        continue;
      }
      if (waiting?.reason && CONTAINER_CONFIG.has(waiting.reason)) {
        failures.push({ kind: 'container-config', ...base, reason: waiting.reason, message: waiting.message ?? 'the container cannot be created' });
        continue;
      }
      if (waiting?.reason === 'CrashLoopBackOff') {
        failures.push({ kind: 'crash-loop', ...base, ...withExit, reason: 'CrashLoopBackOff', message: crashMessage(cs, lastExit) });
        continue;
      }
      if ((cs.restartCount ?? 0) >= CRASH_RESTARTS && lastExit !== undefined && lastExit !== 0 && !cs.ready) {
        failures.push({ kind: 'crash-loop', ...base, ...withExit, reason: cs.lastState?.terminated?.reason ?? 'Error', message: crashMessage(cs, lastExit) });
        continue;
      }
      const budget = spec ? startupBudgetSeconds(spec) : undefined;
      const startedAt = cs.state?.running?.startedAt;
      if (budget !== undefined && startedAt && !podReady) {
        const runningSeconds = (now.getTime() - Date.parse(startedAt)) / 1000;
        if (runningSeconds > budget) {
          failures.push({
            kind: 'startup-budget',
            ...base,
            reason: 'StartupBudgetExceeded',
            message: `${cs.started ? 'started but not Ready' : 'has not passed its startupProbe'} ${Math.round(runningSeconds)}s after the container started (budget ${budget}s: startupProbe initialDelay + failureThreshold × period, + one readiness period)`,
          });
        }
      }
    }
  }
  return failures;
}

function crashMessage(cs: ContainerStatusLike, exitCode: number | undefined): string {
  const t = cs.lastState?.terminated ?? cs.state?.terminated;
  const how = exitCode !== undefined ? `exited with code ${exitCode}${t?.reason ? ` (${t.reason})` : ''}` : 'keeps exiting';
  return `${how}; restarted ${cs.restartCount ?? 0} time${cs.restartCount === 1 ? '' : 's'}${t?.message ? `: ${t.message.trim().split('\n')[0]}` : ''}`;
}

/** Whether logs of the failed container are worth fetching (it ran), and from which run (`--previous`). */
export function logSource(failure: PodFailure): { readonly previous: boolean } | undefined {
  if (failure.kind === 'image-pull' || failure.kind === 'container-config') return undefined;
  return { previous: failure.kind === 'crash-loop' };
}

const SECRET_PATTERNS: readonly RegExp[] = [
  // an Authorization header: everything after it (scheme and credentials)
  /(authorization["']?\s*[=:]\s*)([^\n]+)/gi,
  // key=value / key: value / "key":"value" where the key names a secret
  /((?:password|passwd|secret|token|api[_-]?key|credential|private[_-]?key)[^\s"'=:]*["']?\s*[=:]\s*["']?)([^\s"',}]+)/gi,
  /(bearer\s+)([A-Za-z0-9._~+/=-]+)/gi,
];
/** A private key block, up to its END line or the end of the text (a log cut in the middle of one). */
const PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/**
 * The last `limit` log lines, each cut to 300 characters, with every known secret value and anything that looks
 * like a credential (password=…, "token": "…", Bearer …, a private key) replaced by "***".
 */
export function redactLogLines(text: string, knownSecrets: readonly string[] = [], limit = 20): string[] {
  const secrets = knownSecrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return text
    .replace(PRIVATE_KEY, '-----BEGIN $1PRIVATE KEY----- *** -----END $1PRIVATE KEY-----')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '')
    .slice(-limit)
    .map((line) => {
      let out = line;
      for (const s of secrets) out = out.split(s).join('***');
      for (const re of SECRET_PATTERNS) out = out.replace(re, (_m, keep: string) => `${keep}***`);
      return out.length > 300 ? `${out.slice(0, 300)}…` : out;
    });
}

/** The report lines of one failure and its container's last log lines (already redacted). */
export function describePodFailure(failure: PodFailure, logLines: readonly string[] = []): string[] {
  const lines = [`pod ${failure.pod}, container ${failure.container}${failure.image ? ` (image ${failure.image})` : ''}: ${failure.reason} — ${failure.message}`];
  if (logLines.length > 0) {
    lines.push(`  last ${logLines.length} log line${logLines.length === 1 ? '' : 's'}:`);
    for (const l of logLines) lines.push(`    | ${l}`);
  }
  return lines;
}

export interface ReplicaSetLike {
  metadata?: { annotations?: Record<string, string>; labels?: Record<string, string>; ownerReferences?: readonly { kind?: string; name?: string }[] };
}

/**
 * The pod-template-hash of the Deployment's current (newest) ReplicaSet: the one owned by `deploymentName` whose
 * revision annotation equals the Deployment's; undefined while the controller has not created it yet.
 */
export function newReplicaSetHash(deployment: { metadata?: { name?: string; annotations?: Record<string, string> } }, replicaSets: readonly ReplicaSetLike[]): string | undefined {
  const revision = deployment.metadata?.annotations?.['deployment.kubernetes.io/revision'];
  if (!revision) return undefined;
  const rs = replicaSets.find(
    (r) =>
      r.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision &&
      (r.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Deployment' && o.name === deployment.metadata?.name),
  );
  return rs?.metadata?.labels?.['pod-template-hash'];
}
