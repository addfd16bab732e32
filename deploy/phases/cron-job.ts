/**
 * The release of a CronJob: no pods run at release time, so there is no rollout to watch. What is checked instead:
 * the object was accepted (applied, and read back with the released images), and the pods its runs would create are
 * admitted (a server-side dry run of a Pod made from its jobTemplate: Pod Security `restricted` is enforced on pods,
 * while a CronJob itself only draws warnings). On failure the CronJob as it was before is applied again.
 */
import { POD_SECURITY_LEVEL } from '../../config';
import { RELEASE_LABEL, clone, podImages, podTemplate, type KubeObject } from '../manifests';
import type { ClusterContext } from '../context';
import { indent } from '../text';
import { applyWorkload } from './apply';
import type { CronJobPlan } from './plan';

const RESOURCE = 'cronjob.batch';

export type CronJobOutcome =
  | { readonly kind: 'accepted' }
  /** `restored`: the previous CronJob is back; undefined: there was none (first release) or restoring failed (`error`). */
  | { readonly kind: 'failed'; readonly reason: string; readonly restored: boolean; readonly error?: string };

/** Applies the CronJob's set, then checks it; restores the previous CronJob when a check fails. */
export async function releaseCronJob(context: ClusterContext, plan: CronJobPlan): Promise<CronJobOutcome> {
  const previous = await context.cluster.get(RESOURCE, plan.name, plan.namespace);
  await applyWorkload(context, plan);
  const reason = await checkCronJob(context, plan);
  if (!reason) {
    context.log(`✓ cronjob/${plan.name}: accepted (${podImages(plan.cronJob).join(', ')}), its pods admitted under Pod Security "${POD_SECURITY_LEVEL}" (server-side dry run)`);
    return { kind: 'accepted' };
  }
  const before = previous.ok ? previous.value : undefined;
  if (!before) return { kind: 'failed', reason, restored: false };
  const restored = await context.cluster.apply([restorable(before)]);
  return restored.ok ? { kind: 'failed', reason, restored: true } : { kind: 'failed', reason, restored: false, error: restored.error };
}

/** Why the applied CronJob is not released as intended, or undefined when it is. */
async function checkCronJob({ cluster }: ClusterContext, plan: CronJobPlan): Promise<string | undefined> {
  const read = await cluster.get(RESOURCE, plan.name, plan.namespace);
  if (!read.ok) return `cannot read cronjob/${plan.name} back: ${read.error.split('\n')[0]}`;
  if (!read.value) return `cronjob/${plan.name} is not in namespace ${plan.namespace} after the apply`;
  const wanted = podImages(plan.cronJob).join(', ');
  if (podImages(read.value).join(', ') !== wanted) return `cronjob/${plan.name} runs ${podImages(read.value).join(', ')} after the apply, not ${wanted}`;
  const dry = await cluster.apply([admissionPod(plan)], { dryRun: true });
  if (!dry.ok) return `the pods of cronjob/${plan.name} would not be admitted (server-side dry run of a Pod from its jobTemplate):\n${indent(dry.error)}`;
  return undefined;
}

/**
 * A Pod as a run of the CronJob would create it (its jobTemplate's pod template), for a server-side dry run only.
 * `anyServiceAccount`: before the release's first apply its ServiceAccount may not exist yet, and the ServiceAccount
 * admission plugin rejects a Pod naming a missing one; Pod Security does not look at it, so the preflight's Pod names
 * none (the namespace's default). After the apply the Pod is checked as it is.
 */
export function admissionPod(plan: CronJobPlan, anyServiceAccount = false): KubeObject {
  const template = clone(podTemplate(plan.cronJob) ?? {}) as { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> };
  const spec = { ...template.spec };
  if (anyServiceAccount) {
    delete spec.serviceAccountName;
    delete spec.serviceAccount;
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${plan.name}-admission-check`, namespace: plan.namespace, labels: { ...template.metadata?.labels, [RELEASE_LABEL]: plan.target.name } },
    spec,
  };
}

/** The CronJob as read before the release, as an object to apply again (server-set fields dropped, still in its set). */
function restorable(live: KubeObject): KubeObject {
  const { uid: _u, resourceVersion: _r, creationTimestamp: _c, generation: _g, managedFields: _m, ...metadata } = live.metadata as KubeObject['metadata'] & Record<string, unknown>;
  const { status: _s, ...rest } = live;
  return { ...rest, metadata } as KubeObject;
}
