/**
 * Phase 7a, after a failed rollout: what went wrong (pods not Ready, their conditions, container states and events),
 * then `kubectl rollout undo` to the revision that ran before the apply, watched until it is healthy again.
 */
import { Cancelled } from '../cancellation';
import type { ClusterContext } from '../context';
import type { KubeObject } from '../manifests';
import { describeUnreadyPods } from '../rules/rollout';
import type { PreviousRelease } from './apply';
import type { DeploymentPlan } from './plan';
import { watchRollout, type RolloutOutcome } from './watch';

export type RollbackOutcome =
  /** First release: nothing to return to. */
  | { readonly kind: 'no-previous-revision' }
  | { readonly kind: 'undo-failed'; readonly error: string }
  /** The previous revision is back; `restored.phase` says whether it became healthy again. */
  | { readonly kind: 'undone'; readonly revision: string; readonly restored: RolloutOutcome };

/** Undoes the rollout to `previous.revision`, then watches the restore for at most `timeoutMs`. */
export async function rollback(context: ClusterContext, plan: DeploymentPlan, previous: PreviousRelease, timeoutMs: number): Promise<RollbackOutcome> {
  if (!previous.revision) return { kind: 'no-previous-revision' };
  context.log(`rolling back deployment/${plan.deploymentName} to revision ${previous.revision} (${previous.images.join(', ')})`);
  const undo = await context.cluster.rollbackDeployment(plan.deploymentName, plan.namespace, previous.revision);
  if (!undo.ok) return { kind: 'undo-failed', error: undo.error };
  const restored = await watchRollout(context, { namespace: plan.namespace, name: plan.deploymentName, minReplicas: plan.minReplicas, timeoutMs, restoring: true });
  return { kind: 'undone', revision: previous.revision, restored };
}

/**
 * Runs `watch` (of a rolling update this deploy started). When the deploy is cancelled meanwhile, undoes the rollout
 * to `previous.revision` before `Cancelled` goes on: without waiting for the old pods (they were never stopped:
 * `maxUnavailable: 0`), so a cancelled deploy ends within seconds. A first release has no revision to return to.
 */
export async function undoIfCancelled<T>(context: ClusterContext, plan: DeploymentPlan, previous: PreviousRelease, watch: () => Promise<T>): Promise<T> {
  try {
    return await watch();
  } catch (e) {
    if (!(e instanceof Cancelled)) throw e;
    const deployment = `deployment/${plan.deploymentName}`;
    if (!previous.revision) {
      context.log(`cancelled: ${deployment} stays at the new release (its first: no revision to return to)`);
      throw e.unfinished(`${deployment} is at the new release, not watched to the end (first release: nothing to roll back to)`);
    }
    context.log(`cancelled: rolling back ${deployment} to revision ${previous.revision} (${previous.images.join(', ')}); its pods return in the background`);
    const undo = await context.cluster.rollbackDeployment(plan.deploymentName, plan.namespace, previous.revision);
    if (!undo.ok) throw e.unfinished(`rolling back ${deployment} to revision ${previous.revision} failed: ${undo.error.split('\n')[0]}`);
    throw e;
  }
}

/** Which pods are not ready and why (conditions, container states, recent events). */
export async function diagnose(context: ClusterContext, namespace: string, deployment: KubeObject): Promise<string[]> {
  // Cancelled right after the failure: no diagnosis, but the rollback that follows still runs.
  if (context.cancellation.aborted) return ['(no diagnosis: the deploy was cancelled)'];
  const { cluster } = context;
  const selector = (deployment.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ?? {};
  const pods = await cluster.listPods(namespace, selector);
  if (!pods.ok) return [`(could not list pods: ${pods.error})`];
  const events = await cluster.listEvents(namespace);
  const lines = describeUnreadyPods(pods.value, events.ok ? events.value : []);
  return lines.length ? ['pods not ready:', ...lines.map((l) => `  ${l}`)] : ['all pods report Ready (the rollout did not complete in time)'];
}
