import { renderTarget } from '../../../charts/app';
import { platformConfig, type ServiceWorkload } from '../../../config';
import {
  autoscalerMinReplicas,
  describeUnreadyPods,
  evaluateRollout,
  everyReplicaUpdatedAndReady,
  progressLine,
  unreadyPodsLine,
  whyNotReady,
  type DeploymentLike,
  type PodLike,
} from '../../../deploy/rules/rollout';

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

  test('a canary is done once every replica is updated and Ready, before it is available; not with an old pod left or none desired', () => {
    const ready = (status: DeploymentLike['status'], replicas = 2) => everyReplicaUpdatedAndReady(evaluateRollout(deployment(status, { spec: { replicas } })));
    expect(ready({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 0 })).toBe(true);
    expect(ready({ replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 0 })).toBe(false);
    expect(ready({ replicas: 3, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 0 })).toBe(false);
    expect(ready({ replicas: 2, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 0 })).toBe(false);
    expect(ready({ replicas: 0, updatedReplicas: 0, readyReplicas: 0 }, 0)).toBe(false);
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
    const s = evaluateRollout(
      deployment({ replicas: 3, updatedReplicas: 1, availableReplicas: 2, conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }] }),
    );
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

describe('rollout state with a HorizontalPodAutoscaler (it owns spec.replicas)', () => {
  // A first release: the chart sets no spec.replicas, so the Deployment starts at the API default of 1.
  const first = (status: DeploymentLike['status'], replicas?: number): DeploymentLike => ({
    metadata: { generation: replicas === undefined ? 1 : 2 },
    spec: { ...(replicas === undefined ? {} : { replicas }), progressDeadlineSeconds: 90 },
    status: { observedGeneration: replicas === undefined ? 1 : 2, ...status },
  });

  test('a Deployment rolled out at 1 replica is not done while the autoscaler has not reached minReplicas', () => {
    const s = evaluateRollout(first({ replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 }), { minReplicas: 2 });
    expect(s).toMatchObject({ phase: 'progressing', desired: 1, available: 1, minReplicas: 2, waitingForAutoscaler: true });
    expect(s.reason).toBe('waiting for the HorizontalPodAutoscaler to scale up to minReplicas 2 (1 available)');
    expect(progressLine(s)).toBe('desired 1 · updated 1 · ready 1 · available 1 · pods 1 — waiting for the HorizontalPodAutoscaler to scale up to minReplicas 2 (1 available)');
  });

  test('the autoscaler raised spec.replicas: progressing until the new replica is available, then complete', () => {
    expect(evaluateRollout(first({ replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 }, 2), { minReplicas: 2 })).toMatchObject({
      phase: 'progressing',
      reason: '1 of 2 updated replicas available',
    });
    const done = evaluateRollout(first({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }, 2), { minReplicas: 2 });
    expect(done).toMatchObject({ phase: 'complete', desired: 2, available: 2 });
    expect(done.waitingForAutoscaler).toBeUndefined();
    expect(progressLine(done)).toBe('desired 2 · updated 2 · ready 2 · available 2 · pods 2');
  });

  test('scaled out beyond minReplicas is complete; without an autoscaler 1 replica is complete', () => {
    expect(evaluateRollout(first({ replicas: 5, updatedReplicas: 5, readyReplicas: 5, availableReplicas: 5 }, 5), { minReplicas: 2 }).phase).toBe('complete');
    expect(evaluateRollout(first({ replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 })).phase).toBe('complete');
  });

  test('the other rules come first: a failed release is failed, an unfinished one says why', () => {
    const failed = first({ replicas: 1, updatedReplicas: 1, availableReplicas: 0, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
    expect(evaluateRollout(failed, { minReplicas: 2 }).phase).toBe('failed');
    const unavailable = evaluateRollout(first({ replicas: 1, updatedReplicas: 1, availableReplicas: 0 }), { minReplicas: 2 });
    expect(unavailable.reason).toBe('0 of 1 updated replicas available');
    expect(unavailable.waitingForAutoscaler).toBeUndefined();
  });

  test('minReplicas comes from the HorizontalPodAutoscaler that targets the Deployment in the rendered manifests', () => {
    const { objects } = renderTarget(platformConfig, 'generic', { images: { app: 'registry.local/web:1.0.0' } });
    const target = platformConfig.portableTargets.find((t) => t.name === 'generic')!;
    const web = target.workloads.find((w) => w.name === 'web');
    expect(web?.kind).toBe('service');
    expect(autoscalerMinReplicas(objects, 'web')).toBe((web as ServiceWorkload).minReplicas);
    expect(autoscalerMinReplicas(objects, 'other')).toBeUndefined();
    expect(
      autoscalerMinReplicas(
        objects.filter((o) => (o as { kind?: string }).kind !== 'HorizontalPodAutoscaler'),
        'web',
      ),
    ).toBeUndefined();
    const hpa = (spec: object) => ({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'x' }, spec });
    expect(autoscalerMinReplicas([hpa({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } })], 'web')).toBe(1);
    expect(autoscalerMinReplicas([hpa({ minReplicas: 3, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web' } })], 'web')).toBeUndefined();
  });
});

describe('why pods are not Ready (the progress lines while a rollout waits)', () => {
  const notReady = { type: 'Ready', status: 'False' };
  const running = (ready: boolean) => [{ name: 'web', ready, state: { running: {} } }];

  test.each<[string, PodLike, string]>([
    [
      'unschedulable',
      { status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }] } },
      'not scheduled (Unschedulable: 0/3 nodes are available: 3 Insufficient cpu.)',
    ],
    [
      'starting',
      { status: { phase: 'Pending', conditions: [notReady], containerStatuses: [{ name: 'web', state: { waiting: { reason: 'ContainerCreating' } } }] } },
      'container web ContainerCreating',
    ],
    ['probing', { status: { phase: 'Running', conditions: [notReady], containerStatuses: running(false) } }, 'container web started, its readiness probe not passing yet'],
    [
      'the ALB',
      {
        spec: { readinessGates: [{ conditionType: 'target-health.elbv2.k8s.aws/k8s-web-web-01' }] },
        status: { phase: 'Running', conditions: [notReady], containerStatuses: running(true) },
      },
      "ALB target registration (readiness gate target-health.elbv2.k8s.aws/k8s-web-web-01: Ready once the load balancer's health checks pass)",
    ],
    [
      'another gate',
      { spec: { readinessGates: [{ conditionType: 'example.com/warm' }] }, status: { phase: 'Running', conditions: [notReady], containerStatuses: running(true) } },
      'readiness gate example.com/warm',
    ],
  ])('%s', (_name, pod, why) => {
    expect(whyNotReady(pod)).toBe(why);
  });

  test('grouped by why; Ready and terminating pods are left out', () => {
    const creating = { status: { conditions: [notReady], containerStatuses: [{ name: 'web', state: { waiting: { reason: 'ContainerCreating' } } }] } };
    const pods: PodLike[] = [
      creating,
      creating,
      { status: { conditions: [notReady], containerStatuses: running(false) } },
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      { metadata: { deletionTimestamp: '2026-12-01T23:00:00Z' }, status: { conditions: [notReady] } },
    ];
    expect(unreadyPodsLine(pods)).toBe('2 pods: container web ContainerCreating; 1 pod: container web started, its readiness probe not passing yet');
    expect(unreadyPodsLine([])).toBeUndefined();
  });
});
