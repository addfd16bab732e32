/** What the cluster phases work on: the prepared release, adjusted to what the credentials may do. */
import { releaseStrategy, type ReleaseStrategy } from '../../config';
import { canaryDeployment, canaryReplicas } from '../canary/deployment';
import type { KubeObject } from '../manifests';
import { autoscalerMinReplicas } from '../rules/rollout';
import type { PreparedRelease, ResolvedTarget } from './prepare';

/** Name of the ApplySet parent (a Secret in the workload namespace): one release per namespace. */
export const APPLYSET_NAME = 'platform-release';

/** What the credentials may do with the Namespace (phases/namespace.ts finds out). */
export interface NamespaceAccess {
  /** The Namespace to apply (first, outside the ApplySet); undefined when it is to be left as it is. */
  readonly namespaceObject?: KubeObject;
  /** The Namespace exists (or, when it may not even be read, is assumed to). */
  readonly exists: boolean;
}

export interface ReleasePlan {
  readonly target: ResolvedTarget;
  readonly namespace: string;
  /** Applied first and never pruned; undefined when it is left as it is (namespace-scoped credentials). */
  readonly namespaceObject?: KubeObject;
  /** The Namespace exists (or is assumed to): namespaced objects can be dry-run against it. */
  readonly namespaceExists: boolean;
  /** The ApplySet members: the Secrets made at deploy time, then the release's objects in apply order. */
  readonly objects: readonly KubeObject[];
  /** Name of the Deployment whose rollout is watched. */
  readonly deploymentName: string;
  readonly deployment: KubeObject;
  /**
   * minReplicas of the HorizontalPodAutoscaler that owns the Deployment's spec.replicas (the chart leaves it unset):
   * a first release starts at 1 replica and is only done once the autoscaler has raised it.
   */
  readonly minReplicas?: number;
  /** How the release replaces the running one (the target's configured strategy). */
  readonly strategy: ReleaseStrategy;
  /** The canary Deployment, for a canary release (sized from minReplicas; not an ApplySet member). */
  readonly canary?: KubeObject;
}

export function planRelease(prepared: PreparedRelease, access: NamespaceAccess, secrets: readonly KubeObject[]): ReleasePlan {
  const { release, target } = prepared;
  const strategy = releaseStrategy(target.kind === 'aws' ? target.env : target.target);
  const minReplicas = autoscalerMinReplicas(release.objects, target.deploymentName);
  return {
    target: prepared.target,
    namespace: release.namespace,
    namespaceObject: access.namespaceObject,
    namespaceExists: access.exists,
    objects: [...secrets, ...release.objects],
    deploymentName: target.deploymentName,
    deployment: release.deployment,
    minReplicas,
    strategy,
    canary: strategy.kind === 'canary' ? canaryDeployment(release.deployment, canaryReplicas(minReplicas ?? 1, strategy.sharePercent)) : undefined,
  };
}

/** Every object the command sends, the Namespace first. */
export const allObjects = (plan: ReleasePlan): KubeObject[] => [...(plan.namespaceObject ? [plan.namespaceObject] : []), ...plan.objects];

/** The ApplySet of the release: its members are pruned when they leave it. */
export const applySetOf = (plan: ReleasePlan) => ({ name: APPLYSET_NAME, namespace: plan.namespace });
