import { failed, ok } from '../../../deploy/adapters/cluster';
import { inputError, EXIT } from '../../../deploy/errors';
import type { KubeObject } from '../../../deploy/manifests';
import { preflight } from '../../../deploy/phases/preflight';
import { FakeCluster } from '../fake-cluster';
import { collect, phaseContext, plan, refusal } from './support';

const rbac = 'rbac.authorization.k8s.io/v1';
const role: KubeObject = { apiVersion: rbac, kind: 'Role', metadata: { name: 'reader', namespace: 'web' }, rules: [] };
const binding: KubeObject = {
  apiVersion: rbac,
  kind: 'RoleBinding',
  metadata: { name: 'reader', namespace: 'web' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
};

describe('preflight', () => {
  test('dry-runs every object (Namespace included) before anything is applied', async () => {
    const cluster = new FakeCluster();
    const { lines, log } = collect();
    const result = await preflight(phaseContext(cluster, { log }), plan(), []);
    expect(result).toEqual({ deferred: [], accepted: 4 });
    expect(cluster.calls).toEqual(['apply --dry-run Namespace/web,NetworkPolicy/default-deny,ConfigMap/web,Deployment/web']);
    expect(lines).toEqual(['server-side dry run: 4 objects accepted']);
  });

  test('defers a RoleBinding to a Role of the release on a first release without the bind verb', async () => {
    const cluster = new FakeCluster();
    cluster.permissions['bind roles.rbac.authorization.k8s.io'] = ok(false);
    const { lines, log } = collect();
    const result = await preflight(phaseContext(cluster, { log }), plan({}, [role, binding]), []);
    expect(result.deferred).toEqual([binding]);
    expect(cluster.applied[0].objects).toContain(role);
    expect(cluster.applied[0].objects).not.toContain(binding);
    expect(lines[0]).toBe('RoleBinding reader: not in the dry run (binds a Role this release creates first); validated by the apply itself');
  });

  test('does not defer the RoleBinding once its Role exists, nor with the bind verb', async () => {
    const existing = new FakeCluster();
    existing.permissions['bind roles.rbac.authorization.k8s.io'] = ok(false);
    existing.roles.add('reader');
    expect((await preflight(phaseContext(existing), plan({}, [role, binding]), [])).deferred).toEqual([]);
    const binder = new FakeCluster();
    expect((await preflight(phaseContext(binder), plan({}, [role, binding]), [])).deferred).toEqual([]);
    expect(binder.calls.filter((c) => c.startsWith('exists'))).toEqual([]);
  });

  test('a missing Namespace: only the Namespace is dry-run, the rest is validated by the apply', async () => {
    const cluster = new FakeCluster();
    const { lines, log } = collect();
    await preflight(phaseContext(cluster, { log }), plan({ namespaceExists: false }), []);
    expect(cluster.calls).toEqual(['apply --dry-run Namespace/web']);
    expect(lines).toEqual(['namespace web does not exist yet: namespaced objects are validated by the apply itself']);
  });

  test('fails when the API server rejects the release (exit 2), naming its reasons', async () => {
    const cluster = new FakeCluster();
    cluster.applyReply = () => failed('Error from server (Forbidden): pods "x" is forbidden: violates PodSecurity "restricted:latest"');
    const r = await refusal(preflight(phaseContext(cluster), plan(), []));
    expect(r.exitCode).toBe(EXIT.invalidInput);
    expect(r.message).toBe(
      'the API server rejects the release (server-side dry run; nothing applied):\n  Error from server (Forbidden): pods "x" is forbidden: violates PodSecurity "restricted:latest"',
    );
    expect(cluster.mutations()).toEqual([]);
  });

  test('runs the plugged-in checks first; a refusal stops before the dry run', async () => {
    const cluster = new FakeCluster();
    const seen: string[] = [];
    const checks = [
      { name: 'image exists', run: async () => void seen.push('image exists') },
      {
        name: 'digest only',
        run: async () => {
          throw inputError('prod deploys images by digest only');
        },
      },
    ];
    const { lines, log } = collect();
    expect(await refusal(preflight(phaseContext(cluster, { log }), plan(), checks))).toEqual({ exitCode: EXIT.invalidInput, message: 'prod deploys images by digest only' });
    expect(seen).toEqual(['image exists']);
    expect(lines).toEqual(['preflight: image exists: ok']);
    expect(cluster.calls).toEqual([]);
  });
});
