/** How a release replaces the running one (types only; the defaults and rules are config/release.ts's). */

/**
 * A canary release: a second Deployment with the new image and a share of the pods, behind the same Service, its
 * metrics compared interval by interval with the thresholds and with the stable pods; promoted (the stable
 * Deployment rolls to the new image) or aborted (the canary is removed, the stable pods were never touched).
 */
export interface CanaryConfig {
  /** The canary's share of the pods (canary / (canary + stable)), in percent: 1 to 50. */
  readonly sharePercent: number;
  /** Seconds per analysis interval (5 to 600). */
  readonly intervalSeconds: number;
  /** Analysis intervals before the decision (1 to 100); the canary is aborted as soon as too many failed. */
  readonly intervals: number;
  /** Lowest share of non-5xx responses of the canary per interval, in percent (50 to 100), e.g. 99. */
  readonly minSuccessRatePercent: number;
  /** Highest p95 latency of the canary per interval, in milliseconds (1 to 60000). */
  readonly maxP95LatencyMs: number;
  /** Highest p95 latency of the canary relative to the stable pods in the same interval, in percent above (0 to 1000). */
  readonly maxP95IncreasePercent: number;
  /** Requests the canary must serve in an interval for it to count; fewer make the interval inconclusive (1 to 1000000). */
  readonly minRequestsPerInterval: number;
  /** Failed intervals tolerated; one more aborts (0 to `intervals`). */
  readonly failureLimit: number;
  /**
   * When no interval was conclusive (too little traffic): "fail" aborts, "promote" promotes without evidence.
   * Either way the report says the analysis was inconclusive.
   */
  readonly onInconclusive: 'fail' | 'promote';
}

/** How a release replaces the running one. */
export type ReleaseStrategy =
  /** The Deployment's rolling update, watched (and rolled back when it does not become available). */
  | { readonly kind: 'rolling' }
  /** A canary with metric analysis first, then the rolling update. */
  | ({ readonly kind: 'canary' } & CanaryConfig);
