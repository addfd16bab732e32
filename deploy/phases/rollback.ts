/**
 * Phase 7a, after a failed rollout: what went wrong (pods not Ready, their conditions, container states and events),
 * then `kubectl rollout undo` to the revision that ran before the apply, watched until it is healthy again.
 */
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

/** Which pods are not ready and why (conditions, container states, recent events). */
export async function diagnose({ cluster }: ClusterContext, namespace: string, deployment: KubeObject): Promise<string[]> {
  const selector = (deployment.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ?? {};
  const pods = await cluster.listPods(namespace, selector);
  if (!pods.ok) return [`(could not list pods: ${pods.error})`];
  const events = await cluster.listEvents(namespace);
  const lines = describeUnreadyPods(pods.value, events.ok ? events.value : []);
  return lines.length ? ['pods not ready:', ...lines.map((l) => `  ${l}`)] : ['all pods report Ready (the rollout did not complete in time)'];
}
