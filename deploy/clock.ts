import { setTimeout as delay } from 'node:timers/promises';

/** Time as the deploy phases see it: injected, so the watch and its timeouts are tested without waiting. */
export interface Clock {
  /** Milliseconds (monotonic for the real clock). */
  now(): number;
  /** Waits `ms`; once `signal` is aborted it rejects at once (its timer cleared, so nothing keeps the process alive). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
};

/** Milliseconds → seconds with one decimal, for messages and the machine-readable result line. */
export const seconds = (ms: number): number => Math.round(ms / 100) / 10;
