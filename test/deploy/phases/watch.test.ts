import { failed, ok } from '../../../deploy/adapters/cluster';
import type { RolloutCheck } from '../../../deploy/context';
import { watchRollout, type WatchOptions } from '../../../deploy/phases/watch';
import { deploymentStatus, FakeClock, FakeCluster } from '../fake-cluster';
import { phaseContext } from './support';

/** Watches deployment/web of `cluster` in the context a deploy gives (poll every 1000 ms), on a fake clock. */
async function watch(cluster: FakeCluster, clock: FakeClock, extra: Partial<WatchOptions> = {}, rolloutChecks: readonly RolloutCheck[] = []) {
  const context = phaseContext(cluster, { clock, rolloutChecks });
  const outcome = await watchRollout(context, { namespace: 'web', name: 'web', timeoutMs: 600_000, ...extra });
  return { outcome, lines: context.lines };
}

describe('rollout watch', () => {
  test('completes once every replica is updated and available, printing a line only when the counts change', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [
      ok(deploymentStatus({ updated: 1, available: 0, current: 3 })),
      ok(deploymentStatus({ updated: 1, available: 0, current: 3 })),
      ok(deploymentStatus({ updated: 2, available: 2 })),
    ];
    const { outcome, lines } = await watch(cluster, new FakeClock());
    expect(outcome).toMatchObject({ phase: 'complete', reason: 'all replicas updated and available' });
    expect(lines).toEqual([
      '  [  0.0s] rollout: desired 2 · updated 1 · ready 0 · available 0 · pods 3',
      '  [  2.0s] rollout: desired 2 · updated 2 · ready 2 · available 2 · pods 2 — complete',
    ]);
  });

  test('readyIsEnough (a canary): complete once every replica is Ready, before minReadySeconds makes it available', async () => {
    const ready = deploymentStatus({ replicas: 1, updated: 1, available: 0 });
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ replicas: 1, updated: 1, available: 0 })), ok({ ...ready, status: { ...ready.status, readyReplicas: 1 } })];
    const clock = new FakeClock();
    expect((await watch(cluster, clock, { readyIsEnough: true })).outcome).toMatchObject({ phase: 'complete', reason: 'every replica updated and Ready' });
    expect(clock.now()).toBe(1000);
    const plain = new FakeCluster();
    plain.deployments = [ok({ ...ready, status: { ...ready.status, readyReplicas: 1 } }), ok(deploymentStatus({ replicas: 1 }))];
    expect((await watch(plain, new FakeClock())).outcome).toMatchObject({ phase: 'complete', reason: 'all replicas updated and available' });
    expect(plain.calls.filter((c) => c.startsWith('getDeployment'))).toHaveLength(2);
  });

  test('fails at the progress deadline reported by the controller, long before the timeout', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [
      ...Array(90).fill(ok(deploymentStatus({ updated: 1, available: 0, current: 3 }))),
      ok(deploymentStatus({ updated: 1, available: 0, current: 3, deadlineExceeded: true })),
    ];
    const clock = new FakeClock();
    const { outcome } = await watch(cluster, clock);
    expect(outcome.phase).toBe('failed');
    expect(outcome.reason).toMatch(/^progress deadline exceeded \(90s\): ReplicaSet "web-2" has timed out progressing\.$/);
    expect(clock.now()).toBe(90_000);
  });

  test('fails at --timeout when the controller never reports a deadline (e.g. an autoscaler that never acts)', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ replicas: 1, updated: 1, available: 1 }))];
    const clock = new FakeClock();
    const { outcome } = await watch(cluster, clock, { timeoutMs: 30_000, minReplicas: 2 });
    expect(outcome.phase).toBe('failed');
    expect(outcome.reason).toBe('timeout after 30s (waiting for the HorizontalPodAutoscaler to scale up to minReplicas 2 (1 available))');
    expect(clock.now()).toBe(31_000);
  });

  test('while restoring, a lingering ProgressDeadlineExceeded does not count: it waits for the old revision to be healthy', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ updated: 1, available: 1, current: 3, deadlineExceeded: true })), ok(deploymentStatus({ updated: 2, available: 2 }))];
    const { outcome, lines } = await watch(cluster, new FakeClock(), { restoring: true });
    expect(outcome.phase).toBe('complete');
    expect(lines[0]).toMatch(/^ {2}\[ {2}0\.0s\] restore: /);
  });

  test('a plugged-in check fails the rollout at once with its reason', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ updated: 1, available: 0, current: 3 }))];
    const clock = new FakeClock();
    let polls = 0;
    const crashLoop = async () => (++polls === 3 ? 'pod web-2-abc: container web CrashLoopBackOff (restarts 3)' : undefined);
    const { outcome } = await watch(cluster, clock, {}, [crashLoop]);
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
    const { outcome } = await watch(cluster, new FakeClock());
    expect(outcome).toMatchObject({ phase: 'failed', reason: 'cannot read deployment/web: i/o timeout' });
    expect(cluster.calls.filter((c) => c.startsWith('getDeployment'))).toHaveLength(21);
  });

  test('while the counts stay the same, a line at least every 15 s says what the rollout waits for (e.g. the ALB target registration)', async () => {
    const stuck = deploymentStatus({ updated: 2, available: 1, current: 2 });
    const cluster = new FakeCluster();
    cluster.deployments = [ok({ ...stuck, spec: { ...stuck.spec, selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } } })];
    const ready = { type: 'Ready', status: 'True' };
    cluster.pods = [
      { metadata: { name: 'web-1' }, status: { phase: 'Running', conditions: [ready], containerStatuses: [{ name: 'web', ready: true, state: { running: {} } }] } },
      {
        metadata: { name: 'web-2' },
        spec: { readinessGates: [{ conditionType: 'target-health.elbv2.k8s.aws/k8s-web-web-0123456789' }] },
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady' },
            { type: 'target-health.elbv2.k8s.aws/k8s-web-web-0123456789', status: 'False', reason: 'Elb.RegistrationInProgress' },
          ],
          containerStatuses: [{ name: 'web', ready: true, state: { running: {} } }],
        },
      },
    ];
    cluster.onRead = () => (clock.t += 200); // each read takes 0.2 s
    const clock = new FakeClock();
    const { outcome, lines } = await watch(cluster, clock, { timeoutMs: 60_000 });
    expect(outcome.reason).toBe('timeout after 60s (1 of 2 updated replicas available)');
    const at = lines.map((l) => Number(/^ {2}\[ *([\d.]+)s\]/.exec(l)![1]));
    expect(at).toEqual([0.2, 14.6, 29, 43.4, 57.8]);
    expect(Math.max(...at.slice(1).map((t, i) => t - at[i]))).toBeLessThanOrEqual(15);
    expect(lines[1]).toBe(
      '  [ 14.6s] rollout: deployment/web waits: 1 of 2 updated replicas available — 1 pod: ALB target registration ' +
        "(readiness gate target-health.elbv2.k8s.aws/k8s-web-web-0123456789: Ready once the load balancer's health checks pass) — 15 s of 60 s",
    );
    expect(cluster.calls.filter((c) => c.startsWith('listPods'))).toHaveLength(4); // only for the waiting lines
  });

  test('progressMs comes from the context (tests and callers may shorten it)', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ updated: 1, available: 0, current: 3 }))];
    const context = phaseContext(cluster, { clock: new FakeClock(), progressMs: 5_000 });
    await watchRollout(context, { namespace: 'web', name: 'web', timeoutMs: 10_000 });
    expect(context.lines.filter((l) => l.includes('waits: 1 of 2 new replicas updated — '))).toHaveLength(2);
  });

  test('restoring with a lingering ProgressDeadlineExceeded: the lines say how many replicas are back, not the old deadline', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ updated: 1, available: 1, current: 3, deadlineExceeded: true }))];
    const { lines } = await watch(cluster, new FakeClock(), { restoring: true, timeoutMs: 20_000 });
    expect(lines[1]).toBe('  [ 14.0s] restore: deployment/web waits: 1 of 2 replicas available — 14 s of 20 s');
  });
});
