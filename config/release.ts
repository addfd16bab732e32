/**
 * Release strategies: the canary's defaults and rules, and which strategy a target uses. Checked by
 * validatePlatformConfig; read by the deploy command.
 */
import { Checker } from './check';
import type { CanaryConfig, EnvironmentConfig, ReleaseStrategy } from './types';

/**
 * The canary unless configured otherwise: a quarter of the pods, three 10-second intervals (30 s of evidence),
 * 99 % success, p95 at most 500 ms and at most 50 % above the stable pods, at least 20 requests per interval,
 * the first failed interval aborts. Too little traffic fails: a release nobody exercised is not promoted by itself
 * in production (set "promote" where quiet hours are normal and a rolling update is acceptable then).
 */
export const DEFAULT_CANARY: CanaryConfig = {
  sharePercent: 25,
  intervalSeconds: 10,
  intervals: 3,
  minSuccessRatePercent: 99,
  maxP95LatencyMs: 500,
  maxP95IncreasePercent: 50,
  minRequestsPerInterval: 20,
  failureLimit: 0,
  onInconclusive: 'fail',
};

/** The strategy a target releases with: its own, else a canary in production and the rolling update elsewhere. */
export function releaseStrategy(target: Pick<EnvironmentConfig, 'release'> & { readonly production?: boolean }): ReleaseStrategy {
  return target.release ?? (target.production ? { kind: 'canary', ...DEFAULT_CANARY } : { kind: 'rolling' });
}

const RANGES: Record<Exclude<keyof CanaryConfig, 'onInconclusive'>, [number, number]> = {
  sharePercent: [1, 50],
  intervalSeconds: [5, 600],
  intervals: [1, 100],
  minSuccessRatePercent: [50, 100],
  maxP95LatencyMs: [1, 60000],
  maxP95IncreasePercent: [0, 1000],
  minRequestsPerInterval: [1, 1_000_000],
  failureLimit: [0, 100],
};

/** Problems of a release strategy, each naming the field (`<prefix>…`), the value and what is allowed (config/check.ts' vocabulary). */
export function releaseStrategyProblems(strategy: unknown, prefix: string): string[] {
  const check = new Checker();
  if (typeof strategy !== 'object' || strategy === null) {
    check.fail('', `${prefix} is ${JSON.stringify(strategy)}; expected { kind: "rolling" } or { kind: "canary", … }`);
    return [...check.problems];
  }
  const s = strategy as Partial<ReleaseStrategy> & Record<string, unknown>;
  if (!check.oneOf('', `${prefix}.kind`, s.kind, ['rolling', 'canary']) || s.kind === 'rolling') return [...check.problems];
  for (const [field, [min, max]] of Object.entries(RANGES)) {
    const value = s[field];
    if (value === undefined) check.fail('', `${prefix}.${field} is missing; it is required (e.g. ${DEFAULT_CANARY[field as keyof CanaryConfig]})`);
    // Percentages may be fractional (99.5 %); counts and durations are whole numbers.
    else if (field.endsWith('Percent')) check.number('', `${prefix}.${field}`, value, min, max);
    else check.integer('', `${prefix}.${field}`, value, min, max);
  }
  check.oneOf('', `${prefix}.onInconclusive`, s.onInconclusive, ['fail', 'promote']);
  if (check.problems.length === 0 && (s.failureLimit as number) >= (s.intervals as number)) {
    check.fail('', `${prefix}.failureLimit is ${s.failureLimit}; it must be below intervals (${s.intervals}), or no canary could ever be aborted`);
  }
  return [...check.problems];
}
