/**
 * The deploy command's release, phase by phase (deploy/phases/): prepare offline → connect → namespace access →
 * preflight → the released workloads' locks → the namespace-level objects → per workload, in declaration order:
 * (canary → analysis → abort or promote: deploy/canary/) → apply → watch → rollback/report. Each phase has one job,
 * takes the deploy context (deploy/context.ts) and talks to the cluster only through `Cluster`.
 * Workloads are released one after the other, not in parallel: the first failure is rolled back and stops the
 * release (no further workload changes while one is broken), the report reads in order, and 2 cores are not shared
 * between several watches. `--abort-canary` is its own short flow (deploy/canary/abort-canary.ts), chosen by the entry point.
 */
import type { DeployOptions } from './args';
import { podProxyAccess } from './canary/pod-metrics';
import { canaryAbortReport, canaryAbortResult, canarySummary, promotionLine } from './canary/report';
import { removeCanary, removeLeftoverCanary, runCanary, usesCanary } from './canary/run-canary';
import type { ClusterContext, DeployContext } from './context';
import { DeployError, EXIT } from './errors';
import { podImages } from './manifests';
import { applyNamespace, applyNamespaceSet, applyWorkload, handOverLegacySet, readPrevious, type PreviousRelease } from './phases/apply';
import { kubeconfigSource, withCluster } from './phases/connect';
import { releaseCronJob } from './phases/cron-job';
import { checkEarlierLock, withLocks, workloadLock } from './phases/lock';
import { namespaceAccess } from './phases/namespace';
import { releaseSecrets } from './phases/oidc-secret';
import { deploymentPlans, planRelease, type CronJobPlan, type DeploymentPlan, type ReleasePlan, type WorkloadPlan } from './phases/plan';
import { preflight } from './phases/preflight';
import { prepare } from './phases/prepare';
import { combinedResult, failureReport, failureResult, releaseSummary, successLine, successResult, watchingLine, type DeployResult, type WorkloadResult } from './phases/report';
import { diffRelease, dryRunRelease, writeReviewCopy } from './phases/review';
import { diagnose, rollback, undoIfCancelled } from './phases/rollback';
import { watchRollout } from './phases/watch';

/** The whole release. Returns the result; throws DeployError for refusals before anything was applied. */
export async function deploy(context: DeployContext, options: DeployOptions): Promise<DeployResult> {
  const prepared = prepare(options, context);
  for (const warning of prepared.imageWarnings) context.log(`warning: ${warning}`);
  const source = kubeconfigSource(context, options, prepared.target);
  // The images must be where the environment's EKS cluster will pull them (ECR replication is asynchronous): checked
  // before anything else. With --kubeconfig the operator names another cluster, which may pull from elsewhere.
  if (source.kind === 'eks') {
    const { checkReleaseImages } = await import('./phases/image-availability');
    await checkReleaseImages(context, [...new Set(prepared.workloads.flatMap((w) => podImages(w.owner)))], options.imageWaitSeconds ?? 600);
  }
  const secrets = await releaseSecrets(context, prepared);
  const expected = { target: prepared.target, kubeContext: options.context, outputs: prepared.outputs };
  return withCluster(context, source, expected, async (connected) => {
    const access = await namespaceAccess(connected, prepared.release.namespace, prepared.release.namespaceObject);
    return release(connected, planRelease(prepared, access, secrets), options);
  });
}

async function release(context: ClusterContext, plan: ReleasePlan, options: DeployOptions): Promise<DeployResult> {
  const { log } = context;
  const canary = deploymentPlans(plan).some((w) => w.strategy.kind === 'canary');
  const { deferred } = await preflight(context, plan, [...context.preflightChecks, ...(canary ? [podProxyAccess] : [])]);
  log(`manifests: ${writeReviewCopy(context, plan, origin(plan, options))}`);
  if (options.mode === 'diff' || options.mode === 'dry-run') {
    await (options.mode === 'diff' ? diffRelease : dryRunRelease)(context, plan, deferred);
    return { outcome: options.mode, exitCode: EXIT.ok };
  }
  // The locks (Leases) live in the namespace: the Namespace first, then one release at a time per workload.
  await applyNamespace(context, plan);
  await checkEarlierLock(context, plan.namespace);
  return withLocks(
    context,
    plan.workloads.map((w) => workloadLock(plan.namespace, w.name)),
    () => releaseLocked(context, plan, options),
  );
}

function origin(plan: ReleasePlan, options: DeployOptions): string {
  const workloads = plan.workloads.map((w) => `${w.name} (${podImages(w.kind === 'cronJob' ? w.cronJob : w.deployment).join(', ')})`).join(', ');
  return `${options.manifestsDir ? `from ${options.manifestsDir}` : `rendered for ${plan.target.name}`}, workloads ${workloads}`;
}

/** Under the locks: the namespace-level objects, then each workload in turn until one fails; the summary last. */
async function releaseLocked(context: ClusterContext, plan: ReleasePlan, options: DeployOptions): Promise<DeployResult> {
  await applyNamespaceSet(context, plan);
  const results: [string, WorkloadResult][] = [];
  for (const workload of plan.workloads) {
    const failed = results.some(([, r]) => r.outcome !== 'not-released' && r.exitCode !== EXIT.ok);
    results.push([workload.name, failed ? { outcome: 'not-released' } : await releaseWorkload(context, workload, options)]);
  }
  const everyWorkload = plan.target.workloads.every((w) => results.some(([name, r]) => name === w.name && r.outcome !== 'not-released'));
  const handOver = await handOverLegacySet(context, plan, everyWorkload && plan.namespaceSet?.pruned === true);
  if (handOver) context.log(handOver);
  const result = combinedResult(results);
  context.log(releaseSummary(plan.target.name, result));
  return result;
}

/** One workload's section of the report: its release, or (the API server rejected its apply) exit 5 and a stop. */
async function releaseWorkload(context: ClusterContext, plan: WorkloadPlan, options: DeployOptions): Promise<DeployResult> {
  context.log(`── ${plan.kind} ${plan.name} (${podImages(plan.kind === 'cronJob' ? plan.cronJob : plan.deployment).join(', ')})`);
  try {
    return plan.kind === 'cronJob' ? await cronJobRelease(context, plan) : await deploymentRelease(context, plan, options);
  } catch (e) {
    if (!(e instanceof DeployError) || e.exitCode !== EXIT.applyFailed) throw e;
    context.log(`✗ ${plan.target.name}: ${e.message}`);
    return { outcome: 'apply-failed', exitCode: EXIT.applyFailed, reason: e.message };
  }
}

/** A CronJob: applied, read back, its pods' admission dry-run; restored to what it was when a check fails. */
async function cronJobRelease(context: ClusterContext, plan: CronJobPlan): Promise<DeployResult> {
  const { clock, log } = context;
  const applyStarted = clock.now();
  const outcome = await releaseCronJob(context, plan);
  const settled = clock.now();
  if (outcome.kind === 'accepted') return successResult({ applyStarted, applied: settled, settled });
  const timings = { applyMs: settled - applyStarted, detectMs: 0 };
  const restored = outcome.restored ? `restored to the CronJob that ran before` : `not restored (${outcome.error ?? 'first release: nothing to return to'})`;
  log(`✗ ${plan.target.name}: the release of cronjob/${plan.name} failed: ${outcome.reason}\n  cronjob/${plan.name} ${restored}`);
  return outcome.restored
    ? { outcome: 'rolled-back', exitCode: EXIT.rolledBack, reason: outcome.reason, timings: { ...timings, restoreMs: 0, totalMs: timings.applyMs } }
    : { outcome: 'rollback-failed', exitCode: EXIT.rollbackFailed, reason: outcome.reason, timings };
}

/** A service or worker: a canary first when its strategy says so, then the rolling update of its Deployment. */
async function deploymentRelease(context: ClusterContext, plan: DeploymentPlan, options: DeployOptions): Promise<DeployResult> {
  const { log } = context;
  if (plan.kind === 'service') await removeLeftoverCanary(context, plan);
  const previous = await readPrevious(context, plan);
  if (!usesCanary(context, plan, previous)) return rollOut(context, plan, previous, options);
  const canary = await runCanary(context, plan, previous, options.timeoutSeconds * 1000);
  const images = podImages(plan.deployment);
  if (canary.kind === 'abort') {
    log(canaryAbortReport(plan.target.name, plan.deploymentName, images, canary, previous));
    return canaryAbortResult(canary);
  }
  log(promotionLine(plan.deploymentName, images, canary));
  try {
    return { ...(await rollOut(context, plan, previous, options)), canary: canarySummary(canary) };
  } finally {
    // After the stable pods rolled (or were rolled back): the canary's share goes with the rest.
    await removeCanary(context, plan);
  }
}

/** The rolling update of the Deployment: apply its set, watch, and on failure diagnose and roll back. */
async function rollOut(context: ClusterContext, plan: DeploymentPlan, previous: PreviousRelease, options: DeployOptions): Promise<DeployResult> {
  const { clock, log } = context;
  const applyStarted = clock.now();
  await applyWorkload(context, plan);
  const applied = clock.now();
  log(watchingLine(plan, applied - applyStarted, options.timeoutSeconds));
  const watch = { namespace: plan.namespace, name: plan.deploymentName, minReplicas: plan.minReplicas, timeoutMs: options.timeoutSeconds * 1000 };
  const outcome = await undoIfCancelled(context, plan, previous, () => watchRollout(context, watch));
  const settled = clock.now();
  const images = podImages(plan.deployment);
  if (outcome.phase === 'complete') {
    const result = successResult({ applyStarted, applied, settled });
    log(successLine(plan.target.name, plan.deploymentName, images, outcome, result.timings!));
    return result;
  }
  const diagnosis = await diagnose(context, plan.namespace, plan.deployment);
  const undone = await rollback(context, plan, previous, Math.max(options.timeoutSeconds, 120) * 1000);
  const marks = { applyStarted, applied, settled, rollbackEnded: undone.kind === 'no-previous-revision' ? undefined : clock.now() };
  log(failureReport({ target: plan.target.name, deployment: plan.deploymentName, images, failure: outcome, diagnosis, previous, rollback: undone, marks }));
  return failureResult(marks, outcome, undone);
}
