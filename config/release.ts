/**
 * Release strategies: the canary's defaults and rules, and which strategy a target uses. Checked by
 * validatePlatformConfig; read by the deploy command.
 */
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

/** Problems of a release strategy, each naming the field (`<prefix>…`), the value and what is allowed. */
export function releaseStrategyProblems(strategy: unknown, prefix: string): string[] {
  if (typeof strategy !== 'object' || strategy === null) return [`${prefix} is ${JSON.stringify(strategy)}; expected { kind: "rolling" } or { kind: "canary", … }`];
  const s = strategy as Partial<ReleaseStrategy> & Record<string, unknown>;
  if (s.kind === 'rolling') return [];
  if (s.kind !== 'canary') return [`${prefix}.kind is ${JSON.stringify(s.kind)}; allowed: "rolling", "canary"`];
  const problems: string[] = [];
  for (const [field, [min, max]] of Object.entries(RANGES)) {
    const value = s[field];
    // Percentages may be fractional (99.5 %); counts and durations are whole numbers.
    const whole = !field.endsWith('Percent');
    if (value === undefined) problems.push(`${prefix}.${field} is missing; it is required (e.g. ${DEFAULT_CANARY[field as keyof CanaryConfig]})`);
    else if (typeof value !== 'number' || !Number.isFinite(value) || (whole && !Number.isInteger(value)) || value < min || value > max) {
      problems.push(`${prefix}.${field} is ${JSON.stringify(value)}; expected ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`);
    }
  }
  if (s.onInconclusive !== 'fail' && s.onInconclusive !== 'promote') problems.push(`${prefix}.onInconclusive is ${JSON.stringify(s.onInconclusive)}; allowed: "fail", "promote"`);
  if (problems.length === 0 && (s.failureLimit as number) >= (s.intervals as number)) {
    problems.push(`${prefix}.failureLimit is ${s.failureLimit}; it must be below intervals (${s.intervals}), or no canary could ever be aborted`);
  }
  return problems;
}
