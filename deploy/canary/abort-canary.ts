/**
 * `npm run deploy -- --env <name> --abort-canary`: connect as a deploy does, take the namespace's lock, remove the
 * canary a stopped deploy left behind (or say there is none), release the lock. Nothing is rendered or applied.
 */
import type { DeployOptions } from '../args';
import type { DeployContext } from '../context';
import { EXIT, inputError } from '../errors';
import { kubeconfigSource, withCluster } from '../phases/connect';
import { withLock } from '../phases/lock';
import { loadOutputs, resolveTarget } from '../phases/prepare';
import type { DeployResult } from '../phases/report';
import { canaryName } from './deployment';
import { removeLeftoverCanary } from './run-canary';

/**
 * `--abort-canary`: removes the canary a stopped deploy left behind, under the namespace's lock (a live deploy that
 * holds it is reported, exit 6: stop it first). Nothing is rendered and nothing else is changed.
 */
export async function abortCanary(context: DeployContext, options: DeployOptions): Promise<DeployResult> {
  const target = resolveTarget(context.config, options.env);
  const outputs = target.kind === 'aws' && options.outputsFile ? loadOutputs(options.outputsFile, context.config, target.env) : undefined;
  if (target.kind === 'aws' && !outputs && !options.kubeconfig)
    throw inputError(`--abort-canary for environment "${target.name}" needs --outputs (to find its EKS cluster) or --kubeconfig`);
  const source = kubeconfigSource(context, options, target);
  return withCluster(context, source, { target, kubeContext: options.context, outputs }, (connected) =>
    withLock(connected, target.namespace, async () => {
      const removed = await removeLeftoverCanary(connected, { deploymentName: target.deploymentName, namespace: target.namespace });
      if (!removed) connected.log(`canary: no ${canaryName(target.deploymentName)} Deployment in ${target.namespace}: nothing to abort`);
      return { outcome: removed ? 'canary-removed' : 'no-canary', exitCode: EXIT.ok };
    }),
  );
}
