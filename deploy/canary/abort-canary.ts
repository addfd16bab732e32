/**
 * `npm run deploy -- --env <name> --abort-canary`: connect as a deploy does, take the namespace's lock, remove the
 * canary a stopped deploy left behind (or say there is none), release the lock. Nothing is rendered or applied.
 */
import { WORKLOAD_NAME } from '../../config';
import type { DeployOptions } from '../args';
import { canaryName } from './deployment';
import { KubectlCluster } from '../adapters/cluster';
import { EXIT, inputError } from '../errors';
import { findKubectl, Kubectl } from '../adapters/kubectl';
import { removeLeftoverCanary } from './run-canary';
import { checkCluster, connect, kubeconfigSource } from '../phases/connect';
import { holdLock, processLockHolder } from '../phases/lock';
import { loadOutputs, resolveTarget } from '../phases/prepare';
import type { DeployResult } from '../phases/report';
import type { DeployDeps } from '../run';

/**
 * `--abort-canary`: removes the canary a stopped deploy left behind, under the namespace's lock (a live deploy that
 * holds it is reported, exit 6: stop it first). Nothing is rendered and nothing else is changed.
 */
export async function abortCanary(options: DeployOptions, deps: DeployDeps): Promise<DeployResult> {
  const { log } = deps;
  const target = resolveTarget(deps.config, options.env);
  const outputs = target.kind === 'aws' && options.outputsFile ? loadOutputs(options.outputsFile, deps.config, target.env) : undefined;
  if (target.kind === 'aws' && !outputs && !options.kubeconfig)
    throw inputError(`--abort-canary for environment "${target.name}" needs --outputs (to find its EKS cluster) or --kubeconfig`);
  const aws = { endpoint: options.awsEndpoint };
  const open = deps.openCluster ?? ((t) => new KubectlCluster(new Kubectl(findKubectl(deps.env), t, deps.env)));
  const connection = await connect(kubeconfigSource(options, target, deps.env), { options, outputs, aws }, open, log);
  try {
    const { cluster } = connection;
    await checkCluster(cluster, target, { context: options.context, outputs }, log);
    const lock = await holdLock(cluster, target.namespace, deps.lockHolder ?? processLockHolder(deps.env), deps.now ?? (() => new Date()), log);
    try {
      const removed = await removeLeftoverCanary(cluster, { deploymentName: WORKLOAD_NAME, namespace: target.namespace }, log);
      if (!removed) log(`canary: no ${canaryName(WORKLOAD_NAME)} Deployment in ${target.namespace}: nothing to abort`);
      return { outcome: removed ? 'canary-removed' : 'no-canary', exitCode: EXIT.ok };
    } finally {
      await lock.release();
    }
  } finally {
    connection.dispose();
  }
}
