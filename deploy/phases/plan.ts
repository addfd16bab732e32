/**
 * What the cluster phases work on: the prepared release, adjusted to what the credentials may do, as one ApplySet
 * per workload (a release prunes only what left that workload) and one for the namespace-level objects.
 */
import { releaseStrategy, type ReleaseStrategy, type Workload } from '../../config';
import { canaryDeployment, canaryReplicas } from '../canary/deployment';
import type { KubeObject } from '../manifests';
import { autoscalerMinReplicas } from '../rules/rollout';
import type { PreparedRelease, PreparedWorkload, ResolvedTarget } from './prepare';

/** The ApplySet of the namespace-level objects (default deny, shared RBAC, shared Secrets): applied with any release. */
export const NAMESPACE_APPLYSET = 'platform-namespace';

/** The one ApplySet of every object that the deploy command used before releases were per workload (apply.ts hands it over). */
export const LEGACY_APPLYSET = 'platform-release';

/** The ApplySet of one workload's objects (its parent is a Secret of that name in the namespace). */
export const workloadApplySet = (workload: string) => `${LEGACY_APPLYSET}-${workload}`;

/** What the credentials may do with the Namespace (phases/namespace.ts finds out). */
export interface NamespaceAccess {
  /** The Namespace to apply (first, outside the ApplySets); undefined when it is to be left as it is. */
  readonly namespaceObject?: KubeObject;
  /** The Namespace exists (or, when it may not even be read, is assumed to). */
  readonly exists: boolean;
}

export interface ApplySetRef {
  readonly name: string;
  readonly namespace: string;
}

interface WorkloadPlanBase {
  readonly name: string;
  readonly workload: Workload;
  readonly target: ResolvedTarget;
  readonly namespace: string;
  /** The members of its ApplySet, in apply order. */
  readonly objects: readonly KubeObject[];
  readonly applySet: ApplySetRef;
}

/** A service or a worker: a Deployment, watched by its rollout (its pods' readiness probes). */
export interface DeploymentPlan extends WorkloadPlanBase {
  readonly kind: 'service' | 'worker';
  /** Name of the Deployment whose rollout is watched (the workload's name). */
  readonly deploymentName: string;
  readonly deployment: KubeObject;
  /**
   * minReplicas of the HorizontalPodAutoscaler that owns the Deployment's spec.replicas (the chart leaves it unset):
   * a first release starts at 1 replica and is only done once the autoscaler has raised it.
   */
  readonly minReplicas?: number;
  /** How the release replaces the running one (a service's own, else the target's; a worker: rolling). */
  readonly strategy: ReleaseStrategy;
  /** The canary Deployment, for a canary release (sized from minReplicas; not an ApplySet member). */
  readonly canary?: KubeObject;
}

/** A CronJob: checked as accepted and its pod template as admissible (no pods run at release time). */
export interface CronJobPlan extends WorkloadPlanBase {
  readonly kind: 'cronJob';
  readonly cronJob: KubeObject;
}

export type WorkloadPlan = DeploymentPlan | CronJobPlan;

/** The namespace-level objects' set. */
export interface NamespaceSetPlan {
  readonly objects: readonly KubeObject[];
  /**
   * Applied as the ApplySet `platform-namespace` (members that left it are pruned) when the chart was rendered: the
   * set is then complete, whichever workloads are released. false with `--manifests`: a folder may hold some of the
   * workloads only (and not every shared Secret their Ingresses need), so its namespace-level objects are applied
   * without pruning.
   */
  readonly pruned: boolean;
}

export interface ReleasePlan {
  readonly target: ResolvedTarget;
  readonly namespace: string;
  /** Applied first and never pruned; undefined when it is left as it is (namespace-scoped credentials). */
  readonly namespaceObject?: KubeObject;
  /** The Namespace exists (or is assumed to): namespaced objects can be dry-run against it. */
  readonly namespaceExists: boolean;
  /** The namespace-level objects (the Secrets made at deploy time first); undefined: nothing namespace-level to apply. */
  readonly namespaceSet?: NamespaceSetPlan;
  /** The released workloads, in declaration order (they are released in this order). */
  readonly workloads: readonly WorkloadPlan[];
}

export function planRelease(prepared: PreparedRelease, access: NamespaceAccess, secrets: readonly KubeObject[]): ReleasePlan {
  const { release, target } = prepared;
  const namespaceObjects = [...secrets, ...(prepared.namespaceObjects ?? [])];
  return {
    target,
    namespace: release.namespace,
    namespaceObject: access.namespaceObject,
    namespaceExists: access.exists,
    ...(namespaceObjects.length > 0 || prepared.namespaceObjects ? { namespaceSet: { objects: namespaceObjects, pruned: prepared.files !== undefined } } : {}),
    workloads: prepared.workloads.map((w) => planWorkload(prepared, w)),
  };
}

function planWorkload(prepared: PreparedRelease, w: PreparedWorkload): WorkloadPlan {
  const { target } = prepared;
  const base = { name: w.name, workload: w.workload, target, namespace: prepared.release.namespace, objects: w.objects, applySet: applySetOf(prepared.release.namespace, w.name) };
  if (w.workload.kind === 'cronJob') return { ...base, kind: 'cronJob', cronJob: w.owner };
  const strategy: ReleaseStrategy =
    w.workload.kind === 'service' ? (w.workload.release ?? releaseStrategy(target.kind === 'aws' ? target.env : target.target)) : { kind: 'rolling' };
  const minReplicas = autoscalerMinReplicas(w.objects, w.name);
  return {
    ...base,
    kind: w.workload.kind,
    deploymentName: w.name,
    deployment: w.owner,
    minReplicas,
    strategy,
    canary: strategy.kind === 'canary' ? canaryDeployment(w.owner, canaryReplicas(minReplicas ?? 1, strategy.sharePercent)) : undefined,
  };
}

/** Every object the command sends, the Namespace first, then the namespace-level objects, then each workload's. */
export const allObjects = (plan: ReleasePlan): KubeObject[] => [
  ...(plan.namespaceObject ? [plan.namespaceObject] : []),
  ...(plan.namespaceSet?.objects ?? []),
  ...plan.workloads.flatMap((w) => w.objects),
];

/** The ApplySet of a workload: its members are pruned when they leave it. */
export const applySetOf = (namespace: string, workload: string): ApplySetRef => ({ name: workloadApplySet(workload), namespace });

/** The ApplySet of the namespace-level objects. */
export const namespaceApplySet = (plan: Pick<ReleasePlan, 'namespace'>): ApplySetRef => ({ name: NAMESPACE_APPLYSET, namespace: plan.namespace });

/** The released workloads that run a Deployment (services and workers). */
export const deploymentPlans = (plan: ReleasePlan): DeploymentPlan[] => plan.workloads.filter((w): w is DeploymentPlan => w.kind !== 'cronJob');
