/**
 * Phase 6: polls the Deployment until it completes, fails (progress deadline, or a pluggable check such as
 * crash-looping pods) or times out; prints a line whenever the replica counts change.
 */
import { seconds } from '../clock';
import type { ClusterContext } from '../context';
import { everyReplicaUpdatedAndReady, evaluateRollout, progressLine, UPDATED_AND_READY, type DeploymentLike, type RolloutState } from '../rules/rollout';

/** What to watch; the poll interval, the clock and the rollout checks (`context.rolloutChecks`) come from the context. */
export interface WatchOptions {
  readonly namespace: string;
  /** The Deployment. */
  readonly name: string;
  /** Overall limit from the start of the watch. */
  readonly timeoutMs: number;
  /**
   * minReplicas of the HorizontalPodAutoscaler that owns spec.replicas (complete only once that many are available).
   * @default - no autoscaler
   */
  readonly minReplicas?: number;
  /**
   * Watching the restore of the previous revision: the old ProgressDeadlineExceeded condition can linger until the
   * controller catches up, so only the timeout counts.
   * @default false
   */
  readonly restoring?: boolean;
  /**
   * Complete as soon as every replica is updated and Ready (`everyReplicaUpdatedAndReady`): a canary.
   * @default false
   */
  readonly readyIsEnough?: boolean;
  /**
   * Consecutive failed reads after which the watch gives up.
   * @default 10
   */
  readonly maxReadErrors?: number;
}

export interface RolloutOutcome {
  readonly phase: 'complete' | 'failed';
  readonly state: RolloutState;
  readonly reason: string;
}

export async function watchRollout(context: ClusterContext, options: WatchOptions): Promise<RolloutOutcome> {
  const { cluster, clock, log } = context;
  const { namespace, name } = options;
  const t0 = clock.now();
  const maxErrors = options.maxReadErrors ?? 10;
  let last = '';
  let lastState: RolloutState | undefined;
  let errors = 0;
  for (;;) {
    const read = await cluster.getDeployment(name, namespace);
    if (read.ok && read.value) {
      errors = 0;
      const state = evaluateRollout(read.value, { minReplicas: options.minReplicas });
      lastState = state;
      const line = `${options.restoring ? 'restore' : 'rollout'}: ${progressLine(state)}${state.phase === 'progressing' ? '' : ` — ${state.phase}`}`;
      if (line !== last)
        log(
          `  [${seconds(clock.now() - t0)
            .toFixed(1)
            .padStart(5)}s] ${line}`,
        );
      last = line;
      const outcome = await decide(context, options, read.value, state);
      if (outcome) return outcome;
    } else if (++errors >= maxErrors) {
      const why = read.ok ? 'it does not exist' : read.error;
      return { phase: 'failed', state: lastState ?? evaluateRollout({}), reason: `cannot read deployment/${name}: ${why}` };
    }
    if (clock.now() - t0 > options.timeoutMs) {
      return { phase: 'failed', state: lastState ?? evaluateRollout({}), reason: `timeout after ${Math.round(options.timeoutMs / 1000)}s (${lastState?.reason ?? 'no status'})` };
    }
    await clock.sleep(context.pollMs);
  }
}

/** Complete, failed (deadline or a check), or undefined to keep watching. */
async function decide(context: ClusterContext, options: WatchOptions, deployment: DeploymentLike, state: RolloutState): Promise<RolloutOutcome | undefined> {
  if (state.phase === 'complete') return { phase: 'complete', state, reason: state.reason };
  if (options.restoring) return undefined;
  if (state.phase === 'failed') return { phase: 'failed', state, reason: state.reason };
  if (options.readyIsEnough && everyReplicaUpdatedAndReady(state)) return { phase: 'complete', state, reason: UPDATED_AND_READY };
  for (const check of context.rolloutChecks) {
    const reason = await check(context, { namespace: options.namespace, deployment, state });
    if (reason) return { phase: 'failed', state, reason };
  }
  return undefined;
}
