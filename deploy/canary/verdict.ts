/**
 * The canary analysis, pure: pods' Prometheus counters → per-interval traffic of the canary and of the stable pods →
 * a verdict per interval (pass, fail, inconclusive) → a decision (continue, abort, promote). No cluster, no clock.
 */
import { METRIC_NAMES, PROBE_ROUTES, type CanaryConfig } from '../../config';

/** Cumulative counters of one pod (or a sum of pods) at one scrape. */
export interface Traffic {
  readonly requests: number;
  /** Responses with a 5xx status. */
  readonly errors: number;
  /** Cumulative latency histogram: requests that took at most `le` seconds (the last bucket is +Inf). */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
}

export const NO_TRAFFIC: Traffic = { requests: 0, errors: 0, buckets: [] };

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text exposition format (the lines that carry samples; comments and blank lines skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line.trim());
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1], labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return samples;
}

/** One pod's traffic from its /metrics text: every route but the probes (PROBE_ROUTES) summed. */
export function trafficOf(text: string): Traffic {
  const samples = parseExposition(text).filter((s) => !PROBE_ROUTES.includes(s.labels.route));
  const requests = samples.filter((s) => s.name === METRIC_NAMES.requests);
  const byLe = new Map<number, number>();
  for (const s of samples.filter((x) => x.name === `${METRIC_NAMES.duration}_bucket`)) {
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return {
    requests: requests.reduce((n, s) => n + s.value, 0),
    errors: requests.filter((s) => s.labels.status_class === '5xx').reduce((n, s) => n + s.value, 0),
    buckets: [...byLe.entries()].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count })),
  };
}

/** The sum of several pods' traffic. */
export function sumTraffic(list: readonly Traffic[]): Traffic {
  const byLe = new Map<number, number>();
  for (const t of list) for (const b of t.buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.count);
  return {
    requests: list.reduce((n, t) => n + t.requests, 0),
    errors: list.reduce((n, t) => n + t.errors, 0),
    buckets: [...byLe.entries()].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count })),
  };
}

/** What one pod served between two scrapes. A counter that went down means the process restarted: all of `after` is new. */
export function trafficBetween(before: Traffic | undefined, after: Traffic): Traffic {
  if (!before || after.requests < before.requests) return after;
  const was = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    requests: after.requests - before.requests,
    errors: Math.max(0, after.errors - before.errors),
    buckets: after.buckets.map((b) => ({ le: b.le, count: Math.max(0, b.count - (was.get(b.le) ?? 0)) })),
  };
}

/**
 * The q-quantile of a cumulative histogram in milliseconds, as Prometheus' histogram_quantile: linear within the
 * bucket that holds it; the highest finite bound when it falls in +Inf. Undefined without observations.
 */
export function quantileMs(q: number, buckets: Traffic['buckets']): number | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lower * 1000;
      const within = b.count - below;
      return (lower + (b.le - lower) * (within > 0 ? (rank - below) / within : 1)) * 1000;
    }
    lower = b.le;
    below = b.count;
  }
  return lower * 1000;
}

/** Latency differences below this are within a histogram bucket's resolution: never a relative failure. */
export const RELATIVE_LATENCY_FLOOR_MS = 20;

export interface TrackSummary {
  readonly requests: number;
  readonly successRatePercent?: number;
  readonly p95Ms?: number;
}

export interface IntervalVerdict {
  /** 1-based. */
  readonly interval: number;
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  readonly canary: TrackSummary;
  readonly stable: TrackSummary;
  /** Why it failed (each names the metric, the value and the threshold) or was inconclusive. */
  readonly reasons: readonly string[];
}

const summary = (t: Traffic): TrackSummary => ({
  requests: t.requests,
  successRatePercent: t.requests > 0 ? (100 * (t.requests - t.errors)) / t.requests : undefined,
  p95Ms: quantileMs(0.95, t.buckets),
});

const round = (n: number) => Math.round(n * 10) / 10;

/** One interval: the canary's success rate and p95 against the thresholds and the stable pods' p95. */
export function judgeInterval(interval: number, canary: Traffic, stable: Traffic, config: CanaryConfig): IntervalVerdict {
  const c = summary(canary);
  const s = summary(stable);
  if (canary.requests < config.minRequestsPerInterval) {
    return {
      interval,
      verdict: 'inconclusive',
      canary: c,
      stable: s,
      reasons: [`canary served ${canary.requests} requests, fewer than minRequestsPerInterval ${config.minRequestsPerInterval}`],
    };
  }
  const reasons: string[] = [];
  if (c.successRatePercent! < config.minSuccessRatePercent) {
    reasons.push(`success rate ${round(c.successRatePercent!)} % (${canary.errors} of ${canary.requests} requests 5xx) is below ${config.minSuccessRatePercent} %`);
  }
  if (c.p95Ms !== undefined && c.p95Ms > config.maxP95LatencyMs) reasons.push(`p95 latency ${round(c.p95Ms)} ms is above ${config.maxP95LatencyMs} ms`);
  // Relative to stable only when the stable pods served enough requests themselves to have a meaningful p95.
  if (c.p95Ms !== undefined && s.p95Ms !== undefined && stable.requests >= config.minRequestsPerInterval) {
    const limit = s.p95Ms * (1 + config.maxP95IncreasePercent / 100);
    if (c.p95Ms > limit && c.p95Ms - s.p95Ms > RELATIVE_LATENCY_FLOOR_MS) {
      reasons.push(`p95 latency ${round(c.p95Ms)} ms is more than ${config.maxP95IncreasePercent} % above the stable pods' ${round(s.p95Ms)} ms`);
    }
  }
  return { interval, verdict: reasons.length > 0 ? 'fail' : 'pass', canary: c, stable: s, reasons };
}

export type CanaryDecision =
  | { readonly kind: 'continue' }
  | { readonly kind: 'abort'; readonly reason: string; readonly inconclusive: boolean }
  | { readonly kind: 'promote'; readonly reason: string; readonly inconclusive: boolean };

/**
 * After each interval: abort as soon as more than `failureLimit` intervals failed; after `intervals` intervals,
 * promote when at least one was conclusive, else apply `onInconclusive`.
 */
export function decide(verdicts: readonly IntervalVerdict[], config: CanaryConfig): CanaryDecision {
  const failed = verdicts.filter((v) => v.verdict === 'fail');
  if (failed.length > config.failureLimit) {
    const last = failed.at(-1)!;
    return {
      kind: 'abort',
      inconclusive: false,
      reason: `interval ${last.interval}: ${last.reasons.join('; ')} (${failed.length} failed intervals, failureLimit ${config.failureLimit})`,
    };
  }
  if (verdicts.length < config.intervals) return { kind: 'continue' };
  const passed = verdicts.filter((v) => v.verdict === 'pass').length;
  if (passed > 0)
    return { kind: 'promote', inconclusive: false, reason: `${passed} of ${verdicts.length} intervals passed, ${failed.length} failed (failureLimit ${config.failureLimit})` };
  const why = `inconclusive: no interval had minRequestsPerInterval ${config.minRequestsPerInterval} canary requests (too little traffic)`;
  return config.onInconclusive === 'promote'
    ? { kind: 'promote', inconclusive: true, reason: `${why}; onInconclusive is "promote"` }
    : { kind: 'abort', inconclusive: true, reason: `${why}; onInconclusive is "fail"` };
}

/** One progress line per interval, e.g. "canary interval 2/3: pass — canary 120 req, 100 % ok, p95 42 ms; stable 360 req, p95 40 ms". */
export function intervalLine(v: IntervalVerdict, of: number): string {
  const track = (name: string, t: TrackSummary) =>
    `${name} ${t.requests} req${t.successRatePercent !== undefined ? `, ${round(t.successRatePercent)} % ok` : ''}${t.p95Ms !== undefined ? `, p95 ${round(t.p95Ms)} ms` : ''}`;
  return `canary interval ${v.interval}/${of}: ${v.verdict} — ${track('canary', v.canary)}; ${track('stable', v.stable)}${v.reasons.length ? ` (${v.reasons.join('; ')})` : ''}`;
}
