import { failed, ok } from '../../../deploy/adapters/cluster';
import { watchRollout, type WatchOptions } from '../../../deploy/phases/watch';
import { deploymentStatus, FakeClock, FakeCluster } from '../fake-cluster';
import { collect } from './support';

function options(clock: FakeClock, extra: Partial<WatchOptions> = {}): WatchOptions & { lines: string[] } {
  const { lines, log } = collect();
  return { namespace: 'web', name: 'web', timeoutMs: 600_000, pollMs: 1000, clock, log, lines, ...extra };
}

describe('rollout watch', () => {
  test('completes once every replica is updated and available, printing a line only when the counts change', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [
      ok(deploymentStatus({ updated: 1, available: 0, current: 3 })),
      ok(deploymentStatus({ updated: 1, available: 0, current: 3 })),
      ok(deploymentStatus({ updated: 2, available: 2 })),
    ];
    const clock = new FakeClock();
    const o = options(clock);
    const outcome = await watchRollout(cluster, o);
    expect(outcome).toMatchObject({ phase: 'complete', reason: 'all replicas updated and available' });
    expect(o.lines).toEqual([
      '  [  0.0s] rollout: desired 2 · updated 1 · ready 0 · available 0 · pods 3',
      '  [  2.0s] rollout: desired 2 · updated 2 · ready 2 · available 2 · pods 2 — complete',
    ]);
  });

  test('readyIsEnough (a canary): complete once every replica is Ready, before minReadySeconds makes it available', async () => {
    const ready = deploymentStatus({ replicas: 1, updated: 1, available: 0 });
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ replicas: 1, updated: 1, available: 0 })), ok({ ...ready, status: { ...ready.status, readyReplicas: 1 } })];
    const clock = new FakeClock();
    expect(await watchRollout(cluster, options(clock, { readyIsEnough: true }))).toMatchObject({ phase: 'complete', reason: 'every replica updated and Ready' });
    expect(clock.now()).toBe(1000);
    const plain = new FakeCluster();
    plain.deployments = [ok({ ...ready, status: { ...ready.status, readyReplicas: 1 } }), ok(deploymentStatus({ replicas: 1 }))];
    expect(await watchRollout(plain, options(new FakeClock()))).toMatchObject({ phase: 'complete', reason: 'all replicas updated and available' });
    expect(plain.calls.filter((c) => c.startsWith('getDeployment'))).toHaveLength(2);
  });

  test('fails at the progress deadline reported by the controller, long before the timeout', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [
      ...Array(90).fill(ok(deploymentStatus({ updated: 1, available: 0, current: 3 }))),
      ok(deploymentStatus({ updated: 1, available: 0, current: 3, deadlineExceeded: true })),
    ];
    const clock = new FakeClock();
    const outcome = await watchRollout(cluster, options(clock));
    expect(outcome.phase).toBe('failed');
    expect(outcome.reason).toMatch(/^progress deadline exceeded \(90s\): ReplicaSet "web-2" has timed out progressing\.$/);
    expect(clock.now()).toBe(90_000);
  });

  test('fails at --timeout when the controller never reports a deadline (e.g. an autoscaler that never acts)', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ replicas: 1, updated: 1, available: 1 }))];
    const clock = new FakeClock();
    const outcome = await watchRollout(cluster, options(clock, { timeoutMs: 30_000, minReplicas: 2 }));
    expect(outcome.phase).toBe('failed');
    expect(outcome.reason).toBe('timeout after 30s (waiting for the HorizontalPodAutoscaler to scale up to minReplicas 2 (1 available))');
    expect(clock.now()).toBe(31_000);
  });

  test('while restoring, a lingering ProgressDeadlineExceeded does not count: it waits for the old revision to be healthy', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ updated: 1, available: 1, current: 3, deadlineExceeded: true })), ok(deploymentStatus({ updated: 2, available: 2 }))];
    const o = options(new FakeClock(), { restoring: true });
    expect((await watchRollout(cluster, o)).phase).toBe('complete');
    expect(o.lines[0]).toMatch(/^ {2}\[ {2}0\.0s\] restore: /);
  });

  test('a plugged-in check fails the rollout at once with its reason', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ updated: 1, available: 0, current: 3 }))];
    const clock = new FakeClock();
    let polls = 0;
    const crashLoop = async () => (++polls === 3 ? 'pod web-2-abc: container web CrashLoopBackOff (restarts 3)' : undefined);
    const outcome = await watchRollout(cluster, options(clock, { checks: [crashLoop] }));
    expect(outcome).toMatchObject({ phase: 'failed', reason: 'pod web-2-abc: container web CrashLoopBackOff (restarts 3)' });
    expect(clock.now()).toBe(2000);
  });

  test('gives up after 10 consecutive failed reads, with the last error', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [
      ok(deploymentStatus({ updated: 1, available: 0, current: 3 })),
      ...Array(9).fill(failed('i/o timeout')),
      ok(deploymentStatus({ updated: 1, available: 0, current: 3 })),
      failed('i/o timeout'),
    ];
    const outcome = await watchRollout(cluster, options(new FakeClock()));
    expect(outcome).toMatchObject({ phase: 'failed', reason: 'cannot read deployment/web: i/o timeout' });
    expect(cluster.calls.filter((c) => c.startsWith('getDeployment'))).toHaveLength(21);
  });
});
