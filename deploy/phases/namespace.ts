/**
 * Phase 3: may these credentials touch the Namespace? Namespace-scoped credentials (the CI role's EKS access entry:
 * AmazonEKSAdminPolicy, i.e. ClusterRole `admin` bound in the app namespace only) may read the Namespace (`admin`
 * includes get on it) but not patch it, or not even read it: then it must already exist (created with the cluster)
 * and is left as it is.
 */
import type { ClusterContext } from '../context';
import { clusterError, inputError } from '../errors';
import { namespaceLabelDrift, type KubeObject } from '../manifests';
import type { NamespaceAccess } from './plan';

export async function namespaceAccess(context: ClusterContext, namespace: string, wanted: KubeObject | undefined): Promise<NamespaceAccess> {
  const { cluster, log } = context;
  const got = await cluster.getNamespace(namespace);
  if (!got.ok && !got.forbidden) throw clusterError(`cannot read namespace ${namespace}: ${got.error}`);
  if (!got.ok) {
    log(`warning: these credentials may not read Namespace ${namespace} (namespace-scoped access): assuming it exists and leaving it (and its labels) as they are`);
    return { exists: true };
  }
  const live = got.value;
  if (!wanted) return { exists: live !== undefined };
  // Server-side apply is a PATCH (that creates the object when it is missing). `-n`: the authorizer sees a request
  // for namespaces/<ns> as one inside namespace <ns> (where RoleBindings apply).
  // Only a clear "no" leaves the Namespace alone: on any other answer the apply itself decides.
  const can = live ? await cluster.canI('patch', `namespaces/${namespace}`, namespace) : await cluster.canI('create', 'namespaces');
  if (!can.ok || can.value) return { namespaceObject: wanted, exists: live !== undefined };
  if (!live) {
    throw inputError(`namespace ${namespace} does not exist and these credentials may not create it (namespace-scoped access): create it with the cluster first (nothing applied)`);
  }
  const drift = namespaceLabelDrift(wanted, live);
  log(
    `warning: these credentials may not change Namespace ${namespace} (namespace-scoped access): leaving it as it is` +
      (drift.length > 0 ? `; it lacks ${drift.join(', ')} — set them where the Namespace is created` : ' (its labels match the release)'),
  );
  return { exists: true };
}
