/** The faulty (and one labelled good) variants of the sample service built as test images (see main.ts). */
export const VARIANTS = ['ok', 'never-ready', 'crash', 'http-5xx', 'slow'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Fixed per variant, so that load tests (rollouts, canaries) know what to expect. */
export const VARIANT_FAULTS: Readonly<Record<Variant, { readonly errorShare: number; readonly extraLatencyMs: number }>> = {
  ok: { errorShare: 0, extraLatencyMs: 0 },
  'never-ready': { errorShare: 0, extraLatencyMs: 0 },
  crash: { errorShare: 1, extraLatencyMs: 0 },
  'http-5xx': { errorShare: 0.2, extraLatencyMs: 0 },
  slow: { errorShare: 0, extraLatencyMs: 400 },
};

/** Response headers every variant sets. */
export const VARIANT_HEADER = 'x-platform-variant';
export const POD_HEADER = 'x-platform-pod';
