import { describeUnreadyPods, evaluateRollout, type DeploymentLike } from '../../deploy/rollout';

const deployment = (status: DeploymentLike['status'], extra: Partial<DeploymentLike> = {}): DeploymentLike => ({
  metadata: { generation: 3 },
  spec: { replicas: 2, progressDeadlineSeconds: 90 },
  status: { observedGeneration: 3, ...status },
  ...extra,
});

describe('rollout state', () => {
  test('complete when every replica is updated and available and no old pod remains', () => {
    expect(evaluateRollout(deployment({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }))).toMatchObject({
      phase: 'complete',
      desired: 2,
      updated: 2,
      ready: 2,
      available: 2,
    });
  });

  test('progressing until the controller observed the new generation', () => {
    expect(evaluateRollout(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 })).reason).toMatch(/observe the new spec/);
  });

  test('progressing while new replicas are created, old ones terminate, or new ones are not yet available', () => {
    expect(evaluateRollout(deployment({ replicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 2 })).reason).toBe('1 of 2 new replicas updated');
    expect(evaluateRollout(deployment({ replicas: 3, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3 })).reason).toBe('1 old replicas pending termination');
    expect(evaluateRollout(deployment({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 1 })).reason).toBe('1 of 2 updated replicas available');
  });

  test('fails when the progress deadline is exceeded', () => {
    const s = evaluateRollout(
      deployment({
        replicas: 3,
        updatedReplicas: 1,
        readyReplicas: 2,
        availableReplicas: 2,
        conditions: [
          { type: 'Available', status: 'True' },
          { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-5d9" has timed out progressing.' },
        ],
      }),
    );
    expect(s.phase).toBe('failed');
    expect(s.reason).toBe('progress deadline exceeded (90s): ReplicaSet "web-5d9" has timed out progressing.');
  });

  test('a stale ProgressDeadlineExceeded of an older generation is not a failure yet', () => {
    const s = evaluateRollout(deployment({ observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }));
    expect(s.phase).toBe('progressing');
  });

  test('Progressing=True (ReplicaSetUpdated) is not a failure', () => {
    const s = evaluateRollout(deployment({ replicas: 3, updatedReplicas: 1, availableReplicas: 2, conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }] }));
    expect(s.phase).toBe('progressing');
  });

  test('defaults: one replica, empty status', () => {
    expect(evaluateRollout({})).toMatchObject({ phase: 'progressing', desired: 1, updated: 0 });
    expect(evaluateRollout({ spec: { paused: true }, status: { updatedReplicas: 0 } }).reason).toMatch(/paused/);
  });

  test('describes the pods that are not ready with conditions and events', () => {
    const lines = describeUnreadyPods(
      [
        { metadata: { name: 'web-ok' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
        {
          metadata: { name: 'web-bad' },
          spec: { containers: [{ name: 'web', image: 'registry.local/web:faulty-2' }], nodeName: 'kwok-zone-a-1' },
          status: {
            phase: 'Running',
            conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [web]' }],
            containerStatuses: [{ name: 'web', ready: false, restartCount: 0, state: { running: {} } }],
          },
        },
      ],
      [{ involvedObject: { name: 'web-bad' }, type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed', count: 4 }],
    );
    expect(lines).toEqual([
      'pod web-bad (image registry.local/web:faulty-2; phase Running; node kwok-zone-a-1)',
      '    condition Ready=False ContainersNotReady: containers with unready status: [web]',
      '    container web: running, ready=false, restarts=0',
      '    event Warning Unhealthy (x4): Readiness probe failed',
    ]);
  });
});
