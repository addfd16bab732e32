import { failed, ok } from '../../../deploy/adapters/cluster';
import { EXIT } from '../../../deploy/errors';
import { applyNamespace, applyRelease, readPrevious } from '../../../deploy/phases/apply';
import { deploymentStatus, FakeCluster } from '../fake-cluster';
import { phaseContext, plan, refusal } from './support';

describe('apply', () => {
  test('remembers the running revision and its images (the way back)', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(deploymentStatus({ revision: '7', image: 'registry.local/web:1.0.0' }))];
    expect(await readPrevious(phaseContext(cluster), plan())).toEqual({ revision: '7', images: ['registry.local/web:1.0.0'], replicas: 2 });
  });

  test('a first release has no previous revision', async () => {
    expect(await readPrevious(phaseContext(new FakeCluster()), plan())).toEqual({ images: [] });
  });

  test('refuses when the running Deployment cannot be read (exit 3, nothing applied): a failed read is not "no Deployment"', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [failed('Unable to connect to the server: i/o timeout')];
    const r = await refusal(readPrevious(phaseContext(cluster), plan()));
    expect(r).toEqual({
      exitCode: EXIT.clusterUnreachable,
      message: 'cannot read deployment/web in web to know the revision to roll back to (nothing applied): Unable to connect to the server: i/o timeout',
    });
    expect(cluster.mutations()).toEqual([]);
  });

  test('applies the Namespace on its own (never pruned), then the release as one ApplySet', async () => {
    const cluster = new FakeCluster();
    await applyNamespace(phaseContext(cluster), plan());
    await applyRelease(phaseContext(cluster), plan());
    expect(cluster.calls).toEqual(['apply Namespace/web', 'apply --applyset=platform-release ConfigMap/web,Deployment/web']);
    expect(cluster.applied[1].options).toEqual({ applySet: { name: 'platform-release', namespace: 'web' } });
  });

  test('a left-alone Namespace is not applied', async () => {
    const cluster = new FakeCluster();
    await applyNamespace(phaseContext(cluster), plan({ namespaceObject: undefined }));
    await applyRelease(phaseContext(cluster), plan({ namespaceObject: undefined }));
    expect(cluster.calls).toEqual(['apply --applyset=platform-release ConfigMap/web,Deployment/web']);
  });

  test('fails with exit 5 when the API server rejects objects during the apply', async () => {
    const cluster = new FakeCluster();
    cluster.applyReply = (_objects, options) =>
      options.applySet ? failed('Error from server (Invalid): Deployment.apps "web" is invalid') : ok('namespace/web serverside-applied');
    expect(await refusal(applyRelease(phaseContext(cluster), plan()))).toEqual({
      exitCode: EXIT.applyFailed,
      message: 'apply failed (some objects may be at the new version):\n  Error from server (Invalid): Deployment.apps "web" is invalid',
    });
  });
});
