/**
 * Stopping a deploy on SIGINT/SIGTERM (how CI cancels a job). The entry point (deploy/commands/deploy.ts) aborts an
 * AbortSignal that the deploy context carries (`context.cancellation`; never aborted unless the entry point passes
 * one). From then on:
 * - every wait ends at once: the context's clock rejects its sleeps (`cancellableClock`), so the rollout watch, the
 *   canary's Ready wait and analysis end with `Cancelled`;
 * - nothing new reaches the cluster: the context's cluster answers only the calls that clean up (`cancellableCluster`:
 *   delete, rollout undo, reading the lock's Lease) and refuses every other call with `Cancelled`;
 * - `Cancelled` unwinds through the flow's own cleanup: the canary it started is removed (canary/run-canary.ts), a
 *   rolling update it started is rolled back (`undoIfCancelled`, phases/rollback.ts), the lock is released
 *   (`withLock`) and a temporary kubeconfig deleted (`withCluster`); the entry point prints the `deploy-result` line.
 */
import type { Cluster } from './adapters/cluster';
import type { Clock } from './clock';
import { DeployError, EXIT, type ExitCode } from './errors';

/** The deploy was stopped by a signal; `exitCode` is EXIT.cancelled unless its cleanup left something to look at. */
export class Cancelled extends DeployError {
  constructor(
    /** What stopped it, e.g. "SIGTERM". */
    readonly by: string,
    exitCode: ExitCode = EXIT.cancelled,
    message = `cancelled by ${by}`,
  ) {
    super(message, exitCode);
    this.name = 'Cancelled';
  }

  /** The same cancellation, with a cleanup that did not complete: exit 4 (the workload needs attention). */
  unfinished(what: string): Cancelled {
    return new Cancelled(this.by, EXIT.rollbackFailed, `${this.message}; ${what}`);
  }
}

/** The error of an aborted signal (its reason names the signal, as the entry point sets it). */
export function cancelledBy(signal: AbortSignal): Cancelled {
  return new Cancelled(typeof signal.reason === 'string' ? signal.reason : 'a cancellation');
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw cancelledBy(signal);
}

/** `clock` whose sleeps end with `Cancelled` once `signal` is aborted (at once: the real clock's timer is cleared). */
export function cancellableClock(clock: Clock, signal: AbortSignal): Clock {
  return {
    now: () => clock.now(),
    async sleep(ms) {
      throwIfCancelled(signal);
      try {
        await clock.sleep(ms, signal);
      } catch (e) {
        throwIfCancelled(signal);
        throw e;
      }
      throwIfCancelled(signal);
    },
  };
}

/** The calls a cancelled deploy still makes: removing its canary, undoing its rollout, releasing its lock. */
const CLEANUP_CALLS: ReadonlySet<PropertyKey> = new Set<keyof Cluster>(['delete', 'rollbackDeployment', 'getLease']);

/** `cluster` that, once `signal` is aborted, refuses every call but the cleanup ones with `Cancelled` (nothing new is applied). */
export function cancellableCluster(cluster: Cluster, signal: AbortSignal): Cluster {
  return new Proxy(cluster, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      const call = (value as (...args: unknown[]) => unknown).bind(target);
      if (CLEANUP_CALLS.has(property)) return call;
      return (...args: unknown[]) => (signal.aborted ? Promise.reject(cancelledBy(signal)) : call(...args));
    },
  });
}
