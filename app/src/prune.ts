/**
 * Prune mode (the nightly CronJob): deletes processed work items older than PRUNE_AFTER_SECONDS, logs one line with
 * the count and exits 0; on failure logs the error (name, message and code: never a stack, never a credential) and
 * exits 1, so the Job counts as failed and alarms.
 */
import { errorFields, type Logger } from './logger';

export interface PruneDependencies {
  readonly queue: { prune(olderThanSeconds: number): Promise<number> };
  readonly afterSeconds: number;
  readonly logger: Logger;
}

/** One run; resolves with the process exit code. */
export async function runPrune(deps: PruneDependencies): Promise<number> {
  const started = Date.now();
  try {
    const deleted = await deps.queue.prune(deps.afterSeconds);
    deps.logger.info('pruned', { deleted, olderThanSeconds: deps.afterSeconds, durationMs: Date.now() - started });
    return 0;
  } catch (error) {
    deps.logger.error('prune failed', { olderThanSeconds: deps.afterSeconds, durationMs: Date.now() - started, ...errorFields(error) });
    return 1;
  }
}
