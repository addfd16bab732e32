/**
 * How a migration Job is doing, and what of its output may be shown (pure).
 */
import type { KubeObject } from '../manifests';

export type JobState =
  | { readonly phase: 'running' }
  | { readonly phase: 'complete' }
  /** `DeadlineExceeded` (its timeout), `BackoffLimitExceeded` (the command failed), … */
  | { readonly phase: 'failed'; readonly reason: string; readonly message: string };

interface JobConditionLike {
  readonly type?: string;
  readonly status?: string;
  readonly reason?: string;
  readonly message?: string;
}

/** The Job's state from its conditions (FailureTarget: the controller decided it failed and is stopping its pods). */
export function jobState(job: KubeObject): JobState {
  const conditions = ((job.status as { conditions?: readonly JobConditionLike[] } | undefined)?.conditions ?? []).filter((c) => c.status === 'True');
  if (conditions.some((c) => c.type === 'Complete')) return { phase: 'complete' };
  const failed = conditions.find((c) => c.type === 'Failed') ?? conditions.find((c) => c.type === 'FailureTarget');
  if (failed) return { phase: 'failed', reason: failed.reason ?? 'Failed', message: failed.message ?? '' };
  return { phase: 'running' };
}

/** Waiting reasons of a container that no wait will fix: the migration has failed, though the Job does not say so yet. */
const STUCK = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError']);

/** Why the migration's pod cannot run (its image cannot be pulled, a Secret or ConfigMap it needs is missing, …), or undefined. */
export function stuckPodReason(pod: KubeObject): string | undefined {
  const statuses =
    (pod.status as { containerStatuses?: readonly { name?: string; state?: { waiting?: { reason?: string; message?: string } } }[] } | undefined)?.containerStatuses ?? [];
  for (const status of statuses) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && STUCK.has(waiting.reason))
      return `pod ${pod.metadata.name}: container ${status.name} is ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
  }
  return undefined;
}

/** What replaces a value that may be a secret (known values shorter than 4 characters are not: they would hide every word). */
export const REDACTED = '[redacted]';
/** Longest log line shown (a migration may print a whole statement or a payload). */
export const MAX_LOG_LINE = 400;

/**
 * Patterns that carry a credential whatever the program: `password=…`, `"token": "…"`, a URL's `user:password@`,
 * `Authorization: Bearer …`, an AWS access key ID, a PEM private key line.
 */
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [
    /((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|credentials?|authorization)["']?\s*[:=]\s*)((?:Bearer|Basic)\s+)?("[^"]*"|'[^']*'|[^\s,;}&]+)/gi,
    `$1${REDACTED}`,
  ],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@\s/]+@/gi, `$1${REDACTED}@`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----.*/g, REDACTED],
];

/**
 * A migration's log lines as the report shows them: every known secret value (`secrets`, e.g. the values of the
 * Secrets the release holds) and everything that looks like a credential replaced by `[redacted]`, each line cut to
 * MAX_LOG_LINE characters. A program can still print a secret in a shape no pattern knows: the Job's own log is the
 * place to read it in full, with the access that needs.
 */
export function redactLogLines(lines: readonly string[], secrets: readonly string[] = []): string[] {
  const known = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return lines.map((line) => {
    let out = line;
    for (const value of known) out = out.split(value).join(REDACTED);
    for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
    return out.length > MAX_LOG_LINE ? `${out.slice(0, MAX_LOG_LINE)}…` : out;
  });
}

/** The decoded values of the Secrets among `objects` (data is base64, stringData plain). */
export function secretValues(objects: readonly KubeObject[]): string[] {
  return objects
    .filter((o) => o.kind === 'Secret')
    .flatMap((o) => [
      ...Object.values((o.data as Record<string, string> | undefined) ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8')),
      ...Object.values((o.stringData as Record<string, string> | undefined) ?? {}),
    ]);
}
