/**
 * Phase 6: polls the Deployment until it completes, fails (progress deadline, or a pluggable check such as
 * crash-looping pods) or times out; prints a line whenever the replica counts change, and at least every
 * `context.progressMs` (15 s) what it waits for.
 */
import { seconds } from '../clock';
import type { ClusterContext } from '../context';
import { everyReplicaUpdatedAndReady, evaluateRollout, progressLine, UPDATED_AND_READY, waitingLine, type DeploymentLike, type RolloutState } from '../rules/rollout';

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
  const { cluster, clock } = context;
  const { namespace, name } = options;
  const t0 = clock.now();
  const maxErrors = options.maxReadErrors ?? 10;
  const progress = progressLog(context, options, t0);
  let lastState: RolloutState | undefined;
  let errors = 0;
  for (;;) {
    const read = await cluster.getDeployment(name, namespace);
    if (read.ok && read.value) {
      errors = 0;
      const state = evaluateRollout(read.value, { minReplicas: options.minReplicas });
      lastState = state;
      await progress(read.value, state);
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

/**
 * Prints a line whenever the replica counts change, and while they do not, a line saying what the rollout waits for
 * (with why its pods are not Ready: e.g. the ALB's target registration) so that no two lines are more than
 * `context.progressMs` apart.
 */
function progressLog(context: ClusterContext, options: WatchOptions, t0: number): (deployment: DeploymentLike, state: RolloutState) => Promise<void> {
  const { clock, log } = context;
  const kind = options.restoring ? 'restore' : 'rollout';
  const stamp = (now: number) =>
    `  [${seconds(now - t0)
      .toFixed(1)
      .padStart(5)}s] ${kind}: `;
  let last = '';
  let lastAt = t0;
  return async (deployment, state) => {
    const now = clock.now();
    const line = `${progressLine(state)}${state.phase === 'progressing' ? '' : ` — ${state.phase}`}`;
    if (line !== last) {
      log(`${stamp(now)}${line}`);
      [last, lastAt] = [line, now];
      return;
    }
    // The next poll would come too late for the next line: say what it waits for now.
    if (state.phase === 'complete' || now - lastAt + context.pollMs < context.progressMs) return;
    const selector = (deployment as { spec?: { selector?: { matchLabels?: Record<string, string> } } }).spec?.selector?.matchLabels;
    const pods = selector ? await context.cluster.listPods(options.namespace, selector) : undefined;
    // Restoring, a lingering ProgressDeadlineExceeded is not what it waits for: the previous revision's pods are.
    const waiting = state.phase === 'failed' ? { ...state, reason: `${state.available} of ${state.desired} replicas available` } : state;
    log(`${stamp(now)}${waitingLine(options.name, waiting, pods?.ok ? pods.value : [], now - t0, options.timeoutMs)}`);
    lastAt = now;
  };
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
