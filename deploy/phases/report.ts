/**
 * Phase 7b: the result of a release — timings measured once (from the marks the orchestrator takes), the success
 * line, the failure report, per workload and combined (the worst outcome decides the exit code), and the
 * machine-readable `deploy-result` line.
 */
import { seconds } from '../clock';
import { EXIT, type ExitCode } from '../errors';
import type { PreviousRelease } from './apply';
import type { DeploymentPlan } from './plan';
import type { RollbackOutcome } from './rollback';
import type { RolloutOutcome } from './watch';

/** Clock readings (ms) taken by the orchestrator. */
export interface ReleaseMarks {
  readonly applyStarted: number;
  readonly applied: number;
  /** The rollout completed, or its failure was detected. */
  readonly settled: number;
  /** The rollback ended (restored or not). */
  readonly rollbackEnded?: number;
}

export interface DeployTimings {
  readonly applyMs: number;
  /** apply → every replica available (success). */
  readonly rolloutMs?: number;
  /** apply → failure detected. */
  readonly detectMs?: number;
  /** failure detected → previous revision healthy again. */
  readonly restoreMs?: number;
  /** apply start → done (success or restored). */
  readonly totalMs?: number;
}

export type DeployOutcome =
  | 'applied'
  | 'dry-run'
  | 'diff'
  | 'rolled-back'
  | 'rollback-failed'
  | 'canary-aborted'
  | 'canary-removed'
  | 'no-canary'
  /** The API server rejected a workload's apply (exit 5): it may be partly applied. */
  | 'apply-failed';

/** A workload that was not released: an earlier workload of the same release failed, so the release stopped. */
export type NotReleased = 'not-released';

/**
 * How a deploy ended without a result: refused (a DeployError), an invalid configuration, cancelled by a signal, or
 * an internal error (a bug).
 */
export type EndedOutcome = 'refused' | 'invalid-input' | 'cancelled' | 'internal-error';

/** What the canary of a canary release did. */
export interface CanarySummary {
  readonly decision: 'promoted' | 'aborted';
  /** Why it was aborted: it never became Ready, or its metrics failed the analysis. */
  readonly stage?: 'never-ready' | 'analysis';
  /** No interval had enough traffic: the low-traffic policy (onInconclusive) decided. */
  readonly inconclusive: boolean;
  /** Canary applied → Ready. */
  readonly readyMs?: number;
  /** Canary Ready → decision (on abort: the canary removed). */
  readonly analysisMs?: number;
}

export interface DeployResult {
  readonly outcome: DeployOutcome;
  readonly exitCode: ExitCode;
  /** Set when something was applied. */
  readonly timings?: DeployTimings;
  /** Why the release failed. */
  readonly reason?: string;
  /** A canary release: what its canary did. */
  readonly canary?: CanarySummary;
  /** Per workload, in release order (a release of several workloads; the top-level fields are the deciding one's). */
  readonly workloads?: Readonly<Record<string, WorkloadResult>>;
}

/** One workload's result: released (its own outcome and exit code), or not released. */
export type WorkloadResult = DeployResult | { readonly outcome: NotReleased };

/**
 * How bad an exit code is, for the combined result: 4 (a workload failed and is not restored) > 5 (an apply was
 * rejected midway: partly applied) > 1 (failed and restored, or a canary aborted) > 0. Exit codes 2, 3 and 6 refuse
 * the whole release before anything is applied, so they never meet the others.
 */
const SEVERITY: readonly ExitCode[] = [EXIT.ok, EXIT.rolledBack, EXIT.applyFailed, EXIT.rollbackFailed];
const severity = (code: ExitCode) => SEVERITY.indexOf(code);

/**
 * The release's result from its workloads': the exit code and outcome of the worst one, and its timings and canary
 * at the top level (today's fields; with every workload applied, the first one's), plus the `workloads` map.
 */
export function combinedResult(results: readonly (readonly [string, WorkloadResult])[]): DeployResult {
  const released = results.map(([, r]) => r).filter((r): r is DeployResult => r.outcome !== 'not-released');
  const deciding = released.reduce((worst, r) => (severity(r.exitCode) > severity(worst.exitCode) ? r : worst), released[0]);
  const { workloads: _nested, ...top } = deciding;
  return { ...top, workloads: Object.fromEntries(results) };
}

/** The workloads a failed release rolled back (restored to what ran before), by name. */
export function rolledBackWorkloads(result: DeployResult): string[] {
  return Object.entries(result.workloads ?? {})
    .filter(([, r]) => r.outcome === 'rolled-back')
    .map(([name]) => name);
}

/** The last section: one line per workload (what happened to it), and what was rolled back. */
export function releaseSummary(target: string, result: DeployResult): string {
  const lines = Object.entries(result.workloads ?? {}).map(([name, r]) => `  ${name}: ${workloadLine(r)}`);
  const count = lines.length;
  const rolledBack = rolledBackWorkloads(result);
  if (rolledBack.length) lines.push(`  rolled back: ${rolledBack.join(', ')} (restored to what ran before)`);
  return [`release of ${target} (${count} workload${count === 1 ? '' : 's'}), exit ${result.exitCode}:`, ...lines].join('\n');
}

function workloadLine(r: WorkloadResult): string {
  if (r.outcome === 'not-released') return 'not released (an earlier workload of this release failed; it runs what ran before)';
  const t = r.timings;
  const took = t?.totalMs !== undefined ? ` in ${seconds(t.totalMs)}s` : '';
  return `${r.outcome} (exit ${r.exitCode})${took}${r.reason ? `: ${r.reason.split('\n')[0]}` : ''}`;
}

export function successResult(marks: ReleaseMarks): DeployResult {
  return {
    outcome: 'applied',
    exitCode: EXIT.ok,
    timings: { applyMs: marks.applied - marks.applyStarted, rolloutMs: marks.settled - marks.applied, totalMs: marks.settled - marks.applyStarted },
  };
}

export function failureResult(marks: ReleaseMarks, failure: RolloutOutcome, rollback: RollbackOutcome): DeployResult {
  const applyMs = marks.applied - marks.applyStarted;
  const detectMs = marks.settled - marks.applied;
  if (rollback.kind === 'undone' && rollback.restored.phase === 'complete') {
    const end = marks.rollbackEnded ?? marks.settled;
    return {
      outcome: 'rolled-back',
      exitCode: EXIT.rolledBack,
      reason: failure.reason,
      timings: { applyMs, detectMs, restoreMs: end - marks.settled, totalMs: end - marks.applyStarted },
    };
  }
  return { outcome: 'rollback-failed', exitCode: EXIT.rollbackFailed, reason: failure.reason, timings: { applyMs, detectMs } };
}

/** After the apply: what the watch waits for. */
export function watchingLine(plan: Pick<DeploymentPlan, 'deploymentName' | 'minReplicas'>, applyMs: number, timeoutSeconds: number): string {
  const autoscaler = plan.minReplicas !== undefined ? `; done when at least ${plan.minReplicas} replicas (HorizontalPodAutoscaler minReplicas) are available` : '';
  return `applied in ${seconds(applyMs)}s; watching the rollout of deployment/${plan.deploymentName} (timeout ${timeoutSeconds}s${autoscaler})`;
}

export function successLine(target: string, deployment: string, images: readonly string[], outcome: RolloutOutcome, timings: DeployTimings): string {
  return (
    `✓ ${target}: deployment/${deployment} rolled out (${outcome.state.available} replicas available, image ${images.join(', ')})` +
    ` — apply ${seconds(timings.applyMs)}s, rollout ${seconds(timings.rolloutMs ?? 0)}s, total ${seconds(timings.totalMs ?? 0)}s`
  );
}

export interface FailureReport {
  readonly target: string;
  readonly deployment: string;
  readonly images: readonly string[];
  readonly failure: RolloutOutcome;
  readonly diagnosis: readonly string[];
  readonly previous: PreviousRelease;
  readonly rollback: RollbackOutcome;
  readonly marks: ReleaseMarks;
}

/** The report of a failed release: why, the pods' state, what the rollback did, the timings. */
export function failureReport(r: FailureReport): string {
  const lines = [`✗ ${r.target}: the release of ${r.images.join(', ')} failed: ${r.failure.reason}`, ...r.diagnosis.map((l) => `  ${l}`)];
  const rb = r.rollback;
  if (rb.kind === 'no-previous-revision') lines.push(`  no previous revision of deployment/${r.deployment} to roll back to (first release): fix the release and deploy again`);
  if (rb.kind === 'undo-failed') lines.push(`  rollback failed: ${rb.error}`);
  if (rb.kind === 'undone' && rb.restored.phase === 'complete') {
    lines.push(`  rolled back to revision ${rb.revision} (${r.previous.images.join(', ')}): ${rb.restored.state.available}/${rb.restored.state.desired} replicas available again`);
    lines.push('  note: only the Deployment was rolled back; the other applied objects (ConfigMap, Service, …) stay at the new version');
  }
  if (rb.kind === 'undone' && rb.restored.phase !== 'complete') lines.push(`  the previous revision did not become healthy again: ${rb.restored.reason}`);
  lines.push(`  ${timingsLine(r.marks)}`);
  return lines.join('\n');
}

function timingsLine(m: ReleaseMarks): string {
  const parts = [`apply ${seconds(m.applied - m.applyStarted)}s`, `apply→failure detected ${seconds(m.settled - m.applied)}s`];
  if (m.rollbackEnded !== undefined) parts.push(`detected→restored ${seconds(m.rollbackEnded - m.settled)}s`, `apply→restored ${seconds(m.rollbackEnded - m.applied)}s`);
  return `timings: ${parts.join(' · ')}`;
}

type ResultFields = (Pick<DeployResult, 'outcome' | 'exitCode' | 'canary' | 'workloads'> & { readonly timings?: DeployTimings }) | WorkloadResult;

/**
 * The last stdout line (`deploy-result: {…}`): outcome, exit code and timings in seconds, for the pipeline and
 * benchmarks; a release of workloads adds `"workloads":{"<name>":{"outcome":…,…}}` (each with the same fields) and
 * `"rolledBack":[…]`.
 */
export function resultLine(result: ResultFields | { readonly outcome: EndedOutcome; readonly exitCode: ExitCode }): string {
  const workloads = 'workloads' in result && result.workloads ? result.workloads : undefined;
  const rolledBack = workloads ? rolledBackWorkloads(result as DeployResult) : [];
  const fields = {
    ...resultFields(result),
    ...(rolledBack.length ? { rolledBack } : {}),
    ...(workloads ? { workloads: Object.fromEntries(Object.entries(workloads).map(([name, r]) => [name, resultFields(r)])) } : {}),
  };
  return `deploy-result: ${JSON.stringify(fields)}`;
}

function resultFields(result: ResultFields | { readonly outcome: EndedOutcome; readonly exitCode: ExitCode }): Record<string, unknown> {
  const t = 'timings' in result ? result.timings : undefined;
  const c = 'canary' in result ? result.canary : undefined;
  return {
    outcome: result.outcome,
    exitCode: 'exitCode' in result ? result.exitCode : undefined,
    applySeconds: t && seconds(t.applyMs),
    rolloutSeconds: t?.rolloutMs !== undefined ? seconds(t.rolloutMs) : undefined,
    detectSeconds: t?.detectMs !== undefined ? seconds(t.detectMs) : undefined,
    restoreSeconds: t?.restoreMs !== undefined ? seconds(t.restoreMs) : undefined,
    totalSeconds: t?.totalMs !== undefined ? seconds(t.totalMs) : undefined,
    canary: c?.decision,
    canaryStage: c?.stage,
    canaryInconclusive: c ? c.inconclusive : undefined,
    canaryReadySeconds: c?.readyMs !== undefined ? seconds(c.readyMs) : undefined,
    // Canary Ready → aborted and removed: how long a Ready-but-broken canary served.
    abortSeconds: c?.decision === 'aborted' && c.analysisMs !== undefined ? seconds(c.analysisMs) : undefined,
    analysisSeconds: c?.decision === 'promoted' && c.analysisMs !== undefined ? seconds(c.analysisMs) : undefined,
  };
}
