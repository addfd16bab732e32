/**
 * Phase 4: nothing is applied until every check passes and the API server accepts every object (server-side dry
 * run, with admission). Further checks (e.g. that the image exists in its registry) plug in as `PreflightCheck`s.
 */
import type { Cluster } from '../adapters/cluster';
import type { ClusterContext, PreflightCheck } from '../context';
import { inputError } from '../errors';
import { bindingsToReleaseRoles, type KubeObject } from '../manifests';
import { indent } from '../text';
import { admissionPod } from './cron-job';
import { allObjects, type ReleasePlan } from './plan';

export interface PreflightResult {
  /** RoleBindings left out of the dry run (they bind a Role this release creates; the apply validates them). */
  readonly deferred: readonly KubeObject[];
  /** Objects the API server accepted in the dry run. */
  readonly accepted: number;
}

/** `checks`: the context's, and those of the release's strategy (a canary's metrics access). */
export async function preflight(context: ClusterContext, plan: ReleasePlan, checks: readonly PreflightCheck[]): Promise<PreflightResult> {
  const { cluster, log } = context;
  for (const check of checks) {
    await check.run(context, plan);
    log(`preflight: ${check.name}: ok`);
  }
  const deferred = await deferredBindings(cluster, plan);
  if (deferred.length > 0) {
    log(`${deferred.map((b) => `RoleBinding ${b.metadata.name}`).join(', ')}: not in the dry run (binds a Role this release creates first); validated by the apply itself`);
  }
  // Without the Namespace, namespaced objects cannot be dry-run: only the Namespace itself is.
  // A CronJob's pods are admitted (Pod Security) only when a run creates them: a Pod from its jobTemplate is dry-run too.
  const pods = plan.workloads.flatMap((w) => (w.kind === 'cronJob' ? [admissionPod(w, true)] : []));
  const objects = plan.namespaceExists ? [...allObjects(plan).filter((o) => !deferred.includes(o)), ...pods] : plan.namespaceObject ? [plan.namespaceObject] : [];
  if (objects.length > 0) {
    const dry = await cluster.apply(objects, { dryRun: true });
    if (!dry.ok) throw inputError(`the API server rejects the release (server-side dry run; nothing applied):\n${indent(dry.error)}`);
  }
  log(
    plan.namespaceExists
      ? `server-side dry run: ${objects.length} objects accepted`
      : `namespace ${plan.namespace} does not exist yet: namespaced objects are validated by the apply itself`,
  );
  return { deferred, accepted: objects.length };
}

/**
 * A RoleBinding to a Role this release creates: without the `bind` verb (namespace-scoped credentials: ClusterRole
 * admin has none), the API server checks a binding against the rules of its Role, which a dry run has not created.
 * Such a binding is validated by the apply itself, right after its Role.
 */
async function deferredBindings(cluster: Cluster, plan: ReleasePlan): Promise<KubeObject[]> {
  const bindings = plan.namespaceExists ? bindingsToReleaseRoles(allObjects(plan)) : [];
  if (bindings.length === 0) return [];
  const bind = await cluster.canI('bind', 'roles.rbac.authorization.k8s.io', plan.namespace);
  if (bind.ok && bind.value) return [];
  const deferred: KubeObject[] = [];
  for (const { binding, role } of bindings) {
    const exists = await cluster.exists('role.rbac.authorization.k8s.io', role, plan.namespace);
    if (exists.ok && !exists.value) deferred.push(binding);
  }
  return deferred;
}
