/** The faulty (and one labelled good) variants of the sample service built as test images (see main.ts). */
export const VARIANTS = ['ok', 'never-ready', 'crash', 'http-5xx', 'slow', 'cpu-heavy', 'migration-fails'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Fixed per variant, so that load tests (rollouts, canaries) know what to expect. */
export const VARIANT_FAULTS: Readonly<Record<Variant, { readonly errorShare: number; readonly extraLatencyMs: number }>> = {
  ok: { errorShare: 0, extraLatencyMs: 0 },
  'never-ready': { errorShare: 0, extraLatencyMs: 0 },
  crash: { errorShare: 1, extraLatencyMs: 0 },
  'http-5xx': { errorShare: 0.2, extraLatencyMs: 0 },
  slow: { errorShare: 0, extraLatencyMs: 400 },
  'cpu-heavy': { errorShare: 0, extraLatencyMs: 0 },
  'migration-fails': { errorShare: 0, extraLatencyMs: 0 },
};

/** CPU work of the `cpu-heavy` variant per request: PBKDF2-SHA256 iterations (~6 ms of one core on these machines). */
export const CPU_HEAVY_ITERATIONS = 20_000;

/** Response headers every variant sets. */
export const VARIANT_HEADER = 'x-platform-variant';
export const POD_HEADER = 'x-platform-pod';
