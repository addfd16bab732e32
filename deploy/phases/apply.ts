/**
 * Phase 5: the Namespace first (never pruned), remember what runs now (the revision to return to), then apply the
 * release as one ApplySet (objects removed from it are pruned).
 */
import type { ClusterContext } from '../context';
import { clusterError, DeployError, EXIT } from '../errors';
import { podImages, type KubeObject } from '../manifests';
import { indent } from '../text';
import { applySetOf, type ReleasePlan } from './plan';

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
export async function readPrevious({ cluster }: ClusterContext, plan: ReleasePlan): Promise<PreviousRelease> {
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

/** The release as one ApplySet: members that left it are pruned. */
export async function applyRelease({ cluster, log }: ClusterContext, plan: ReleasePlan): Promise<void> {
  const applied = await cluster.apply(plan.objects, { applySet: applySetOf(plan) });
  if (!applied.ok) throw new DeployError(`apply failed (some objects may be at the new version):\n${indent(applied.error)}`, EXIT.applyFailed);
  log(applied.value);
}
