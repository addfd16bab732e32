/**
 * The canary's objects: a second Deployment with the new image and the stable pod template, a share of the pods,
 * selected by the same Service (its pods carry the same `app.kubernetes.io/name`), told apart by a track label.
 * It is not an ApplySet member: it lives only for the analysis and is removed after (abort or promotion).
 */
import type { CanaryConfig } from '../../config';
import { clone, type KubeObject } from '../manifests';

export const TRACK_LABEL = 'platform.local/track';
export const CANARY_TRACK = 'canary';

export const canaryName = (deploymentName: string) => `${deploymentName}-canary`;

/** Canary pods for a share of canary / (canary + stable): at least one, rounded to the nearest pod. */
export function canaryReplicas(stableReplicas: number, sharePercent: CanaryConfig['sharePercent']): number {
  return Math.max(1, Math.round((Math.max(1, stableReplicas) * sharePercent) / (100 - sharePercent)));
}

type DeploymentSpec = { replicas?: number; selector?: { matchLabels?: Record<string, string> }; template?: { metadata?: { labels?: Record<string, string> } } };

/**
 * The canary Deployment for the release's Deployment: same pod template (image included), own name, `replicas`
 * pods, the track label on its selector and pods. Its selector is a superset of the stable one: the stable
 * Deployment's ReplicaSets never adopt its pods (they are owned by the canary's ReplicaSet), the Service selects both.
 */
export function canaryDeployment(deployment: KubeObject, replicas: number): KubeObject {
  const canary = clone(deployment);
  const spec = (canary.spec ?? {}) as DeploymentSpec;
  canary.metadata = { ...canary.metadata, name: canaryName(deployment.metadata.name), labels: { ...canary.metadata.labels, [TRACK_LABEL]: CANARY_TRACK } };
  spec.replicas = replicas;
  spec.selector = { ...spec.selector, matchLabels: { ...spec.selector?.matchLabels, [TRACK_LABEL]: CANARY_TRACK } };
  spec.template = { ...spec.template, metadata: { ...spec.template?.metadata, labels: { ...spec.template?.metadata?.labels, [TRACK_LABEL]: CANARY_TRACK } } };
  canary.spec = spec;
  return canary;
}
