/**
 * The deploy command, phase by phase (deploy/phases/): prepare offline → connect → namespace access → preflight →
 * lock → (canary → analysis → abort or promote) → apply → watch → rollback/report. Each phase has one job and talks
 * to the cluster only through `Cluster`. `--abort-canary` is its own short flow (deploy/canary/abort-canary.ts).
 */
import { abortCanary } from './canary/abort-canary';
import type { DeployOptions } from './args';
import { podProxyAccess } from './canary/pod-metrics';
import { systemClock, type Clock } from './clock';
import { KubectlCluster, type Cluster } from './adapters/cluster';
import { EXIT } from './errors';
import { findKubectl, Kubectl } from './adapters/kubectl';
import { podImages } from './manifests';
import { applyNamespace, applyRelease, readPrevious, type PreviousRelease } from './phases/apply';
import { removeCanary, removeLeftoverCanary, runCanary, usesCanary } from './canary/run-canary';
import { canaryAbortReport, canaryAbortResult, canarySummary, promotionLine } from './canary/report';
import { checkCluster, connect, kubeconfigSource, type OpenCluster } from './phases/connect';
import { holdLock, processLockHolder } from './phases/lock';
import { namespaceAccess } from './phases/namespace';
import { releaseSecrets } from './phases/oidc-secret';
import { planRelease, type ReleasePlan } from './phases/plan';
import { preflight, type PreflightCheck } from './phases/preflight';
import { prepare, type PrepareDeps } from './phases/prepare';
import { failureReport, failureResult, successLine, successResult, watchingLine, type DeployResult } from './phases/report';
import { diffRelease, dryRunRelease, writeReviewCopy } from './phases/review';
import { diagnose, rollback } from './phases/rollback';
import { watchRollout, type RolloutCheck } from './phases/watch';

export interface DeployDeps extends PrepareDeps {
  readonly log: (line: string) => void;
  /** The process environment, read once by the entry point (KUBECONFIG, KUBECTL, PLATFORM_CACHE_DIR; passed to kubectl). */
  readonly env: NodeJS.ProcessEnv;
  /** Where `.deploy/<env>/` is written (the repository root). */
  readonly workdir: string;
  /**
   * Poll interval of the rollout watch (ms).
   * @default 1000
   */
  readonly pollMs?: number;
  /** @default - real time */
  readonly clock?: Clock;
  /** @default - kubectl (`KubectlCluster` over `findKubectl(env)`) */
  readonly openCluster?: OpenCluster;
  /** @default - none (the server-side dry run always runs) */
  readonly preflightChecks?: readonly PreflightCheck[];
  /** @default - none (progress deadline and timeout only); they watch a canary's pods too */
  readonly rolloutChecks?: readonly RolloutCheck[];
  /** @default - the CI run (when there is one), user@host and pid */
  readonly lockHolder?: string;
  /** Wall-clock time of the deploy lock's Lease. @default - the system time */
  readonly now?: () => Date;
}

/** The whole command. Returns the result; throws DeployError for refusals before anything was applied. */
export async function deploy(options: DeployOptions, deps: DeployDeps): Promise<DeployResult> {
  if (options.mode === 'abort-canary') return abortCanary(options, deps);
  const prepared = prepare(options, deps);
  for (const warning of prepared.imageWarnings) deps.log(`warning: ${warning}`);
  const source = kubeconfigSource(options, prepared.target, deps.env);
  const aws = { endpoint: options.awsEndpoint };
  // The images must be where the environment's EKS cluster will pull them (ECR replication is asynchronous): checked
  // before anything else. With --kubeconfig the operator names another cluster, which may pull from elsewhere.
  if (source.kind === 'eks') {
    const { checkReleaseImages } = await import('./phases/image-availability');
    await checkReleaseImages(podImages(prepared.release.deployment), { ...aws, waitSeconds: options.imageWaitSeconds ?? 600, log: deps.log });
  }
  const secrets = await releaseSecrets(prepared, aws, deps.log);
  const open = deps.openCluster ?? ((target) => new KubectlCluster(new Kubectl(findKubectl(deps.env), target, deps.env)));
  const connection = await connect(source, { options, outputs: prepared.outputs, aws }, open, deps.log);
  try {
    await checkCluster(connection.cluster, prepared.target, { context: options.context, outputs: prepared.outputs }, deps.log);
    const access = await namespaceAccess(connection.cluster, prepared.release.namespace, prepared.release.namespaceObject, deps.log);
    return await release(connection.cluster, planRelease(prepared, access, secrets), options, deps);
  } finally {
    connection.dispose();
  }
}

async function release(cluster: Cluster, plan: ReleasePlan, options: DeployOptions, deps: DeployDeps): Promise<DeployResult> {
  const { log } = deps;
  const checks = [...(deps.preflightChecks ?? []), ...(plan.strategy.kind === 'canary' ? [podProxyAccess] : [])];
  const { deferred } = await preflight({ cluster, plan, log }, checks);
  log(`manifests: ${writeReviewCopy(deps.workdir, plan, options.manifestsDir ? `from ${options.manifestsDir}` : `rendered for ${plan.target.name}, image ${options.image}`)}`);
  if (options.mode === 'diff' || options.mode === 'dry-run') {
    await (options.mode === 'diff' ? diffRelease : dryRunRelease)(cluster, plan, deferred, log);
    return { outcome: options.mode, exitCode: EXIT.ok };
  }
  // The lock (a Lease) lives in the namespace: the Namespace first, then one release at a time.
  await applyNamespace(cluster, plan, log);
  const lock = await holdLock(cluster, plan.namespace, deps.lockHolder ?? processLockHolder(deps.env), deps.now ?? (() => new Date()), log);
  try {
    await removeLeftoverCanary(cluster, plan, log);
    return await releaseLocked(cluster, plan, options, deps);
  } finally {
    await lock.release();
  }
}

/** Under the lock: a canary first when the strategy says so, then the rolling update of the stable Deployment. */
async function releaseLocked(cluster: Cluster, plan: ReleasePlan, options: DeployOptions, deps: DeployDeps): Promise<DeployResult> {
  const { log } = deps;
  const clock = deps.clock ?? systemClock;
  const previous = await readPrevious(cluster, plan);
  if (!usesCanary(plan, previous, log)) return rollOut(cluster, plan, previous, options, deps);
  const canary = await runCanary(cluster, plan, previous, { clock, log, pollMs: deps.pollMs, timeoutMs: options.timeoutSeconds * 1000, checks: deps.rolloutChecks });
  const images = podImages(plan.deployment);
  if (canary.kind === 'abort') {
    log(canaryAbortReport(plan.target.name, plan.deploymentName, images, canary, previous));
    return canaryAbortResult(canary);
  }
  log(promotionLine(plan.deploymentName, images, canary));
  try {
    return { ...(await rollOut(cluster, plan, previous, options, deps)), canary: canarySummary(canary) };
  } finally {
    // After the stable pods rolled (or were rolled back): the canary's share goes with the rest.
    await removeCanary(cluster, plan, log);
  }
}

/** The rolling update of the stable Deployment: apply, watch, and on failure diagnose and roll back. */
async function rollOut(cluster: Cluster, plan: ReleasePlan, previous: PreviousRelease, options: DeployOptions, deps: DeployDeps): Promise<DeployResult> {
  const { log } = deps;
  const clock = deps.clock ?? systemClock;
  const applyStarted = clock.now();
  await applyRelease(cluster, plan, log);
  const applied = clock.now();
  log(watchingLine(plan, applied - applyStarted, options.timeoutSeconds));
  const watch = { clock, log, minReplicas: plan.minReplicas, pollMs: deps.pollMs };
  const outcome = await watchRollout(cluster, {
    ...watch,
    namespace: plan.namespace,
    name: plan.deploymentName,
    timeoutMs: options.timeoutSeconds * 1000,
    checks: deps.rolloutChecks,
  });
  const settled = clock.now();
  const images = podImages(plan.deployment);
  if (outcome.phase === 'complete') {
    const result = successResult({ applyStarted, applied, settled });
    log(successLine(plan.target.name, plan.deploymentName, images, outcome, result.timings!));
    return result;
  }
  const diagnosis = await diagnose(cluster, plan.namespace, plan.deployment);
  const undone = await rollback(cluster, plan, previous, { ...watch, timeoutMs: Math.max(options.timeoutSeconds, 120) * 1000 });
  const marks = { applyStarted, applied, settled, rollbackEnded: undone.kind === 'no-previous-revision' ? undefined : clock.now() };
  log(failureReport({ target: plan.target.name, deployment: plan.deploymentName, images, failure: outcome, diagnosis, previous, rollback: undone, marks }));
  return failureResult(marks, outcome, undone);
}
