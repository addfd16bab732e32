/**
 * Which ConfigMaps the pods of a namespace may still need (pure): those named by a pod template of a ReplicaSet (a
 * rollback's target, even at 0 replicas), a CronJob, a Job or a Pod. The deploy command deletes a workload's
 * content-addressed ConfigMaps that none of them names.
 */
import type { KubeObject } from '../manifests';

interface PodSpecLike {
  containers?: readonly ContainerLike[];
  initContainers?: readonly ContainerLike[];
  volumes?: readonly { configMap?: { name?: string }; projected?: { sources?: readonly { configMap?: { name?: string } }[] } }[];
}
interface ContainerLike {
  envFrom?: readonly { configMapRef?: { name?: string } }[];
  env?: readonly { valueFrom?: { configMapKeyRef?: { name?: string } } }[];
}

/** The pod spec of a Pod, or of the pod template of a ReplicaSet, Deployment, Job or CronJob. */
export function podSpecOf(object: KubeObject): PodSpecLike | undefined {
  type Template = { template?: { spec?: PodSpecLike } };
  const spec = object.spec as (PodSpecLike & Template & { jobTemplate?: { spec?: Template } }) | undefined;
  if (!spec) return undefined;
  if (object.kind === 'Pod') return spec;
  if (object.kind === 'CronJob') return spec.jobTemplate?.spec?.template?.spec;
  return spec.template?.spec;
}

/** Every ConfigMap name a pod spec reads: envFrom, env values, volumes and projected volumes. */
export function configMapsOf(object: KubeObject): string[] {
  const pod = podSpecOf(object);
  if (!pod) return [];
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  const names = [
    ...containers.flatMap((c) => (c.envFrom ?? []).map((e) => e.configMapRef?.name)),
    ...containers.flatMap((c) => (c.env ?? []).map((e) => e.valueFrom?.configMapKeyRef?.name)),
    ...(pod.volumes ?? []).flatMap((v) => [v.configMap?.name, ...(v.projected?.sources ?? []).map((s) => s.configMap?.name)]),
  ];
  return [...new Set(names.filter((n): n is string => typeof n === 'string'))];
}

/** The configs no owner references and `keep` does not name: safe to delete. */
export function unreferencedConfigs(configs: readonly KubeObject[], owners: readonly KubeObject[], keep: readonly string[] = []): KubeObject[] {
  const referenced = new Set([...keep, ...owners.flatMap(configMapsOf)]);
  return configs.filter((c) => !referenced.has(c.metadata.name));
}
