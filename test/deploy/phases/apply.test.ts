import { failed, ok } from '../../../deploy/adapters/cluster';
import { EXIT } from '../../../deploy/errors';
import { applyNamespace, applyNamespaceSet, applyWorkload, handOverLegacySet, readPrevious } from '../../../deploy/phases/apply';
import { leaseObject, NAMESPACE_LOCK_NAME } from '../../../deploy/phases/lock';
import { deploymentStatus, FakeCluster } from '../fake-cluster';
import { phaseContext, plan, refusal, webPlan } from './support';

describe('apply', () => {
  test('remembers the running revision and its images (the way back)', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ revision: '7', image: 'registry.local/web:1.0.0' }))];
    expect(await readPrevious(phaseContext(cluster), webPlan())).toEqual({ revision: '7', images: ['registry.local/web:1.0.0'], replicas: 2 });
  });

  test('a first release has no previous revision', async () => {
    expect(await readPrevious(phaseContext(new FakeCluster()), webPlan())).toEqual({ images: [] });
  });

  test('refuses when the running Deployment cannot be read (exit 3, nothing applied): a failed read is not "no Deployment"', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [failed('Unable to connect to the server: i/o timeout')];
    const r = await refusal(readPrevious(phaseContext(cluster), webPlan()));
    expect(r).toEqual({
      exitCode: EXIT.clusterUnreachable,
      message: 'cannot read deployment/web in web to know the revision to roll back to (nothing applied): Unable to connect to the server: i/o timeout',
    });
    expect(cluster.mutations()).toEqual([]);
  });

  test('the Namespace on its own (never pruned), the namespace-level set under its short lock, then the workload as its own ApplySet', async () => {
    const cluster = new FakeCluster();
    const p = plan();
    await applyNamespace(phaseContext(cluster), p);
    await applyNamespaceSet(phaseContext(cluster), p);
    await applyWorkload(phaseContext(cluster), p.workloads[0]);
    expect(cluster.calls).toEqual([
      'apply Namespace/web',
      `getLease ${NAMESPACE_LOCK_NAME} -n web`,
      `create Lease/${NAMESPACE_LOCK_NAME}`,
      'apply --applyset=platform-namespace NetworkPolicy/default-deny',
      `getLease ${NAMESPACE_LOCK_NAME} -n web`,
      `delete lease.coordination.k8s.io ${NAMESPACE_LOCK_NAME} -n web`,
      'apply --applyset=platform-release-web ConfigMap/web,Deployment/web',
    ]);
    expect(cluster.applied.at(-1)!.options).toEqual({ applySet: { name: 'platform-release-web', namespace: 'web' } });
  });

  test('another release applying the namespace-level set at that moment is waited for, not refused', async () => {
    const cluster = new FakeCluster();
    await cluster.create(leaseObject(NAMESPACE_LOCK_NAME, 'web', 'other deploy', new Date('2026-12-01T22:59:59Z'), new Date('2026-12-01T22:59:59Z')));
    const context = phaseContext(cluster, { now: () => new Date('2026-12-01T23:00:00Z') });
    let polls = 0;
    const sleep = context.clock.sleep.bind(context.clock);
    const released = {
      ...context,
      clock: { now: () => context.clock.now(), sleep: async (ms: number) => (++polls === 2 && (await cluster.delete('lease', NAMESPACE_LOCK_NAME, 'web')), sleep(ms)) },
    };
    await applyNamespaceSet(released, plan());
    expect(polls).toBe(2);
    expect(cluster.calls.filter((c) => c.startsWith('apply'))).toEqual(['apply --applyset=platform-namespace NetworkPolicy/default-deny']);
  });

  test('a left-alone Namespace is not applied', async () => {
    const cluster = new FakeCluster();
    await applyNamespace(phaseContext(cluster), plan({ namespaceObject: undefined }));
    expect(cluster.calls).toEqual([]);
  });

  test('fails with exit 5 when the API server rejects objects during the apply', async () => {
    const cluster = new FakeCluster();
    cluster.applyReply = (_objects, options) =>
      options.applySet ? failed('Error from server (Invalid): Deployment.apps "web" is invalid') : ok('namespace/web serverside-applied');
    expect(await refusal(applyWorkload(phaseContext(cluster), webPlan()))).toEqual({
      exitCode: EXIT.applyFailed,
      message: 'apply of workload web failed (some of its objects may be at the new version):\n  Error from server (Invalid): Deployment.apps "web" is invalid',
    });
  });
});

describe('hand-over of the single ApplySet of the earlier deploy command', () => {
  /** A cluster where the earlier command's parent Secret `platform-release` exists. */
  const legacy = () => {
    const cluster = new FakeCluster();
    cluster.exists = async (resource, name, namespace) => {
      cluster.calls.push(`exists ${resource} ${name} -n ${namespace}`);
      return ok(resource === 'secret' && name === 'platform-release');
    };
    return cluster;
  };

  test('no old set: nothing to do', async () => {
    const cluster = new FakeCluster();
    expect(await handOverLegacySet(phaseContext(cluster), plan(), true)).toBeUndefined();
    expect(cluster.mutations()).toEqual([]);
  });

  test('a release of some workloads keeps the old parent (it prunes nothing: no apply names it) and says so', async () => {
    const cluster = legacy();
    expect(await handOverLegacySet(phaseContext(cluster), plan(), false)).toMatch(/^ApplySet platform-release .*kept until a release of every workload/);
    expect(cluster.calls).toEqual(['exists secret platform-release -n web']);
  });

  test('once every workload moved: only the old parent Secret is deleted, none of its former members', async () => {
    const cluster = legacy();
    expect(await handOverLegacySet(phaseContext(cluster), plan(), true)).toMatch(/its parent Secret deleted \(its former members stay, in their new sets\)/);
    expect(cluster.calls).toEqual(['exists secret platform-release -n web', 'delete secret platform-release -n web']);
  });
});
