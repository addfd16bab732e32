/**
 * Phase 2: which cluster, and is it the expected one. Picks the kubeconfig (checked before anything is read from
 * AWS), resolves an aws environment's EKS cluster when no kubeconfig is given, then checks kubectl (ApplySet needs
 * 1.27+), that the API server answers, and that an EKS endpoint is in the environment's region. Exit 3 otherwise.
 */
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import type { WorkloadOutputs } from '../../config';
import type { Cluster } from '../adapters/cluster';
import { parseMinor } from '../adapters/kubectl';
import type { DeployOptions } from '../args';
import type { ClusterContext, DeployContext } from '../context';
import { clusterError, inputError } from '../errors';
import type { ResolvedTarget } from './prepare';

/** Where the kubeconfig comes from: a file (--kubeconfig or a temporary EKS one), or KUBECONFIG read by kubectl itself. */
export type KubeconfigSource = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'environment'; readonly value: string } | { readonly kind: 'eks' };

/**
 * --kubeconfig, else for a portable target KUBECONFIG (kubectl reads it from its environment: a list "a:b" is fine
 * there, not in --kubeconfig), else (aws) a temporary one for the EKS cluster. Refuses missing files (exit 2).
 */
export function kubeconfigSource({ env }: DeployContext, options: Pick<DeployOptions, 'kubeconfig'>, target: ResolvedTarget): KubeconfigSource {
  if (options.kubeconfig) {
    if (!existsSync(options.kubeconfig)) throw inputError(`--kubeconfig ${options.kubeconfig} does not exist`);
    return { kind: 'file', path: options.kubeconfig };
  }
  if (target.kind === 'aws') return { kind: 'eks' };
  const value = env.KUBECONFIG || undefined;
  if (!value) throw inputError(`portable target "${target.name}" needs --kubeconfig <path> (or KUBECONFIG) naming its cluster`);
  if (!existsSync(value.split(delimiter)[0])) throw inputError(`KUBECONFIG ${value} does not exist`);
  return { kind: 'environment', value };
}

/** The cluster a deploy expects: its target's, through `--context` when given, and (aws) the one its outputs name. */
export interface ExpectedCluster {
  readonly target: ResolvedTarget;
  /** The kubeconfig context (`--context`). @default - the kubeconfig's current context */
  readonly kubeContext?: string;
  /** The environment's outputs (aws): cluster name, region and account. @default - none (a portable target) */
  readonly outputs?: WorkloadOutputs;
}

/** An open cluster: the phases talk to `cluster`; `dispose` removes what connecting created (the EKS kubeconfig). */
export interface Connection {
  readonly cluster: Cluster;
  dispose(): void;
}

/** Opens the cluster (`context.openCluster`); for `eks`, DescribeCluster + a temporary kubeconfig whose token is refreshed before each call. */
export async function connect(context: DeployContext, source: KubeconfigSource, expected: ExpectedCluster): Promise<Connection> {
  const { kubeContext, outputs } = expected;
  if (source.kind !== 'eks') {
    const cluster = context.openCluster({ kubeconfig: source.kind === 'file' ? source.path : undefined, context: kubeContext });
    return { cluster, dispose: () => undefined };
  }
  const { describeEksCluster, TemporaryEksKubeconfig } = await import('../adapters/eks');
  // The outputs' account (the environment's): a cluster of the same name in another account is never the target.
  const described = await describeEksCluster(outputs!.clusterName, outputs!.region, context.aws, outputs!.account);
  const eks = await TemporaryEksKubeconfig.create(described);
  context.log(`cluster: EKS ${described.arn} (Kubernetes ${described.version ?? '?'}) at ${described.endpoint}`);
  return { cluster: context.openCluster({ kubeconfig: eks.path, context: kubeContext, beforeRun: () => eks.refresh() }), dispose: () => eks.dispose() };
}

/** Connects, checks that it is the expected cluster, runs `work` with it; what connecting created is always removed. */
export async function withCluster<T>(context: DeployContext, source: KubeconfigSource, expected: ExpectedCluster, work: (context: ClusterContext) => Promise<T>): Promise<T> {
  const connection = await connect(context, source, expected);
  try {
    const connected: ClusterContext = { ...context, cluster: connection.cluster };
    await checkCluster(connected, expected);
    return await work(connected);
  } finally {
    connection.dispose();
  }
}

export interface ClusterIdentity {
  readonly server: string;
  readonly serverVersion: string;
  readonly clientVersion: string;
}

/** kubectl can prune with ApplySets, the kubeconfig has a context, the API server answers and is the expected one. */
export async function checkCluster(context: ClusterContext, expected: ExpectedCluster): Promise<ClusterIdentity> {
  const { cluster, log } = context;
  const { target } = expected;
  const client = await cluster.clientVersion();
  const minor = client.ok ? parseMinor(client.value) : undefined;
  if (!minor || minor[0] < 1 || (minor[0] === 1 && minor[1] < 27)) {
    throw inputError(`${cluster.description} (${client.ok ? client.value : client.error}) cannot prune with ApplySets: kubectl 1.27 or newer is required (set KUBECTL)`);
  }
  const server = await cluster.server();
  if (!server.ok) throw inputError(`the kubeconfig has no usable context${expected.kubeContext ? ` "${expected.kubeContext}"` : ''}: ${server.error}`);
  const eksRegion = /\.([a-z]{2}(?:-[a-z]+)+-\d)\.eks\.amazonaws\.com/.exec(server.value)?.[1];
  if (target.kind === 'aws' && expected.outputs && eksRegion && eksRegion !== expected.outputs.region) {
    throw clusterError(
      `the kubeconfig points at an EKS endpoint in ${eksRegion} (${server.value}), but environment "${target.name}" runs in ${expected.outputs.region}: wrong cluster`,
    );
  }
  const version = await cluster.serverVersion();
  if (!version.ok) throw clusterError(`cannot reach the cluster at ${server.value}: ${version.error.split('\n').slice(-2).join(' ')}`);
  log(`cluster: ${server.value} (Kubernetes ${version.value}); kubectl ${client.ok ? client.value : '?'}`);
  const got = parseMinor(version.value);
  if (target.kind === 'aws' && got && `${got[0]}.${got[1]}` !== target.env.cluster.kubernetesVersion) {
    log(`warning: the cluster runs ${got[0]}.${got[1]}, environment "${target.name}" is configured for ${target.env.cluster.kubernetesVersion}`);
  }
  return { server: server.value, serverVersion: version.value, clientVersion: client.ok ? client.value : '?' };
}
