import { DEFAULT_CANARY } from '../../../config';
import { analyseCanary } from '../../../deploy/canary/run-analysis';
import { FakeCluster } from '../fake-cluster';
import { phaseContext } from '../phases/support';
import { withTraffic } from './support';

/** A context (fake clock) over a cluster whose pods serve `perInterval` requests per interval. */
const context = (perInterval: Parameters<typeof withTraffic>[1]) => phaseContext(withTraffic(new FakeCluster(), perInterval));

const options = { namespace: 'web', selector: { 'app.kubernetes.io/name': 'web' }, config: DEFAULT_CANARY };

describe('canary analysis loop', () => {
  test('a healthy canary: every interval passes, promoted after the configured intervals, one line each', async () => {
    const o = context({ 'web-canary-a': [40, 0], 'web-1': [60, 0], 'web-2': [60, 0] });
    const result = await analyseCanary(o, options);
    expect(result.decision).toMatchObject({ kind: 'promote', inconclusive: false });
    expect(result.verdicts.map((v) => v.verdict)).toEqual(['pass', 'pass', 'pass']);
    expect(o.clock.now()).toBe(30_000);
    expect(o.lines).toHaveLength(3);
    expect(o.lines[0]).toMatch(/^ {2}canary interval 1\/3: pass — canary 40 req, 100 % ok, p95 .*; stable 120 req, 100 % ok/);
  });

  test('a canary failing 10 % of its requests is aborted after the first interval, the stable pods are only compared', async () => {
    const o = context({ 'web-canary-a': [40, 4], 'web-1': [60, 0] });
    const result = await analyseCanary(o, options);
    expect(result.decision).toMatchObject({ kind: 'abort', reason: expect.stringMatching(/^interval 1: success rate 90 % \(4 of 40 requests 5xx\) is below 99 %/) });
    expect(o.clock.now()).toBe(10_000);
  });

  test('a slow canary (p95 far above the stable pods) is aborted', async () => {
    const result = await analyseCanary(context({ 'web-canary-a': [40, 0, 400], 'web-1': [60, 0, 40] }), options);
    expect(result.decision).toMatchObject({ kind: 'abort', reason: expect.stringMatching(/p95 latency .* ms is more than 50 % above the stable pods'/) });
  });

  test('too little traffic: every interval inconclusive, the policy decides and says so', async () => {
    const result = await analyseCanary(context({ 'web-canary-a': [3, 0], 'web-1': [9, 0] }), options);
    expect(result.verdicts.map((v) => v.verdict)).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
    expect(result.decision).toMatchObject({ kind: 'abort', inconclusive: true });
  });

  test('a long interval (60 s) says what it waits for at least every 15 s, between its verdict lines', async () => {
    const o = context({ 'web-canary-a': [40, 0], 'web-1': [60, 0] });
    const result = await analyseCanary(o, { ...options, config: { ...DEFAULT_CANARY, intervals: 2, intervalSeconds: 60 } });
    expect(result.decision.kind).toBe('promote');
    expect(o.clock.now()).toBe(120_000);
    expect(o.lines.slice(0, 4)).toEqual([
      "  canary interval 1/2: measuring the canary's and the stable pods' traffic, 15 s of 60 s",
      "  canary interval 1/2: measuring the canary's and the stable pods' traffic, 30 s of 60 s",
      "  canary interval 1/2: measuring the canary's and the stable pods' traffic, 45 s of 60 s",
      expect.stringMatching(/^ {2}canary interval 1\/2: pass — /),
    ]);
    expect(o.lines).toHaveLength(8);
  });
});
