import { failed, ok } from '../../../deploy/adapters/cluster';
import { diagnose, rollback } from '../../../deploy/phases/rollback';
import { deploymentStatus, FakeClock, FakeCluster } from '../fake-cluster';
import { phaseContext, webPlan as plan } from './support';

describe('rollback', () => {
  test('undoes to the revision that ran before the apply and waits until it is healthy', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ updated: 1, available: 1, current: 3 })), ok(deploymentStatus({ revision: '5', updated: 2, available: 2 }))];
    const outcome = await rollback(phaseContext(cluster), plan(), { revision: '3', images: ['registry.local/web:1.0.0'] }, 120_000);
    expect(cluster.undone).toEqual([{ name: 'web', namespace: 'web', revision: '3' }]);
    expect(outcome).toMatchObject({ kind: 'undone', revision: '3', restored: { phase: 'complete' } });
  });

  test('a first release has nothing to roll back to: no undo is attempted', async () => {
    const cluster = new FakeCluster();
    expect(await rollback(phaseContext(cluster), plan(), { images: [] }, 120_000)).toEqual({ kind: 'no-previous-revision' });
    expect(cluster.mutations()).toEqual([]);
  });

  test("reports a failed undo with kubectl's error and does not watch", async () => {
    const cluster = new FakeCluster();
    cluster.undoReply = failed('error: unable to find specified revision 3 in history');
    expect(await rollback(phaseContext(cluster), plan(), { revision: '3', images: [] }, 120_000)).toEqual({
      kind: 'undo-failed',
      error: 'error: unable to find specified revision 3 in history',
    });
    expect(cluster.calls.filter((c) => c.startsWith('getDeployment'))).toEqual([]);
  });

  test('the restored revision that never becomes healthy ends at the restore timeout', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ updated: 1, available: 1, deadlineExceeded: true }))];
    const clock = new FakeClock();
    const outcome = await rollback(phaseContext(cluster, { clock }), plan(), { revision: '3', images: [] }, 120_000);
    expect(outcome).toMatchObject({ kind: 'undone', restored: { phase: 'failed', reason: expect.stringMatching(/^timeout after 120s/) } });
  });
});

describe('diagnosis', () => {
  test('lists the pods that are not Ready, selected by the Deployment selector, with their events', async () => {
    const cluster = new FakeCluster();
    cluster.pods = [
      {
        metadata: { name: 'web-2-abc' },
        spec: { containers: [{ name: 'web', image: 'registry.local/web:faulty' }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }] },
      },
      {
        metadata: { name: 'web-1-def' },
        spec: { containers: [{ name: 'web', image: 'registry.local/web:1.0.0' }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      },
    ];
    cluster.events = [
      { involvedObject: { kind: 'Pod', name: 'web-2-abc' }, type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503' },
    ];
    const lines = await diagnose(phaseContext(cluster), 'web', plan().deployment);
    expect(lines[0]).toBe('pods not ready:');
    expect(lines.join('\n')).toContain('pod web-2-abc (image registry.local/web:faulty; phase Running)');
    expect(lines.join('\n')).toContain('event Warning Unhealthy: Readiness probe failed');
    expect(lines.join('\n')).not.toContain('web-1-def');
  });

  test('says so when every pod is Ready (the rollout only ran out of time)', async () => {
    expect(await diagnose(phaseContext(new FakeCluster()), 'web', plan().deployment)).toEqual(['all pods report Ready (the rollout did not complete in time)']);
  });
});
