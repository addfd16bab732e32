/**
 * Phase 5: the Namespace first (never pruned), the namespace-level objects (their own ApplySet, under a short lock),
 * then per workload: remember what runs now (the revision to return to) and apply its objects as its own ApplySet
 * (objects removed from it are pruned; other workloads' objects are not in it and never touched). The single ApplySet
 * of the earlier deploy command is handed over (`handOverLegacySet`).
 */
import type { ClusterContext } from '../context';
import { clusterError, DeployError, EXIT } from '../errors';
import { podImages, type KubeObject } from '../manifests';
import { indent } from '../text';
import { withNamespaceLock } from './lock';
import { LEGACY_APPLYSET, namespaceApplySet, type DeploymentPlan, type ReleasePlan, type WorkloadPlan } from './plan';

/** The Deployment running before the apply. */
export interface PreviousRelease {
  /** `deployment.kubernetes.io/revision` to roll back to; undefined on a first release. */
  readonly revision?: string;
  readonly images: readonly string[];
  /** Its spec.replicas (what the autoscaler set): the canary is sized from it. */
  readonly replicas?: number;
}

/**
 * A failed read must not pass for "no Deployment yet": the release would then go out without a way back (a failure
 * would end in exit 4 instead of a rollback). So it refuses, with nothing applied.
 */
export async function readPrevious({ cluster }: ClusterContext, plan: DeploymentPlan): Promise<PreviousRelease> {
  const got = await cluster.getDeployment(plan.deploymentName, plan.namespace);
  if (!got.ok) {
    throw clusterError(`cannot read deployment/${plan.deploymentName} in ${plan.namespace} to know the revision to roll back to (nothing applied): ${got.error}`);
  }
  if (!got.value) return { images: [] };
  return {
    revision: got.value.metadata?.annotations?.['deployment.kubernetes.io/revision'],
    images: podImages(got.value as unknown as KubeObject),
    replicas: got.value.spec?.replicas,
  };
}

/** The Namespace first, on its own (never pruned): the deploy lock (a Lease) lives in it. */
export async function applyNamespace({ cluster, log }: ClusterContext, plan: ReleasePlan): Promise<void> {
  if (!plan.namespaceObject) return;
  const ns = await cluster.apply([plan.namespaceObject]);
  if (!ns.ok) throw new DeployError(`applying Namespace ${plan.namespace} failed:\n${indent(ns.error)}`, EXIT.applyFailed);
  log(ns.value);
}

/**
 * The namespace-level objects as their ApplySet `platform-namespace` (applied with any release). Two releases of
 * different workloads may reach this at the same moment: the namespace's short lock makes their applies (and prunes)
 * one after the other. Without a namespace-level file (`--manifests`) only the deploy-time Secrets are applied, unpruned.
 */
export async function applyNamespaceSet(context: ClusterContext, plan: ReleasePlan): Promise<void> {
  const set = plan.namespaceSet;
  if (!set) return;
  await withNamespaceLock(context, plan.namespace, async () => {
    const applied = await context.cluster.apply(set.objects, set.pruned ? { applySet: namespaceApplySet(plan) } : {});
    if (!applied.ok) throw new DeployError(`applying the namespace-level objects failed (no workload was changed):\n${indent(applied.error)}`, EXIT.applyFailed);
    context.log(applied.value);
  });
}

/** One workload's objects as its own ApplySet: its members that left it are pruned; no other workload's object is in it. */
export async function applyWorkload({ cluster, log }: ClusterContext, plan: WorkloadPlan): Promise<void> {
  const applied = await cluster.apply(plan.objects, { applySet: plan.applySet });
  if (!applied.ok) throw new DeployError(`apply of workload ${plan.name} failed (some of its objects may be at the new version):\n${indent(applied.error)}`, EXIT.applyFailed);
  log(applied.value);
}

/**
 * The earlier deploy command applied the whole namespace as one ApplySet (`platform-release`, a Secret). Its members
 * move to their workload's set (or `platform-namespace`) as each is applied: kubectl rewrites their
 * `applyset.kubernetes.io/part-of` label, and prunes only by its own set's label, so a release of one workload never
 * prunes the others' objects, which still carry the old label. The old parent is deleted (never its members: an
 * ApplySet parent owns nothing) once one release has moved every workload and the namespace-level objects; until
 * then it is kept, and said so. Returns a line for the log, or undefined when there is no old set.
 */
export async function handOverLegacySet({ cluster }: ClusterContext, plan: ReleasePlan, movedEverything: boolean): Promise<string | undefined> {
  const found = await cluster.exists('secret', LEGACY_APPLYSET, plan.namespace);
  if (!found.ok || !found.value) return undefined;
  if (!movedEverything) {
    return `ApplySet ${LEGACY_APPLYSET} (one set for the whole namespace, from the earlier deploy command): the released workloads moved to their own sets; kept until a release of every workload (with every image) moves the rest — nothing is pruned through it`;
  }
  const deleted = await cluster.delete('secret', LEGACY_APPLYSET, plan.namespace);
  return deleted.ok
    ? `ApplySet ${LEGACY_APPLYSET}: every workload moved to its own set; its parent Secret deleted (its former members stay, in their new sets)`
    : `ApplySet ${LEGACY_APPLYSET}: could not delete its parent Secret (${deleted.error.split('\n')[0]}); harmless, delete it with kubectl delete secret ${LEGACY_APPLYSET} -n ${plan.namespace}`;
}
