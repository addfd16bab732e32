import { DEFAULT_CANARY, LATENCY_BUCKETS_SECONDS, type CanaryConfig } from '../../../config';
import {
  decide,
  intervalLine,
  judgeInterval,
  parseExposition,
  quantileMs,
  sumTraffic,
  trafficBetween,
  trafficOf,
  type IntervalVerdict,
  type Traffic,
} from '../../../deploy/canary/verdict';

const config: CanaryConfig = DEFAULT_CANARY;

/** Traffic of `requests` requests, `errors` of them 5xx, every one taking `ms` milliseconds. */
function traffic(requests: number, errors: number, ms: number): Traffic {
  const bounds = [...LATENCY_BUCKETS_SECONDS, Infinity];
  return { requests, errors, buckets: bounds.map((le) => ({ le, count: ms / 1000 <= le ? requests : 0 })) };
}

/** What prom-client writes for one route (abridged to the families the analysis reads). */
const EXPOSITION = `# HELP http_requests_total Requests by route and status class.
# TYPE http_requests_total counter
http_requests_total{route="GET /",status_class="2xx"} 90
http_requests_total{route="GET /",status_class="5xx"} 7
http_requests_total{route="GET /api/info",status_class="4xx"} 3
http_requests_total{route="GET /readyz",status_class="5xx"} 40
http_requests_total{route="GET /healthz",status_class="2xx"} 40
# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1",route="GET /"} 80
http_request_duration_seconds_bucket{le="0.5",route="GET /"} 97
http_request_duration_seconds_bucket{le="+Inf",route="GET /"} 97
http_request_duration_seconds_bucket{le="0.1",route="GET /api/info"} 3
http_request_duration_seconds_bucket{le="0.5",route="GET /api/info"} 3
http_request_duration_seconds_bucket{le="+Inf",route="GET /api/info"} 3
http_request_duration_seconds_bucket{le="0.1",route="GET /readyz"} 40
http_request_duration_seconds_bucket{le="+Inf",route="GET /readyz"} 40
http_request_duration_seconds_sum{route="GET /"} 5.1
http_requests_in_flight 2
`;

describe('reading pod metrics', () => {
  test('parses the text format: names, labels (escapes included), values', () => {
    expect(parseExposition('a_total{x="q\\"uote",y="b"} 3\n# comment\n\nb 1.5e2\n')).toEqual([
      { name: 'a_total', labels: { x: 'q"uote', y: 'b' }, value: 3 },
      { name: 'b', labels: {}, value: 150 },
    ]);
  });

  test("a pod's traffic sums every route but the probes (not user traffic): requests, 5xx errors, the latency histogram", () => {
    expect(trafficOf(EXPOSITION)).toEqual({
      requests: 100,
      errors: 7,
      buckets: [
        { le: 0.1, count: 83 },
        { le: 0.5, count: 100 },
        { le: Infinity, count: 100 },
      ],
    });
  });

  test('traffic between two scrapes; a restarted pod (counter went down) counts from zero', () => {
    const before = traffic(100, 1, 50);
    const after = traffic(160, 4, 50);
    expect(trafficBetween(before, after)).toMatchObject({ requests: 60, errors: 3 });
    expect(trafficBetween(before, after).buckets.at(-1)).toEqual({ le: Infinity, count: 60 });
    expect(trafficBetween(after, before)).toBe(before);
    expect(trafficBetween(undefined, after)).toBe(after);
  });

  test('sums pods', () => {
    expect(sumTraffic([traffic(10, 1, 50), traffic(30, 0, 400)])).toMatchObject({ requests: 40, errors: 1 });
    expect(quantileMs(0.95, sumTraffic([traffic(10, 1, 50), traffic(30, 0, 400)]).buckets)).toBeGreaterThan(300);
  });
});

describe('p95 from a histogram (as histogram_quantile)', () => {
  test('interpolates within the bucket that holds the rank', () => {
    // 100 requests: 50 ≤ 100 ms, 50 in (100, 200] ms → p95 = 100 + 0.9 × 100 = 190 ms.
    expect(
      quantileMs(0.95, [
        { le: 0.1, count: 50 },
        { le: 0.2, count: 100 },
        { le: Infinity, count: 100 },
      ]),
    ).toBeCloseTo(190, 5);
  });

  test('the highest finite bound when the rank falls in +Inf; undefined without observations', () => {
    expect(
      quantileMs(0.95, [
        { le: 0.5, count: 1 },
        { le: Infinity, count: 100 },
      ]),
    ).toBe(500);
    expect(quantileMs(0.95, [])).toBeUndefined();
    expect(quantileMs(0.95, [{ le: Infinity, count: 0 }])).toBeUndefined();
  });
});

describe('an interval', () => {
  test('passes when success rate and latency are within the thresholds', () => {
    const v = judgeInterval(1, traffic(100, 0, 40), traffic(300, 0, 40), config);
    expect(v).toMatchObject({ verdict: 'pass', reasons: [], canary: { requests: 100, successRatePercent: 100 } });
  });

  test('fails when the success rate is below the threshold, naming the value, the counts and the threshold', () => {
    const v = judgeInterval(2, traffic(100, 5, 40), traffic(300, 0, 40), config);
    expect(v.verdict).toBe('fail');
    expect(v.reasons).toEqual(['success rate 95 % (5 of 100 requests 5xx) is below 99 %']);
  });

  test('fails when p95 is above the absolute limit', () => {
    expect(judgeInterval(1, traffic(100, 0, 900), traffic(300, 0, 900), config).reasons).toEqual([expect.stringMatching(/^p95 latency \d+(\.\d)? ms is above 500 ms$/)]);
  });

  test("fails when p95 is much higher than the stable pods' in the same interval, though under the absolute limit", () => {
    const v = judgeInterval(1, traffic(100, 0, 400), traffic(300, 0, 40), config);
    expect(v.reasons).toEqual([expect.stringMatching(/^p95 latency \d+(\.\d)? ms is more than 50 % above the stable pods' \d+(\.\d)? ms$/)]);
  });

  test("a relative difference within a bucket's resolution (under 20 ms) is not a failure", () => {
    expect(judgeInterval(1, traffic(100, 0, 9), traffic(300, 0, 4), config).verdict).toBe('pass');
  });

  test('no relative comparison when the stable pods served too few requests to compare with', () => {
    expect(judgeInterval(1, traffic(100, 0, 400), traffic(5, 0, 40), config).verdict).toBe('pass');
  });

  test('is inconclusive below minRequestsPerInterval, whatever the errors', () => {
    const v = judgeInterval(1, traffic(19, 19, 40), traffic(300, 0, 40), config);
    expect(v).toMatchObject({ verdict: 'inconclusive', reasons: ['canary served 19 requests, fewer than minRequestsPerInterval 20'] });
  });

  test('one line per interval for the terminal', () => {
    expect(intervalLine(judgeInterval(2, traffic(120, 0, 40), traffic(360, 0, 40), config), 3)).toMatch(
      /^canary interval 2\/3: pass — canary 120 req, 100 % ok, p95 \d+(\.\d)? ms; stable 360 req, 100 % ok, p95 \d+(\.\d)? ms$/,
    );
  });
});

describe('the decision', () => {
  const v = (interval: number, verdict: IntervalVerdict['verdict']): IntervalVerdict => ({
    interval,
    verdict,
    canary: { requests: 0 },
    stable: { requests: 0 },
    reasons: verdict === 'fail' ? ['success rate 90 % is below 99 %'] : [],
  });

  test('continues until the configured number of intervals', () => {
    expect(decide([v(1, 'pass'), v(2, 'pass')], config)).toEqual({ kind: 'continue' });
  });

  test('aborts at the first failed interval with failureLimit 0, without waiting for the rest', () => {
    expect(decide([v(1, 'pass'), v(2, 'fail')], config)).toEqual({
      kind: 'abort',
      inconclusive: false,
      reason: 'interval 2: success rate 90 % is below 99 % (1 failed intervals, failureLimit 0)',
    });
  });

  test('tolerates failures up to the failure limit, aborts on the next', () => {
    const tolerant = { ...config, intervals: 4, failureLimit: 1 };
    expect(decide([v(1, 'fail'), v(2, 'pass')], tolerant)).toEqual({ kind: 'continue' });
    expect(decide([v(1, 'fail'), v(2, 'pass'), v(3, 'fail')], tolerant)).toMatchObject({
      kind: 'abort',
      reason: expect.stringMatching(/^interval 3: .*\(2 failed intervals, failureLimit 1\)$/),
    });
    expect(decide([v(1, 'fail'), v(2, 'pass'), v(3, 'pass'), v(4, 'pass')], tolerant)).toMatchObject({ kind: 'promote', inconclusive: false });
  });

  test('promotes after the intervals when some were conclusive and none failed too often (inconclusive ones do not block)', () => {
    expect(decide([v(1, 'inconclusive'), v(2, 'pass'), v(3, 'inconclusive')], config)).toEqual({
      kind: 'promote',
      inconclusive: false,
      reason: '1 of 3 intervals passed, 0 failed (failureLimit 0)',
    });
  });

  test('no conclusive interval: onInconclusive decides, and the reason says the analysis was inconclusive', () => {
    const quiet = [v(1, 'inconclusive'), v(2, 'inconclusive'), v(3, 'inconclusive')];
    expect(decide(quiet, config)).toMatchObject({
      kind: 'abort',
      inconclusive: true,
      reason: expect.stringMatching(/^inconclusive: .*too little traffic.*onInconclusive is "fail"$/),
    });
    expect(decide(quiet, { ...config, onInconclusive: 'promote' })).toMatchObject({
      kind: 'promote',
      inconclusive: true,
      reason: expect.stringMatching(/onInconclusive is "promote"$/),
    });
  });
});
