import { ok } from '../../../deploy/adapters/cluster';
import { podFailureCheck } from '../../../deploy/phases/pod-failure-check';
import { evaluateRollout, type PodLike } from '../../../deploy/rules/rollout';
import { FakeCluster } from '../fake-cluster';
import { phaseContext } from './support';

const NS = 'web';
const deployment = {
  metadata: { name: 'web', generation: 2, annotations: { 'deployment.kubernetes.io/revision': '2' } },
  spec: { replicas: 2, selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } },
  status: { observedGeneration: 2, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2 },
};
const rsPath = `/apis/apps/v1/namespaces/${NS}/replicasets?labelSelector=${encodeURIComponent('app.kubernetes.io/name=web')}`;
const replicaSets = (revisions: Record<string, string>) =>
  JSON.stringify({
    items: Object.entries(revisions).map(([revision, hash]) => ({
      metadata: { annotations: { 'deployment.kubernetes.io/revision': revision }, labels: { 'pod-template-hash': hash }, ownerReferences: [{ kind: 'Deployment', name: 'web' }] },
    })),
  });
const pod = (name: string, hash: string, waiting?: string): PodLike =>
  ({
    metadata: { name, labels: { 'app.kubernetes.io/name': 'web', 'pod-template-hash': hash } },
    spec: { containers: [{ name: 'web', image: `platform.local/web:${hash}` }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: waiting ? 'False' : 'True' }],
      containerStatuses: [
        waiting
          ? { name: 'web', ready: false, restartCount: 2, state: { waiting: { reason: waiting } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }
          : { name: 'web', ready: true, restartCount: 0, state: { running: { startedAt: '2026-12-01T20:00:00Z' } } },
      ],
    },
  }) as unknown as PodLike;

const run = (cluster: FakeCluster, options = {}) =>
  podFailureCheck(options)(phaseContext(cluster, { now: () => new Date('2026-12-01T20:00:20Z') }), { namespace: NS, deployment, state: evaluateRollout(deployment) });

describe('podFailureCheck', () => {
  test("a crash-looping NEW pod fails the rollout, naming pod, container, reason and its previous run's log lines (redacted)", async () => {
    const cluster = new FakeCluster();
    cluster.raw[rsPath] = ok(replicaSets({ '1': 'old', '2': 'new' }));
    cluster.pods = [pod('web-old-1', 'old'), pod('web-old-2', 'old'), pod('web-new-1', 'new', 'CrashLoopBackOff')];
    cluster.raw[`/api/v1/namespaces/${NS}/pods/web-new-1/log?container=web&tailLines=50&previous=true`] = ok('{"msg":"starting"}\n{"msg":"cannot start","password":"hunter22"}\n');
    const reason = await run(cluster);
    expect(reason).toBe(
      [
        '1 new pod failed (CrashLoopBackOff):',
        '  pod web-new-1, container web (image platform.local/web:new): CrashLoopBackOff — exited with code 1 (Error); restarted 2 times',
        '    last 2 log lines:',
        '      | {"msg":"starting"}',
        '      | {"msg":"cannot start","password":"***"}',
      ].join('\n'),
    );
  });

  test('old pods failing, or no new ReplicaSet yet, are not the release failing', async () => {
    const cluster = new FakeCluster();
    cluster.raw[rsPath] = ok(replicaSets({ '1': 'old', '2': 'new' }));
    cluster.pods = [pod('web-old-1', 'old', 'CrashLoopBackOff'), pod('web-new-1', 'new')];
    expect(await run(cluster)).toBeUndefined();
    cluster.raw[rsPath] = ok(replicaSets({ '1': 'old' }));
    cluster.pods = [pod('web-new-1', 'new', 'CrashLoopBackOff')];
    expect(await run(cluster)).toBeUndefined();
  });

  test('an image pull failure is reported without fetching logs (the container never ran); a failed read is not a failure', async () => {
    const cluster = new FakeCluster();
    cluster.raw[rsPath] = ok(replicaSets({ '2': 'new' }));
    cluster.pods = [pod('web-new-1', 'new', 'ImagePullBackOff')];
    expect(await run(cluster)).toMatch(/^1 new pod failed \(ImagePullBackOff\):\n {2}pod web-new-1, container web .*: ImagePullBackOff/);
    expect(cluster.calls.filter((c) => c.includes('/log?'))).toEqual([]);
    const unreadable = new FakeCluster();
    expect(await run(unreadable)).toBeUndefined();
  });
});
