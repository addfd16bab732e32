/**
 * A workload's content-addressed configuration (immutable ConfigMaps named after a hash of their content, labelled
 * `CONFIG_OF_LABEL`): applied before any of its pods change, outside its ApplySet; deleted after a successful
 * release once no ReplicaSet (a rollback's target), CronJob, Job or Pod references it.
 */
import { CONFIG_OF_LABEL } from '../../config';
import type { ClusterContext } from '../context';
import { DeployError, EXIT } from '../errors';
import { objectRef, type KubeObject } from '../manifests';
import { unreferencedConfigs } from '../rules/config-references';
import { indent } from '../text';

/** Applies the configuration (plain server-side apply: never pruned by an ApplySet). Nothing is changed for an existing name. */
export async function applyConfigs({ cluster, log }: ClusterContext, configs: readonly KubeObject[]): Promise<void> {
  if (configs.length === 0) return;
  const applied = await cluster.apply(configs);
  if (!applied.ok) throw new DeployError(`applying the configuration ${configs.map(objectRef).join(', ')} failed; no pod changed:\n${indent(applied.error)}`, EXIT.applyFailed);
  log(applied.value);
}

/** What owns pod templates: each of them may name a ConfigMap. */
const OWNERS = ['replicasets.apps', 'cronjobs.batch', 'jobs.batch', 'pods'] as const;

/**
 * Deletes the workload's configuration that nothing references any more (and that `keep`, the release's own, does
 * not name). Best effort: a failed read deletes nothing, a failed delete is a warning; the release stays a success.
 * Returns the names deleted.
 */
export async function pruneConfigs({ cluster, log }: ClusterContext, namespace: string, workload: string, keep: readonly string[]): Promise<string[]> {
  const configs = await cluster.list('configmaps', namespace, { [CONFIG_OF_LABEL]: workload });
  if (!configs.ok) {
    log(`warning: cannot list ${workload}'s configuration to prune it (kept): ${configs.error}`);
    return [];
  }
  const owners: KubeObject[] = [];
  for (const resource of OWNERS) {
    const listed = await cluster.list(resource, namespace);
    if (!listed.ok) {
      log(`warning: cannot list ${resource} to know which of ${workload}'s configuration is still used (kept): ${listed.error}`);
      return [];
    }
    owners.push(...listed.value);
  }
  const deleted: string[] = [];
  for (const config of unreferencedConfigs(configs.value, owners, keep)) {
    const removed = await cluster.delete('configmap', config.metadata.name, namespace);
    if (removed.ok) deleted.push(config.metadata.name);
    else log(`warning: cannot delete configmap/${config.metadata.name} (unused): ${removed.error}`);
  }
  if (deleted.length > 0) log(`pruned ${workload}'s configuration no ReplicaSet, CronJob, Job or Pod uses: ${deleted.map((n) => `configmap/${n}`).join(', ')}`);
  return deleted;
}
