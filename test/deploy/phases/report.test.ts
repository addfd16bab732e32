import { EXIT } from '../../../deploy/errors';
import {
  combinedResult,
  failureReport,
  failureResult,
  releaseSummary,
  resultLine,
  successLine,
  successResult,
  watchingLine,
  type DeployResult,
} from '../../../deploy/phases/report';
import { evaluateRollout } from '../../../deploy/rules/rollout';
import { deploymentStatus } from '../fake-cluster';

const failure = { phase: 'failed' as const, state: evaluateRollout(deploymentStatus({ deadlineExceeded: true })), reason: 'progress deadline exceeded (90s)' };
const healthy = { phase: 'complete' as const, state: evaluateRollout(deploymentStatus({})), reason: 'all replicas updated and available' };
const marks = { applyStarted: 1000, applied: 3500, settled: 95_500, rollbackEnded: 110_000 };

describe('report', () => {
  test("after the apply, says what the watch waits for (the autoscaler's minReplicas when there is one)", () => {
    expect(watchingLine({ deploymentName: 'web', minReplicas: 2 }, 1234, 600)).toBe(
      'applied in 1.2s; watching the rollout of deployment/web (timeout 600s; done when at least 2 replicas (HorizontalPodAutoscaler minReplicas) are available)',
    );
    expect(watchingLine({ deploymentName: 'web' }, 0, 60)).toBe('applied in 0s; watching the rollout of deployment/web (timeout 60s)');
  });

  test('a success carries apply, rollout and total time, measured once from the marks', () => {
    const result = successResult({ applyStarted: 1000, applied: 3500, settled: 20_000 });
    expect(result).toEqual({ outcome: 'applied', exitCode: EXIT.ok, timings: { applyMs: 2500, rolloutMs: 16_500, totalMs: 19_000 } });
    expect(successLine('generic', 'web', ['registry.local/web:1.0.1'], healthy, result.timings!)).toBe(
      '✓ generic: deployment/web rolled out (2 replicas available, image registry.local/web:1.0.1) — apply 2.5s, rollout 16.5s, total 19s',
    );
  });

  test('a restored release is exit 1 with detection and restore times', () => {
    const rollback = { kind: 'undone' as const, revision: '3', restored: healthy };
    expect(failureResult(marks, failure, rollback)).toEqual({
      outcome: 'rolled-back',
      exitCode: EXIT.rolledBack,
      reason: failure.reason,
      timings: { applyMs: 2500, detectMs: 92_000, restoreMs: 14_500, totalMs: 109_000 },
    });
    const text = failureReport({
      target: 'generic',
      deployment: 'web',
      images: ['registry.local/web:faulty'],
      failure,
      diagnosis: ['pods not ready:', '  pod web-2'],
      previous: { revision: '3', images: ['registry.local/web:1.0.0'] },
      rollback,
      marks,
    });
    expect(text.split('\n')).toEqual([
      '✗ generic: the release of registry.local/web:faulty failed: progress deadline exceeded (90s)',
      '  pods not ready:',
      '    pod web-2',
      '  rolled back to revision 3 (registry.local/web:1.0.0): 2/2 replicas available again',
      '  note: only the Deployment was rolled back; the other applied objects (ConfigMap, Service, …) stay at the new version',
      '  timings: apply 2.5s · apply→failure detected 92s · detected→restored 14.5s · apply→restored 106.5s',
    ]);
  });

  test('a first release that fails is exit 4 and says there is nothing to roll back to', () => {
    const rollback = { kind: 'no-previous-revision' as const };
    const m = { ...marks, rollbackEnded: undefined };
    expect(failureResult(m, failure, rollback)).toEqual({
      outcome: 'rollback-failed',
      exitCode: EXIT.rollbackFailed,
      reason: failure.reason,
      timings: { applyMs: 2500, detectMs: 92_000 },
    });
    const text = failureReport({ target: 'generic', deployment: 'web', images: ['x'], failure, diagnosis: [], previous: { images: [] }, rollback, marks: m });
    expect(text).toContain('no previous revision of deployment/web to roll back to (first release): fix the release and deploy again');
    expect(text).toMatch(/timings: apply 2\.5s · apply→failure detected 92s$/);
  });

  test('a rollback that fails or does not become healthy is exit 4, with why', () => {
    const undoFailed = { kind: 'undo-failed' as const, error: 'unable to find revision 3' };
    expect(failureResult(marks, failure, undoFailed).exitCode).toBe(EXIT.rollbackFailed);
    expect(failureReport({ target: 'g', deployment: 'web', images: [], failure, diagnosis: [], previous: { revision: '3', images: [] }, rollback: undoFailed, marks })).toContain(
      '  rollback failed: unable to find revision 3',
    );
    const unhealthy = { kind: 'undone' as const, revision: '3', restored: { ...failure, reason: 'timeout after 120s' } };
    expect(failureResult(marks, failure, unhealthy).outcome).toBe('rollback-failed');
    expect(failureReport({ target: 'g', deployment: 'web', images: [], failure, diagnosis: [], previous: { revision: '3', images: [] }, rollback: unhealthy, marks })).toContain(
      '  the previous revision did not become healthy again: timeout after 120s',
    );
  });

  test('the machine-readable line gives seconds (one decimal) and leaves out what did not happen', () => {
    expect(resultLine(successResult({ applyStarted: 0, applied: 1234, settled: 5678 }))).toBe(
      'deploy-result: {"outcome":"applied","exitCode":0,"applySeconds":1.2,"rolloutSeconds":4.4,"totalSeconds":5.7}',
    );
    expect(resultLine({ outcome: 'refused', exitCode: EXIT.invalidInput })).toBe('deploy-result: {"outcome":"refused","exitCode":2}');
  });

  test("several workloads: the exit code is the worst (4 > 5 > 1 > 0), the top-level fields are that workload's, every workload in the map", () => {
    const applied = successResult({ applyStarted: 0, applied: 1000, settled: 5000 });
    const rolledBack: DeployResult = {
      outcome: 'rolled-back',
      exitCode: EXIT.rolledBack,
      reason: 'crash',
      timings: { applyMs: 500, detectMs: 9000, restoreMs: 4000, totalMs: 13_500 },
    };
    const partly: DeployResult = { outcome: 'apply-failed', exitCode: EXIT.applyFailed, reason: 'rejected' };
    const stuck: DeployResult = { outcome: 'rollback-failed', exitCode: EXIT.rollbackFailed, reason: 'no previous revision' };
    const worst = (...results: DeployResult[]) => combinedResult(results.map((r, i) => [`w${i}`, r] as const)).exitCode;
    expect(worst(applied, applied)).toBe(EXIT.ok);
    expect(worst(applied, rolledBack)).toBe(EXIT.rolledBack);
    expect(worst(rolledBack, partly, applied)).toBe(EXIT.applyFailed);
    expect(worst(partly, stuck, rolledBack)).toBe(EXIT.rollbackFailed);
    const combined = combinedResult([
      ['web', applied],
      ['worker', rolledBack],
      ['prune', { outcome: 'not-released' }],
    ]);
    expect(combined).toMatchObject({ outcome: 'rolled-back', exitCode: EXIT.rolledBack, timings: rolledBack.timings });
    expect(resultLine(combined)).toBe(
      'deploy-result: {"outcome":"rolled-back","exitCode":1,"applySeconds":0.5,"detectSeconds":9,"restoreSeconds":4,"totalSeconds":13.5,"rolledBack":["worker"],' +
        '"workloads":{"web":{"outcome":"applied","exitCode":0,"applySeconds":1,"rolloutSeconds":4,"totalSeconds":5},' +
        '"worker":{"outcome":"rolled-back","exitCode":1,"applySeconds":0.5,"detectSeconds":9,"restoreSeconds":4,"totalSeconds":13.5},"prune":{"outcome":"not-released"}}}',
    );
    expect(releaseSummary('generic', combined)).toBe(
      [
        'release of generic (3 workloads), exit 1:',
        '  web: applied (exit 0) in 5s',
        '  worker: rolled-back (exit 1) in 13.5s: crash',
        '  prune: not released (an earlier workload of this release failed; it runs what ran before)',
        '  rolled back: worker (restored to what ran before)',
      ].join('\n'),
    );
  });
});
