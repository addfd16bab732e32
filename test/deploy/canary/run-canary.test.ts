/** The canary phase over a fake cluster: sizing, Ready wait with fast failure detection, abort and promote (milliseconds). */
import { DEFAULT_CANARY, type CanaryConfig } from '../../../config';
import { ok } from '../../../deploy/adapters/cluster';
import { EXIT } from '../../../deploy/errors';
import { removeLeftoverCanary, runCanary, usesCanary } from '../../../deploy/canary/run-canary';
import { canaryAbortReport, canaryAbortResult, canarySummary } from '../../../deploy/canary/report';
import type { DeploymentPlan } from '../../../deploy/phases/plan';
import { resultLine } from '../../../deploy/phases/report';
import { withTraffic } from './support';
import { deploymentStatus, FakeCluster } from '../fake-cluster';
import type { RolloutCheck } from '../../../deploy/context';
import { collect, phaseContext, webPlan as basePlan, refusal } from '../phases/support';

const STABLE = { revision: '4', images: ['registry.local/web:1.0.0'], replicas: 3 };
const canaryPlan = (config: Partial<CanaryConfig> = {}) => basePlan({ strategy: { kind: 'canary', ...DEFAULT_CANARY, ...config } }) as DeploymentPlan & { strategy: CanaryConfig };

const TIMEOUT_MS = 600_000;

/** The context a deploy gives the canary phase over `cluster` (a fake clock). */
const context = (cluster: FakeCluster, rolloutChecks: readonly RolloutCheck[] = []) => phaseContext(cluster, { rolloutChecks });

/** The canary Deployment: not there yet, then rolling, then `final`. */
function canaryCluster(final = ok(deploymentStatus({ replicas: 1, updated: 1, available: 1 }))) {
  const cluster = new FakeCluster();
  cluster.namedDeployments['web-canary'] = [ok(deploymentStatus({ replicas: 1, updated: 1, available: 0 })), final];
  return cluster;
}

describe('canary phase', () => {
  test('a canary runs only for the canary strategy and when stable pods exist; a first release says it rolls plainly', () => {
    const { lines, log } = collect();
    const ctx = phaseContext(new FakeCluster(), { log });
    expect(usesCanary(ctx, basePlan(), STABLE)).toBe(false);
    expect(usesCanary(ctx, canaryPlan(), STABLE)).toBe(true);
    expect(lines).toEqual([]);
    expect(usesCanary(ctx, canaryPlan(), { images: [] })).toBe(false);
    expect(lines).toEqual(['canary: no deployment/web runs yet (first release), so there are no stable pods to compare a canary with: plain rollout']);
  });

  test('a healthy canary: sized from the live stable replicas, applied outside the ApplySet, analysed, promoted; the stable Deployment is not touched', async () => {
    const cluster = withTraffic(canaryCluster(), { 'web-canary-a': [40, 0], 'web-1': [40, 0], 'web-2': [40, 0], 'web-3': [40, 0] });
    const ctx = context(cluster);
    const outcome = await runCanary(ctx, canaryPlan(), STABLE, TIMEOUT_MS);
    const { lines } = ctx;
    expect(outcome.kind).toBe('promote');
    // 3 stable pods, 25 %: 1 canary pod (1 of 4).
    expect(cluster.applied).toHaveLength(1);
    expect(cluster.applied[0].options).toEqual({});
    expect(cluster.applied[0].objects[0]).toMatchObject({ kind: 'Deployment', metadata: { name: 'web-canary' }, spec: { replicas: 1 } });
    expect(cluster.mutations()).toEqual(['apply Deployment/web-canary']);
    expect(lines[0]).toBe(
      'canary: deployment/web-canary with registry.local/web:1.0.1: 1 pod beside 3 stable (25 % of the pods, configured 25 %); deployment/web untouched until the analysis passes',
    );
    expect(lines.filter((l) => /canary interval \d\/3: pass/.test(l))).toHaveLength(3);
    expect(canarySummary(outcome)).toEqual({ decision: 'promoted', inconclusive: false, readyMs: 1000, analysisMs: 30_000 });
  });

  test('a canary failing 10 % of its requests: aborted after one interval, removed; the report names metric, values and pods', async () => {
    const cluster = withTraffic(canaryCluster(), { 'web-canary-a': [40, 4], 'web-1': [60, 0], 'web-2': [60, 0] });
    const outcome = await runCanary(context(cluster), canaryPlan(), STABLE, TIMEOUT_MS);
    if (outcome.kind !== 'abort') throw new Error('expected an abort');
    expect(outcome).toMatchObject({
      stage: 'analysis',
      inconclusive: false,
      reason: expect.stringMatching(/^interval 1: success rate 90 % \(4 of 40 requests 5xx\) is below 99 %/),
    });
    expect(cluster.mutations()).toEqual(['apply Deployment/web-canary', 'delete deployment web-canary -n web']);
    const report = canaryAbortReport('generic', 'web', ['registry.local/web:1.0.1'], outcome, STABLE);
    expect(report.split('\n')).toEqual([
      expect.stringMatching(/^✗ generic: canary of registry.local\/web:1.0.1 aborted: interval 1: success rate 90 %/),
      '  canary pods: web-canary-a (registry.local/web:1.0.1)',
      '  stable pods: web-1, web-2 (registry.local/web:1.0.0)',
      expect.stringMatching(/^ {2}canary interval 1\/3: fail — canary 40 req, 90 % ok, p95 [\d.]+ ms; stable 120 req, 100 % ok/),
      '  deployment/web-canary removed (its pods terminate with their usual drain)',
      '  deployment/web was never touched: still revision 4 (registry.local/web:1.0.0)',
      '  timings: canary apply 0s · apply→Ready 1s · Ready→decided 10s',
    ]);
    const result = canaryAbortResult(outcome);
    expect(result).toMatchObject({ outcome: 'canary-aborted', exitCode: EXIT.rolledBack });
    expect(resultLine(result)).toBe(
      'deploy-result: {"outcome":"canary-aborted","exitCode":1,"applySeconds":0,"detectSeconds":11,"totalSeconds":11,"canary":"aborted","canaryStage":"analysis","canaryInconclusive":false,"canaryReadySeconds":1,"abortSeconds":10}',
    );
  });

  test('too little traffic with onInconclusive "fail": aborted, and the report says the analysis was inconclusive', async () => {
    const cluster = withTraffic(canaryCluster(), { 'web-canary-a': [2, 0], 'web-1': [6, 0] });
    const outcome = await runCanary(context(cluster), canaryPlan(), STABLE, TIMEOUT_MS);
    if (outcome.kind !== 'abort') throw new Error('expected an abort');
    expect(outcome.inconclusive).toBe(true);
    expect(canaryAbortReport('generic', 'web', ['x'], outcome, STABLE)).toMatch(/^✗ generic: canary of x aborted \(the analysis was inconclusive\): inconclusive: no interval had/);
  });

  test('too little traffic with onInconclusive "promote": promoted, flagged as inconclusive', async () => {
    const cluster = withTraffic(canaryCluster(), { 'web-canary-a': [2, 0], 'web-1': [6, 0] });
    const outcome = await runCanary(context(cluster), canaryPlan({ onInconclusive: 'promote' }), STABLE, TIMEOUT_MS);
    expect(outcome.kind).toBe('promote');
    expect(canarySummary(outcome).inconclusive).toBe(true);
  });

  test('a canary that never becomes Ready is aborted as soon as a rollout check fails it, removed, nothing analysed', async () => {
    const cluster = new FakeCluster();
    cluster.namedDeployments['web-canary'] = [ok(deploymentStatus({ replicas: 1, updated: 1, available: 0 }))];
    let polls = 0;
    const startupBudget = async () => (++polls >= 5 ? 'pod web-canary-x: StartupBudgetExceeded' : undefined);
    const ctx = context(cluster, [startupBudget]);
    const { clock } = ctx;
    const outcome = await runCanary(ctx, canaryPlan(), STABLE, TIMEOUT_MS);
    expect(outcome).toMatchObject({ kind: 'abort', stage: 'never-ready', reason: 'the canary did not become Ready: pod web-canary-x: StartupBudgetExceeded' });
    expect(clock.now()).toBe(4000);
    expect(cluster.mutations()).toEqual(['apply Deployment/web-canary', 'delete deployment web-canary -n web']);
    expect(cluster.calls.some((c) => c.startsWith('getRaw /api/v1/namespaces/web/pods/'))).toBe(false);
    const line = resultLine(canaryAbortResult(outcome as Extract<typeof outcome, { kind: 'abort' }>));
    expect(line).toMatch(/"detectSeconds":4,.*"canary":"aborted","canaryStage":"never-ready"/);
    expect(line).not.toMatch(/abortSeconds/);
  });

  test('a canary the API server rejects: exit 5, nothing else changed', async () => {
    const cluster = new FakeCluster();
    cluster.applyReply = () => ({ ok: false, error: 'Error from server (Forbidden): deployments.apps is forbidden', forbidden: true });
    expect(await refusal(runCanary(context(cluster), canaryPlan(), STABLE, TIMEOUT_MS))).toMatchObject({
      exitCode: EXIT.applyFailed,
      message: expect.stringMatching(/stable Deployment is untouched/),
    });
  });

  test('a canary left by a stopped deploy is found and removed, and said so; none: nothing happens', async () => {
    const cluster = new FakeCluster();
    cluster.namedDeployments['web-canary'] = [ok(deploymentStatus({ image: 'registry.local/web:0.9.9' }))];
    const { lines, log } = collect();
    expect(await removeLeftoverCanary(phaseContext(cluster, { log }), basePlan())).toBe(true);
    expect(cluster.mutations()).toEqual(['delete deployment web-canary -n web']);
    expect(lines[0]).toBe('canary: found deployment/web-canary (registry.local/web:0.9.9) left by a deploy that stopped mid-canary; removing it');
    const clean = new FakeCluster();
    expect(await removeLeftoverCanary(phaseContext(clean, { log }), basePlan())).toBe(false);
    expect(clean.mutations()).toEqual([]);
  });

  test('a leftover canary that cannot be removed refuses the release (exit 3)', async () => {
    const cluster = new FakeCluster();
    cluster.namedDeployments['web-canary'] = [ok(deploymentStatus({}))];
    cluster.delete = async () => ({ ok: false, error: 'deployments.apps "web-canary" is forbidden', forbidden: true });
    expect((await refusal(removeLeftoverCanary(phaseContext(cluster), basePlan()))).exitCode).toBe(EXIT.clusterUnreachable);
  });
});
