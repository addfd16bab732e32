/**
 * The deploy command's release, phase by phase (deploy/phases/): prepare offline → connect → namespace access →
 * preflight → lock → (canary → analysis → abort or promote: deploy/canary/) → apply → watch → rollback/report. Each
 * phase has one job, takes the deploy context (deploy/context.ts) and talks to the cluster only through `Cluster`.
 * `--abort-canary` is its own short flow (deploy/canary/abort-canary.ts), chosen by the entry point.
 */
import type { DeployOptions } from './args';
import { podProxyAccess } from './canary/pod-metrics';
import { canaryAbortReport, canaryAbortResult, canarySummary, promotionLine } from './canary/report';
import { removeCanary, removeLeftoverCanary, runCanary, usesCanary } from './canary/run-canary';
import type { ClusterContext, DeployContext } from './context';
import { EXIT } from './errors';
import { podImages } from './manifests';
import { applyNamespace, applyRelease, readPrevious, type PreviousRelease } from './phases/apply';
import { kubeconfigSource, withCluster } from './phases/connect';
import { withLock } from './phases/lock';
import { namespaceAccess } from './phases/namespace';
import { releaseSecrets } from './phases/oidc-secret';
import { planRelease, type ReleasePlan } from './phases/plan';
import { preflight } from './phases/preflight';
import { prepare } from './phases/prepare';
import { failureReport, failureResult, successLine, successResult, watchingLine, type DeployResult } from './phases/report';
import { diffRelease, dryRunRelease, writeReviewCopy } from './phases/review';
import { diagnose, rollback } from './phases/rollback';
import { watchRollout } from './phases/watch';
import { afterRelease, beforePodsChange, withReleasePhases } from './phases/workload-phases';
import type { ReleasePhases } from './rules/release-phases';

/** The whole release. Returns the result; throws DeployError for refusals before anything was applied. */
export async function deploy(context: DeployContext, options: DeployOptions): Promise<DeployResult> {
  const prepared = prepare(options, context);
  for (const warning of prepared.imageWarnings) context.log(`warning: ${warning}`);
  const source = kubeconfigSource(context, options, prepared.target);
  // The images must be where the environment's EKS cluster will pull them (ECR replication is asynchronous): checked
  // before anything else. With --kubeconfig the operator names another cluster, which may pull from elsewhere.
  if (source.kind === 'eks') {
    const { checkReleaseImages } = await import('./phases/image-availability');
    await checkReleaseImages(context, podImages(prepared.release.deployment), options.imageWaitSeconds ?? 600);
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
  // The ApplySet gets its members only; configuration and migrations have phases of their own (checked before anything is sent).
  const { plan: members, phases } = withReleasePhases(plan);
  const checks = [...context.preflightChecks, ...(plan.strategy.kind === 'canary' ? [podProxyAccess] : [])];
  const { deferred } = await preflight(context, plan, checks);
  log(`manifests: ${writeReviewCopy(context, plan, options.manifestsDir ? `from ${options.manifestsDir}` : `rendered for ${plan.target.name}, image ${options.image}`)}`);
  if (options.mode === 'diff' || options.mode === 'dry-run') {
    // --diff shows every object; --dry-run the ApplySet's apply and prune (the configuration and migrations passed the preflight above).
    await (options.mode === 'diff' ? diffRelease(context, plan, deferred) : dryRunRelease(context, members, deferred));
    return { outcome: options.mode, exitCode: EXIT.ok };
  }
  // The lock (a Lease) lives in the namespace: the Namespace first, then one release at a time.
  await applyNamespace(context, plan);
  return withLock(context, plan.namespace, async () => {
    await removeLeftoverCanary(context, members);
    const result = await releaseLocked(context, members, options, phases);
    if (result.exitCode === EXIT.ok) await afterRelease(context, members, phases);
    return result;
  });
}

/** Under the lock: configuration and migrations, a canary first when the strategy says so, then the rolling update of the stable Deployment. */
async function releaseLocked(context: ClusterContext, plan: ReleasePlan, options: DeployOptions, phases: ReleasePhases): Promise<DeployResult> {
  const { log } = context;
  const previous = await readPrevious(context, plan);
  const stopped = await beforePodsChange(context, plan, phases);
  if (stopped) return stopped;
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

/** The rolling update of the stable Deployment: apply, watch, and on failure diagnose and roll back. */
async function rollOut(context: ClusterContext, plan: ReleasePlan, previous: PreviousRelease, options: DeployOptions): Promise<DeployResult> {
  const { clock, log } = context;
  const applyStarted = clock.now();
  await applyRelease(context, plan);
  const applied = clock.now();
  log(watchingLine(plan, applied - applyStarted, options.timeoutSeconds));
  const outcome = await watchRollout(context, { namespace: plan.namespace, name: plan.deploymentName, minReplicas: plan.minReplicas, timeoutMs: options.timeoutSeconds * 1000 });
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
