/**
 * The orchestrator with the real charts' release over a fake cluster: the configuration and the migration run before
 * any pod changes and outside the ApplySet; a failed migration stops the release with nothing rolled; a successful
 * release prunes the configuration nothing uses any more.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderTarget } from '../../charts/app';
import { ok } from '../../deploy/adapters/cluster';
import { deployContext, type DeployDeps } from '../../deploy/context';
import { EXIT } from '../../deploy/errors';
import type { KubeObject } from '../../deploy/manifests';
import { deploy } from '../../deploy/run';
import { deploymentStatus, FakeClock, FakeCluster } from './fake-cluster';
import { config, options } from './fixtures';

const IMAGE = 'registry.local/web:1.0.1';

function setup(cluster: FakeCluster): { deps: DeployDeps; lines: string[]; kubeconfig: string } {
  const workdir = mkdtempSync(join(tmpdir(), 'deploy-phases-'));
  const kubeconfig = join(workdir, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  const lines: string[] = [];
  const clock = new FakeClock(1_000);
  cluster.onRead = () => (clock.t += 50);
  cluster.namespaceReply = ok({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } });
  cluster.deployments = [ok(deploymentStatus({ revision: '1', image: 'registry.local/web:1.0.0' })), ok(deploymentStatus({ image: IMAGE }))];
  const deps: DeployDeps = { config, render: renderTarget, lockHolder: 'ci run 7', log: (l) => lines.push(l), env: {}, workdir, clock, openCluster: () => cluster };
  return { deps, lines, kubeconfig };
}

/** A release of web (the workload with a migration). */
const run = (kubeconfig: string, deps: DeployDeps) => {
  const o = options({ image: IMAGE, kubeconfig, workloads: ['web'] });
  return deploy(deployContext(o, deps), o);
};
const hashless = (call: string) => call.replace(/-[0-9a-f]{10}\b/g, '-<hash>');
const changes = (cluster: FakeCluster) => cluster.calls.filter((c) => /^(apply(?! --dry-run)|delete|create|replace|rollback)/.test(c)).map(hashless);
const oldConfig: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config-0123456789', namespace: 'web', labels: { 'platform.local/config-of': 'web' } } };

describe('deploy: configuration and migrations', () => {
  test('configuration, then the migration, before the pods; the ApplySet holds neither; afterwards the configuration nothing reads is pruned', async () => {
    const cluster = new FakeCluster();
    cluster.progress = (job, reads) => (reads >= 2 ? { ...job, status: { conditions: [{ type: 'Complete', status: 'True' }] } } : job);
    cluster.lists.configmaps = ok([oldConfig]);
    const { deps, lines, kubeconfig } = setup(cluster);
    const result = await run(kubeconfig, deps);
    expect(result).toMatchObject({ outcome: 'applied', exitCode: EXIT.ok });
    const calls = changes(cluster).filter((c) => !/Lease\/platform-namespace-lock|platform-namespace-lock -n/.test(c));
    expect(calls).toEqual([
      'apply Namespace/web',
      'create Lease/platform-deploy-lock-web',
      expect.stringMatching(/^apply --applyset=platform-namespace /),
      'apply ConfigMap/web-config-<hash>',
      'apply ServiceAccount/web,NetworkPolicy/web-migration',
      'create Job/web-migrate-<hash>',
      expect.stringMatching(/^apply --applyset=platform-release-web ServiceAccount\/web,/),
      'delete configmap web-config-<hash> -n web',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
    expect(calls[6]).not.toMatch(/ConfigMap|[ ,]Job\/|web-migration/);
    expect(cluster.calls).toContain('delete configmap web-config-0123456789 -n web');
    expect(lines.join('\n')).toMatch(/migration of web: job\/web-migrate-[0-9a-f]{10} completed in/);
  });

  test('a failed migration stops the release: exit 1, nothing of the ApplySet applied, nothing rolled back, its last lines in the report, the lock released', async () => {
    const cluster = new FakeCluster();
    cluster.progress = (job) => ({
      ...job,
      status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] },
    });
    const { deps, lines, kubeconfig } = setup(cluster);
    const jobName = (renderTarget(config, 'generic', { images: { app: IMAGE } }).objects as KubeObject[]).find((o) => o.kind === 'Job')!.metadata.name;
    cluster.lists.pods = ok([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${jobName}-x7k2p`, labels: { 'job-name': jobName } } }]);
    cluster.podLogs[`${jobName}-x7k2p`] = ok('{"level":"error","msg":"migration failed","error":{"message":"permission denied for schema web","code":"42501"}}\n');
    const result = await run(kubeconfig, deps);
    const reason = 'migration of web: BackoffLimitExceeded: Job has reached the specified backoff limit';
    expect(result).toEqual({
      outcome: 'migration-failed',
      exitCode: EXIT.rolledBack,
      reason,
      workloads: { web: { outcome: 'migration-failed', exitCode: EXIT.rolledBack, reason } },
    });
    expect(changes(cluster).filter((c) => !/platform-namespace/.test(c))).toEqual([
      'apply Namespace/web',
      'create Lease/platform-deploy-lock-web',
      'apply ConfigMap/web-config-<hash>',
      'apply ServiceAccount/web,NetworkPolicy/web-migration',
      'create Job/web-migrate-<hash>',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
    expect(cluster.undone).toEqual([]);
    const report = lines.join('\n');
    expect(report).toContain(`✗ generic: the migration of web failed (job/${jobName}`);
    expect(report).toContain('    | {"level":"error","msg":"migration failed","error":{"message":"permission denied for schema web","code":"42501"}}');
    expect(report).not.toMatch(/rolled out|rolled back to/);
  });
});

describe("deploy: a CronJob's configuration", () => {
  test('applied before the CronJob, outside its set; afterwards what no CronJob, Job or Pod reads is pruned', async () => {
    const cluster = new FakeCluster();
    const { deps, kubeconfig } = setup(cluster);
    const cronJob = (renderTarget(config, 'generic', { images: { app: IMAGE } }).objects as KubeObject[]).find((o) => o.kind === 'CronJob')!;
    const live = { ...cronJob, metadata: { ...cronJob.metadata, namespace: 'web' } };
    cluster.objects['cronjob.batch/prune'] = [ok(live)];
    cluster.lists['cronjobs.batch'] = ok([live]);
    cluster.lists.configmaps = ok([{ ...oldConfig, metadata: { ...oldConfig.metadata, name: 'prune-config-0123456789', labels: { 'platform.local/config-of': 'prune' } } }]);
    const o = options({ image: IMAGE, kubeconfig, workloads: ['prune'] });
    expect(await deploy(deployContext(o, deps), o)).toMatchObject({ outcome: 'applied', exitCode: EXIT.ok });
    const calls = changes(cluster).filter((c) => !/platform-namespace/.test(c));
    expect(calls).toEqual([
      'apply Namespace/web',
      'create Lease/platform-deploy-lock-prune',
      'apply ConfigMap/prune-config-<hash>',
      expect.stringMatching(/^apply --applyset=platform-release-prune ServiceAccount\/prune,NetworkPolicy\/prune,CronJob\/prune$/),
      'delete configmap prune-config-<hash> -n web',
      'delete lease.coordination.k8s.io platform-deploy-lock-prune -n web',
    ]);
    expect(cluster.calls).toContain('delete configmap prune-config-0123456789 -n web');
  });
});

describe('deploy: release phases refused before anything is sent', () => {
  test('a migration object that belongs to no migration Job (hand-edited manifests): exit 2, nothing applied', async () => {
    const cluster = new FakeCluster();
    const { deps, kubeconfig } = setup(cluster);
    const stray = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'x', namespace: 'web', annotations: { 'platform.local/phase': 'migration' } } };
    const render: DeployDeps['render'] = (c, t, o) => {
      const rendered = renderTarget(c, t, o);
      const files = rendered.files.map((f) => (f.workload === 'web' ? { ...f, yaml: `${f.yaml}---\n${JSON.stringify(stray)}\n`, objects: [...f.objects, stray] } : f));
      return { ...rendered, yaml: `${rendered.yaml}---\n${JSON.stringify(stray)}\n`, objects: [...rendered.objects, stray], files };
    };
    const refused = await run(kubeconfig, { ...deps, render }).catch((e: { exitCode: number; message: string }) => e);
    expect(refused).toMatchObject({
      exitCode: EXIT.invalidInput,
      message: expect.stringContaining('ServiceAccount/x -n web: annotated platform.local/phase: migration but belong to no migration Job'),
    });
    expect(changes(cluster)).toEqual([]);
  });

  test('--dry-run sends the ApplySet its members only; the configuration and the migration were dry-run in the preflight', async () => {
    const cluster = new FakeCluster();
    const { deps, kubeconfig } = setup(cluster);
    const o = options({ image: IMAGE, kubeconfig, mode: 'dry-run', workloads: ['web'] });
    expect(await deploy(deployContext(o, deps), o)).toEqual({ outcome: 'dry-run', exitCode: EXIT.ok });
    const dryRuns = cluster.calls.filter((c) => c.startsWith('apply --dry-run')).map(hashless);
    expect(dryRuns[0]).toMatch(/ConfigMap\/web-config-<hash>.*NetworkPolicy\/web-migration.*Job\/web-migrate-<hash>/);
    // Pod Security is enforced on pods: a Pod of the migration's template is admitted first.
    expect(dryRuns[0]).toMatch(/Pod\/web-migrate-<hash>-admission-check/);
    const webSet = dryRuns.find((c) => c.startsWith('apply --dry-run --applyset=platform-release-web '));
    expect(webSet).toMatch(/Deployment\/web/);
    expect(webSet).not.toMatch(/ConfigMap|[ ,]Job\/|web-migration/);
    expect(changes(cluster)).toEqual([]);
  });
});
