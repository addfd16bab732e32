/**
 * The deploy context: what every phase works with, resolved once by `deployContext` from what the entry point passes
 * in (`DeployDeps`; every default lives here and nowhere else). A phase takes `(context, …its own inputs)`; once the
 * cluster is open (`withCluster`, phases/connect.ts) the context carries it too (`ClusterContext`). The two extension
 * points, `PreflightCheck` and `RolloutCheck`, are declared here because they receive the context.
 */
import { hostname, userInfo } from 'node:os';
import { KubectlCluster, type Cluster } from './adapters/cluster';
import type { AwsClientOptions } from './adapters/eks';
import { findKubectl, Kubectl, type KubectlTarget } from './adapters/kubectl';
import type { DeployOptions } from './args';
import { cancellableClock, cancellableCluster } from './cancellation';
import { systemClock, type Clock } from './clock';
import type { ReleasePlan } from './phases/plan';
import type { PrepareDeps } from './phases/prepare';
import type { DeploymentLike, RolloutState } from './rules/rollout';

/** One line of the deploy's output. */
export type Log = (line: string) => void;

/** Opens a `Cluster` for a kubeconfig target. */
export type OpenCluster = (target: KubectlTarget) => Cluster;

/** One more check before anything is applied: throws a DeployError (with its exit code) to refuse the release. */
export interface PreflightCheck {
  /** Shown in the log when the check passes. */
  readonly name: string;
  run(context: ClusterContext, plan: ReleasePlan): Promise<void>;
}

/** The Deployment a watch is polling, as read at this poll. */
export interface WatchedRollout {
  readonly namespace: string;
  readonly deployment: DeploymentLike;
  readonly state: RolloutState;
}

/** Runs on every poll while a rollout progresses; a returned reason fails the rollout at once (no waiting for the deadline). */
export type RolloutCheck = (context: ClusterContext, rollout: WatchedRollout) => Promise<string | undefined>;

/** What the entry point (deploy/commands/deploy.ts, or a test) passes in. */
export interface DeployDeps extends PrepareDeps {
  readonly log: Log;
  /** The process environment, read once by the entry point (KUBECONFIG, KUBECTL, PLATFORM_CACHE_DIR; passed to kubectl). */
  readonly env: NodeJS.ProcessEnv;
  /** Where `.deploy/<env>/` is written (the repository root). */
  readonly workdir: string;
  /**
   * Poll interval of the rollout watch (ms).
   * @default 1000
   */
  readonly pollMs?: number;
  /** @default - real time */
  readonly clock?: Clock;
  /** @default - kubectl (`KubectlCluster` over `findKubectl(env)`) */
  readonly openCluster?: OpenCluster;
  /** @default - none (the server-side dry run always runs) */
  readonly preflightChecks?: readonly PreflightCheck[];
  /** @default - none (progress deadline and timeout only); they watch a canary's pods too */
  readonly rolloutChecks?: readonly RolloutCheck[];
  /** @default - the CI run (when there is one), user@host and pid (`processLockHolder`) */
  readonly lockHolder?: string;
  /** Wall-clock time: the deploy lock's Lease, the pods' ages. @default - the system time */
  readonly now?: () => Date;
  /**
   * Aborted (with the signal's name as reason) when the deploy must stop and clean up (deploy/cancellation.ts).
   * @default - never aborted
   */
  readonly cancellation?: AbortSignal;
  /**
   * Longest time between two progress lines while a rollout or a canary waits (ms).
   * @default 15000
   */
  readonly progressMs?: number;
}

/** `DeployDeps` with every default resolved, and the AWS client options of the command line. */
export interface DeployContext extends PrepareDeps {
  readonly log: Log;
  readonly env: NodeJS.ProcessEnv;
  readonly workdir: string;
  /** Poll interval of every watch (ms). */
  readonly pollMs: number;
  /** Monotonic time and sleeps: watches, the canary's intervals, the timings. */
  readonly clock: Clock;
  /** Wall-clock time. */
  readonly now: () => Date;
  readonly openCluster: OpenCluster;
  readonly preflightChecks: readonly PreflightCheck[];
  readonly rolloutChecks: readonly RolloutCheck[];
  /** Who holds the namespace's lock while this deploy runs; asked when the lock is taken (not by --diff or --dry-run). */
  readonly lockHolder: () => string;
  /** For every AWS call (DescribeCluster, ECR, Secrets Manager): `--aws-endpoint`. */
  readonly aws: AwsClientOptions;
  /** Aborted when the deploy must stop: the clock's sleeps and the cluster's calls (but cleanup) then throw `Cancelled`. */
  readonly cancellation: AbortSignal;
  /** Longest time between two progress lines while something waits (ms). */
  readonly progressMs: number;
}

/** The context once the cluster is open and checked. */
export interface ClusterContext extends DeployContext {
  readonly cluster: Cluster;
}

/** Resolves the dependencies once: the defaults of `DeployDeps`, and the AWS endpoint of the command line. */
export function deployContext(options: Pick<DeployOptions, 'awsEndpoint'>, deps: DeployDeps): DeployContext {
  const cancellation = deps.cancellation ?? new AbortController().signal;
  const openCluster: OpenCluster = deps.openCluster ?? ((target) => new KubectlCluster(new Kubectl(findKubectl(deps.env), target, deps.env)));
  return {
    ...deps,
    pollMs: deps.pollMs ?? 1000,
    clock: cancellableClock(deps.clock ?? systemClock, cancellation),
    now: deps.now ?? (() => new Date()),
    openCluster: (target) => cancellableCluster(openCluster(target), cancellation),
    preflightChecks: deps.preflightChecks ?? [],
    rolloutChecks: deps.rolloutChecks ?? [],
    lockHolder: () => deps.lockHolder ?? processLockHolder(deps.env),
    aws: { endpoint: options.awsEndpoint },
    cancellation,
    progressMs: deps.progressMs ?? 15_000,
  };
}

/** This process as a lock holder. */
export function processLockHolder(env: NodeJS.ProcessEnv): string {
  return lockHolder(env, { user: userInfo().username, host: hostname(), pid: process.pid });
}

/** Who a deploy is, for the lock: the CI run when there is one, the user, the machine and the process. */
export function lockHolder(env: NodeJS.ProcessEnv, who: { user: string; host: string; pid: number }): string {
  const run = env.GITHUB_RUN_ID
    ? `GitHub Actions run ${env.GITHUB_RUN_ID}`
    : env.CI_JOB_ID
      ? `GitLab job ${env.CI_JOB_ID}`
      : env.BITBUCKET_BUILD_NUMBER
        ? `Bitbucket build ${env.BITBUCKET_BUILD_NUMBER}`
        : env.BUILD_TAG
          ? `Jenkins ${env.BUILD_TAG}`
          : undefined;
  return `${run ? `${run}, ` : ''}${who.user}@${who.host} pid ${who.pid}`;
}
