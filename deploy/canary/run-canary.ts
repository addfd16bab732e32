/**
 * Phase 5a, a canary release (the target's strategy is canary and a stable Deployment runs): a canary Deployment
 * with the new pod template and a share of the pods, behind the same Service; watched until Ready with the same
 * fast failure detection as a rollout; analysed interval by interval against the thresholds and the stable pods.
 * Abort: the canary is removed and the stable Deployment was never touched. Promote: the caller applies the
 * release (the stable Deployment rolls as usual), then removes the canary (`removeCanary`).
 */
import type { CanaryConfig } from '../../config';
import { analyseCanary, type AnalysisResult } from './run-analysis';
import { intervalLine } from './verdict';
import { canaryDeployment, canaryName, canaryReplicas } from './deployment';
import { Cancelled } from '../cancellation';
import type { ClusterContext, DeployContext } from '../context';
import { DeployError, EXIT } from '../errors';
import { podImages, type KubeObject } from '../manifests';
import type { PreviousRelease } from '../phases/apply';
import type { DeploymentPlan } from '../phases/plan';
import { diagnose } from '../phases/rollback';
import { watchRollout } from '../phases/watch';
import { indent } from '../text';

/** Clock marks of a canary (ms of `Clock`): applied, Ready (when it became Ready), decided (canary removed on abort). */
export interface CanaryMarks {
  readonly started: number;
  readonly applied: number;
  readonly ready?: number;
  readonly decided: number;
}

export type CanaryOutcome =
  | { readonly kind: 'promote'; readonly analysis: AnalysisResult; readonly marks: CanaryMarks; readonly canary: KubeObject }
  | {
      readonly kind: 'abort';
      /** never-ready: the canary did not become Ready; analysis: the metrics failed it (or were inconclusive with onInconclusive "fail"). */
      readonly stage: 'never-ready' | 'analysis';
      readonly reason: string;
      readonly inconclusive: boolean;
      /** The report's body (pods, intervals, what was removed). */
      readonly details: readonly string[];
      readonly marks: CanaryMarks;
    };

type Selector = { spec?: { selector?: { matchLabels?: Record<string, string> } } };
const selectorOf = (deployment: KubeObject) => (deployment as Selector).spec?.selector?.matchLabels ?? {};

/**
 * Whether this release goes through a canary: the strategy says so and a stable Deployment exists to compare with
 * (a first release has no stable pods: the plain rollout, said so).
 */
export function usesCanary({ log }: DeployContext, plan: DeploymentPlan, previous: PreviousRelease): plan is DeploymentPlan & { strategy: { kind: 'canary' } } {
  if (plan.strategy.kind !== 'canary') return false;
  if (previous.images.length > 0) return true;
  log(`canary: no deployment/${plan.deploymentName} runs yet (first release), so there are no stable pods to compare a canary with: plain rollout`);
  return false;
}

/**
 * Creates the canary, waits at most `timeoutMs` for it to be Ready (the context's rollout checks watch its pods too),
 * analyses it; on abort, and when the deploy is cancelled meanwhile, it is removed before this returns (or throws).
 */
export async function runCanary(context: ClusterContext, plan: DeploymentPlan & { strategy: CanaryConfig }, previous: PreviousRelease, timeoutMs: number): Promise<CanaryOutcome> {
  const { cluster, clock, log } = context;
  const started = clock.now();
  const canary = canaryDeployment(plan.deployment, canaryReplicas(previous.replicas ?? plan.minReplicas ?? 1, plan.strategy.sharePercent));
  const applied = await cluster.apply([canary]);
  if (!applied.ok)
    throw new DeployError(`creating the canary deployment/${canary.metadata.name} failed (the stable Deployment is untouched):\n${indent(applied.error)}`, EXIT.applyFailed);
  const appliedAt = clock.now();
  log(startLine(plan, canary, previous));
  return removedIfStopped(context, plan, () => judgeCanary(context, plan, { canary, previous, timeoutMs, started, appliedAt }));
}

/**
 * Whatever stops a canary before its verdict (a cancelled deploy, an error) removes it: it serves a share of the
 * traffic on a version nobody judged. A cancelled deploy whose canary cannot be removed ends with exit 4.
 */
async function removedIfStopped<T>(context: ClusterContext, plan: DeploymentPlan, judge: () => Promise<T>): Promise<T> {
  try {
    return await judge();
  } catch (e) {
    const removed = await removeCanary(context, plan);
    throw e instanceof Cancelled && !removed.removed ? e.unfinished(removed.line) : e;
  }
}

interface Started {
  readonly canary: KubeObject;
  readonly previous: PreviousRelease;
  readonly timeoutMs: number;
  readonly started: number;
  readonly appliedAt: number;
}

/** The applied canary: Ready wait, then the analysis; on abort it is removed before this returns. */
async function judgeCanary(context: ClusterContext, plan: DeploymentPlan & { strategy: CanaryConfig }, run: Started): Promise<CanaryOutcome> {
  const { clock, log } = context;
  const { canary, previous, timeoutMs, started, appliedAt } = run;
  const ready = await watchRollout(context, { namespace: plan.namespace, name: canary.metadata.name, timeoutMs, readyIsEnough: true });
  if (ready.phase !== 'complete') {
    const diagnosis = await diagnose(context, plan.namespace, canary);
    const removed = await removeCanary(context, plan);
    const marks = { started, applied: appliedAt, decided: clock.now() };
    return { kind: 'abort', stage: 'never-ready', reason: `the canary did not become Ready: ${ready.reason}`, inconclusive: false, details: [...diagnosis, removed.line], marks };
  }
  const readyAt = clock.now();
  log(`canary: ${ready.state.ready} pod${ready.state.ready === 1 ? '' : 's'} Ready (serving); analysing ${plan.strategy.intervals} × ${plan.strategy.intervalSeconds}s`);
  const analysis = await analyseCanary(context, { namespace: plan.namespace, selector: selectorOf(plan.deployment), config: plan.strategy });
  if (analysis.decision.kind === 'promote') return { kind: 'promote', analysis, canary, marks: { started, applied: appliedAt, ready: readyAt, decided: clock.now() } };
  const removed = await removeCanary(context, plan);
  const details = [...podLines(analysis, canary, previous), ...analysis.verdicts.map((v) => intervalLine(v, plan.strategy.intervals)), removed.line];
  const marks = { started, applied: appliedAt, ready: readyAt, decided: clock.now() };
  return { kind: 'abort', stage: 'analysis', reason: analysis.decision.reason, inconclusive: analysis.decision.inconclusive, details, marks };
}

function startLine(plan: DeploymentPlan & { strategy: CanaryConfig }, canary: KubeObject, previous: PreviousRelease): string {
  const pods = (canary.spec as { replicas: number }).replicas;
  const stable = previous.replicas ?? plan.minReplicas ?? 1;
  const share = Math.round((100 * pods) / (pods + stable));
  return (
    `canary: deployment/${canary.metadata.name} with ${podImages(canary).join(', ')}: ${pods} pod${pods === 1 ? '' : 's'} beside ${stable} stable ` +
    `(${share} % of the pods, configured ${plan.strategy.sharePercent} %); deployment/${plan.deploymentName} untouched until the analysis passes`
  );
}

function podLines(analysis: AnalysisResult, canary: KubeObject, previous: PreviousRelease): string[] {
  return [
    `canary pods: ${analysis.pods.canary.join(', ') || '(none running)'} (${podImages(canary).join(', ')})`,
    `stable pods: ${analysis.pods.stable.join(', ') || '(none running)'} (${previous.images.join(', ')})`,
  ];
}

/** Deletes the canary Deployment (its pods go with it); `line` says what happened. Never throws. */
export async function removeCanary(
  { cluster, log }: ClusterContext,
  plan: Pick<DeploymentPlan, 'deploymentName' | 'namespace'>,
): Promise<{ readonly removed: boolean; readonly line: string }> {
  const name = canaryName(plan.deploymentName);
  const deleted = await cluster.delete('deployment', name, plan.namespace);
  const line = deleted.ok
    ? `deployment/${name} removed (its pods terminate with their usual drain)`
    : `could not remove deployment/${name}: ${deleted.error.split('\n')[0]} — remove it with npm run deploy -- --abort-canary --env <name>`;
  log(`canary: ${line}`);
  return { removed: deleted.ok, line };
}

/**
 * Before a release: a canary left by a deploy that stopped mid-canary (killed, or its machine gone) still serves its
 * share on the version that was being analysed. It is removed, and said so. Returns whether there was one.
 */
export async function removeLeftoverCanary(context: ClusterContext, plan: Pick<DeploymentPlan, 'deploymentName' | 'namespace'>): Promise<boolean> {
  const { cluster, log } = context;
  const name = canaryName(plan.deploymentName);
  const got = await cluster.getDeployment(name, plan.namespace);
  if (!got.ok) throw new DeployError(`cannot read deployment/${name} in ${plan.namespace} (a canary left by a stopped deploy?): ${got.error}`, EXIT.clusterUnreachable);
  if (!got.value) return false;
  const images = podImages(got.value as unknown as KubeObject);
  log(`canary: found deployment/${name} (${images.join(', ')}) left by a deploy that stopped mid-canary; removing it`);
  const removed = await removeCanary(context, plan);
  if (!removed.removed) throw new DeployError(`the leftover canary deployment/${name} could not be removed; nothing applied`, EXIT.clusterUnreachable);
  return true;
}
