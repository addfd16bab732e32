/** Time as the deploy phases see it: injected, so the watch and its timeouts are tested without waiting. */
export interface Clock {
  /** Milliseconds (monotonic for the real clock). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Milliseconds → seconds with one decimal, for messages and the machine-readable result line. */
export const seconds = (ms: number): number => Math.round(ms / 100) / 10;
