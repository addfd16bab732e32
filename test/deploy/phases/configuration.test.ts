/** The configuration phases over the fake cluster: applied outside the ApplySet; pruned once nothing references it. */
import { ok, failed } from '../../../deploy/adapters/cluster';
import type { KubeObject } from '../../../deploy/manifests';
import { applyConfigs, pruneConfigs } from '../../../deploy/phases/configuration';
import { FakeCluster } from '../fake-cluster';
import { phaseContext, refusal } from './support';

const config = (name: string, workload = 'web'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'web', labels: { 'platform.local/config-of': workload } },
  data: { A: name },
  immutable: true,
});
const reading = (kind: string, name: string, configMap: string): KubeObject => {
  const pod = { containers: [{ name: 'web', envFrom: [{ configMapRef: { name: configMap } }] }] };
  const spec = kind === 'Pod' ? pod : kind === 'CronJob' ? { jobTemplate: { spec: { template: { spec: pod } } } } : { template: { spec: pod } };
  return { apiVersion: 'v1', kind, metadata: { name, namespace: 'web' }, spec };
};

describe('applyConfigs', () => {
  test('a plain server-side apply (no ApplySet: never pruned by one); nothing for no configuration', async () => {
    const cluster = new FakeCluster();
    await applyConfigs(phaseContext(cluster), [config('web-config-aaaaaaaaaa')]);
    expect(cluster.applied.map((a) => a.options)).toEqual([{}]);
    await applyConfigs(phaseContext(cluster), []);
    expect(cluster.applied).toHaveLength(1);
  });

  test('a refused apply: exit 5, no pod changed', async () => {
    const cluster = new FakeCluster();
    cluster.applyReply = () => failed('Error from server (Invalid): field is immutable');
    expect(await refusal(applyConfigs(phaseContext(cluster), [config('web-config-aaaaaaaaaa')]))).toEqual({
      exitCode: 5,
      message: 'applying the configuration ConfigMap/web-config-aaaaaaaaaa -n web failed; no pod changed:\n  Error from server (Invalid): field is immutable',
    });
  });
});

describe('pruneConfigs', () => {
  test("deletes the workload's configuration no ReplicaSet, CronJob, Job or Pod reads; keeps what any of them reads, the release's own and other workloads'", async () => {
    const cluster = new FakeCluster();
    cluster.lists.configmaps = ok([
      config('web-config-current'),
      config('web-config-rollback'), // an old ReplicaSet at 0 replicas: what a rollback returns to
      config('web-config-job'),
      config('web-config-pod'),
      config('web-config-unused1'),
      config('web-config-unused2'),
      config('worker-config-unused', 'worker'),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'web' } },
    ]);
    cluster.lists['replicasets.apps'] = ok([reading('ReplicaSet', 'web-1', 'web-config-rollback'), reading('ReplicaSet', 'web-2', 'web-config-current')]);
    cluster.lists['jobs.batch'] = ok([reading('Job', 'web-migrate-1', 'web-config-job')]);
    cluster.lists.pods = ok([reading('Pod', 'web-2-abc', 'web-config-pod')]);
    const context = phaseContext(cluster);
    expect(await pruneConfigs(context, 'web', 'web', ['web-config-current'])).toEqual(['web-config-unused1', 'web-config-unused2']);
    expect(cluster.calls.filter((c) => c.startsWith('delete'))).toEqual(['delete configmap web-config-unused1 -n web', 'delete configmap web-config-unused2 -n web']);
    expect(cluster.calls[0]).toBe('list configmaps -n web -l platform.local/config-of=web');
    expect(context.lines).toEqual(["pruned web's configuration no ReplicaSet, CronJob, Job or Pod uses: configmap/web-config-unused1, configmap/web-config-unused2"]);
  });

  test('a CronJob keeps what its job template reads', async () => {
    const cluster = new FakeCluster();
    cluster.lists.configmaps = ok([config('prune-config-old', 'prune'), config('prune-config-new', 'prune')]);
    cluster.lists['cronjobs.batch'] = ok([reading('CronJob', 'prune', 'prune-config-new')]);
    expect(await pruneConfigs(phaseContext(cluster), 'web', 'prune', [])).toEqual(['prune-config-old']);
  });

  test('deletes nothing when it cannot tell what is used (a list fails): a warning, the release stays a success', async () => {
    const cluster = new FakeCluster();
    cluster.lists.configmaps = ok([config('web-config-unused1')]);
    cluster.lists['jobs.batch'] = failed('Error from server (Forbidden): jobs.batch is forbidden');
    const context = phaseContext(cluster);
    expect(await pruneConfigs(context, 'web', 'web', [])).toEqual([]);
    expect(cluster.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
    expect(context.lines).toEqual([
      "warning: cannot list jobs.batch to know which of web's configuration is still used (kept): Error from server (Forbidden): jobs.batch is forbidden",
    ]);
  });
});
