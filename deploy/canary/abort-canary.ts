/**
 * `npm run deploy -- --env <name> --abort-canary [--workload <name>]`: connect as a deploy does, take the workload's
 * lock, remove the canary a stopped deploy left behind (or say there is none), release the lock. Nothing is rendered
 * or applied.
 */
import { releaseStrategy, type ServiceWorkload } from '../../config';
import type { DeployOptions } from '../args';
import type { DeployContext } from '../context';
import { EXIT, inputError } from '../errors';
import { kubeconfigSource, withCluster } from '../phases/connect';
import { withLocks, workloadLock } from '../phases/lock';
import { loadOutputs, resolveTarget, type ResolvedTarget } from '../phases/prepare';
import type { DeployResult } from '../phases/report';
import { canaryName } from './deployment';
import { removeLeftoverCanary } from './run-canary';

/**
 * `--abort-canary`: removes the canary a stopped deploy left behind, under the workload's lock (a live deploy that
 * holds it is reported, exit 6: stop it first). Nothing is rendered and nothing else is changed.
 */
export async function abortCanary(context: DeployContext, options: DeployOptions): Promise<DeployResult> {
  const target = resolveTarget(context.config, options.env);
  const service = canaryService(target, options.workloads?.[0]);
  const outputs = target.kind === 'aws' && options.outputsFile ? loadOutputs(options.outputsFile, context.config, target.env) : undefined;
  if (target.kind === 'aws' && !outputs && !options.kubeconfig)
    throw inputError(`--abort-canary for environment "${target.name}" needs --outputs (to find its EKS cluster) or --kubeconfig`);
  const source = kubeconfigSource(context, options, target);
  return withCluster(context, source, { target, kubeContext: options.context, outputs }, (connected) =>
    withLocks(connected, [workloadLock(target.namespace, service)], async () => {
      const removed = await removeLeftoverCanary(connected, { deploymentName: service, namespace: target.namespace });
      if (!removed) connected.log(`canary: no ${canaryName(service)} Deployment in ${target.namespace}: nothing to abort`);
      return { outcome: removed ? 'canary-removed' : 'no-canary', exitCode: EXIT.ok };
    }),
  );
}

/**
 * The service whose canary to remove: `--workload`, or the target's one service that releases through a canary
 * (its own strategy, else the target's). Several such services need `--workload`; an unknown or non-service name is refused.
 */
function canaryService(target: ResolvedTarget, named: string | undefined): string {
  const services = target.workloads.filter((w): w is ServiceWorkload => w.kind === 'service');
  const quoted = (ws: readonly { name: string }[]) => ws.map((w) => `"${w.name}"`).join(', ');
  if (named !== undefined) {
    if (!services.some((w) => w.name === named))
      throw inputError(`--workload ${named}: "${target.name}" has no service "${named}" (only services have canaries); allowed: ${quoted(services)}`);
    return named;
  }
  const declared = target.kind === 'aws' ? target.env : target.target;
  const canaries = services.filter((w) => (w.release ?? releaseStrategy(declared)).kind === 'canary');
  if (canaries.length === 1) return canaries[0].name;
  if (canaries.length === 0 && services.length === 1) return services[0].name;
  throw inputError(
    `--abort-canary: "${target.name}" has ${canaries.length || services.length} services (${quoted(canaries.length ? canaries : services)}) that may have a canary: name one with --workload <name>`,
  );
}
