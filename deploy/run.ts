/**
 * The deploy command, phase by phase (deploy/phases/): prepare offline → connect → namespace access → preflight →
 * apply → watch → rollback/report. Each phase has one job and talks to the cluster only through `Cluster`.
 */
import type { DeployOptions } from './args';
import { systemClock, type Clock } from './clock';
import { KubectlCluster, type Cluster } from './cluster';
import { EXIT } from './errors';
import { findKubectl, Kubectl } from './kubectl';
import { podImages } from './manifests';
import { applyRelease, readPrevious } from './phases/apply';
import { checkCluster, connect, kubeconfigSource, type OpenCluster } from './phases/connect';
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
  /** @default - none (progress deadline and timeout only) */
  readonly rolloutChecks?: readonly RolloutCheck[];
}

/** The whole command. Returns the result; throws DeployError for refusals before anything was applied. */
export async function deploy(options: DeployOptions, deps: DeployDeps): Promise<DeployResult> {
  const prepared = prepare(options, deps);
  for (const warning of prepared.imageWarnings) deps.log(`warning: ${warning}`);
  const source = kubeconfigSource(options, prepared.target, deps.env);
  const aws = { endpoint: options.awsEndpoint };
  // The images must be where the environment's EKS cluster will pull them (ECR replication is asynchronous): checked
  // before anything else. With --kubeconfig the operator names another cluster, which may pull from elsewhere.
  if (source.kind === 'eks') {
    const { checkReleaseImages } = await import('./image-availability');
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
  const clock = deps.clock ?? systemClock;
  const { deferred } = await preflight({ cluster, plan, log }, deps.preflightChecks);
  log(`manifests: ${writeReviewCopy(deps.workdir, plan, options.manifestsDir ? `from ${options.manifestsDir}` : `rendered for ${plan.target.name}, image ${options.image}`)}`);
  if (options.mode !== 'apply') {
    await (options.mode === 'diff' ? diffRelease : dryRunRelease)(cluster, plan, deferred, log);
    return { outcome: options.mode, exitCode: EXIT.ok };
  }

  const previous = await readPrevious(cluster, plan);
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
