/** The orchestrator over a fake cluster: the order of the phases and what each outcome returns (milliseconds, no cluster). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok } from '../../deploy/cluster';
import { EXIT } from '../../deploy/errors';
import { deploy, type DeployDeps } from '../../deploy/run';
import { config, fakeRender, options } from './fixtures';
import { deploymentStatus, FakeClock, FakeCluster } from './fake-cluster';

function setup(cluster: FakeCluster): { deps: DeployDeps; lines: string[]; workdir: string; kubeconfig: string } {
  const workdir = mkdtempSync(join(tmpdir(), 'deploy-run-'));
  const kubeconfig = join(workdir, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  const lines: string[] = [];
  const clock = new FakeClock(1_000);
  cluster.onRead = () => (clock.t += 50);
  const deps: DeployDeps = { config, render: fakeRender, log: (l) => lines.push(l), env: {}, workdir, clock, openCluster: () => cluster };
  return { deps, lines, workdir, kubeconfig };
}

const release = (image: string, kubeconfig: string, mode: 'apply' | 'dry-run' | 'diff' = 'apply') => options({ image, kubeconfig, mode });

describe('deploy (orchestrator)', () => {
  test('a good release: checks, dry run, review copy, apply, watch; exit 0 with timings', async () => {
    const cluster = new FakeCluster();
    cluster.namespaceReply = ok({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } });
    cluster.deployments = [
      ok(deploymentStatus({ revision: '1', image: 'registry.local/web:1.0.0' })),
      ok(deploymentStatus({ updated: 1, available: 0, current: 3 })),
      ok(deploymentStatus({ image: 'registry.local/web:1.0.1' })),
    ];
    const { deps, lines, workdir, kubeconfig } = setup(cluster);
    const result = await deploy(release('registry.local/web:1.0.1', kubeconfig), deps);
    expect(result).toEqual({ outcome: 'applied', exitCode: EXIT.ok, timings: { applyMs: 0, rolloutMs: 1100, totalMs: 1100 } });
    expect(cluster.calls.filter((c) => !c.startsWith('getDeployment') && !c.startsWith('canI'))).toEqual([
      'clientVersion',
      'server',
      'serverVersion',
      'getNamespace web',
      'apply --dry-run Namespace/web,ConfigMap/web,Deployment/web',
      'apply Namespace/web',
      'apply --applyset=platform-release ConfigMap/web,Deployment/web',
    ]);
    expect(lines.at(-1)).toMatch(/^✓ generic: deployment\/web rolled out \(2 replicas available, image registry.local\/web:1.0.1\)/);
    expect(readFileSync(join(workdir, '.deploy', 'generic', 'manifests.yaml'), 'utf8')).toMatch(/^# rendered for generic, image registry.local\/web:1.0.1 — /);
  });

  test('a faulty release is rolled back to the revision that ran before: exit 1', async () => {
    const cluster = new FakeCluster();
    const faulty = ok(deploymentStatus({ updated: 1, available: 0, current: 3, deadlineExceeded: true }));
    cluster.deployments = [
      ok(deploymentStatus({ revision: '4', image: 'registry.local/web:1.0.0' })),
      (fake) => (fake.undone.length ? ok(deploymentStatus({ revision: '6' })) : faulty),
    ];
    const { deps, lines, kubeconfig } = setup(cluster);
    const result = await deploy(release('registry.local/web:faulty', kubeconfig), deps);
    expect(result).toMatchObject({ outcome: 'rolled-back', exitCode: EXIT.rolledBack, reason: expect.stringMatching(/^progress deadline exceeded/) });
    expect(cluster.undone).toEqual([{ name: 'web', namespace: 'web', revision: '4' }]);
    expect(lines.join('\n')).toMatch(/rolled back to revision 4 \(registry.local\/web:1.0.0\): 2\/2 replicas available again/);
  });

  test('a faulty first release cannot be rolled back: exit 4, no undo', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(undefined), ok(deploymentStatus({ updated: 1, available: 0, deadlineExceeded: true }))];
    const { deps, kubeconfig } = setup(cluster);
    expect(await deploy(release('registry.local/web:faulty', kubeconfig), deps)).toMatchObject({ outcome: 'rollback-failed', exitCode: EXIT.rollbackFailed });
    expect(cluster.undone).toEqual([]);
  });

  test('--diff and --dry-run change nothing and read no revision', async () => {
    for (const mode of ['diff', 'dry-run'] as const) {
      const cluster = new FakeCluster();
      cluster.diffReply = ok('+ image: registry.local/web:2.0.0');
      const { deps, lines, kubeconfig } = setup(cluster);
      expect(await deploy(release('registry.local/web:2.0.0', kubeconfig, mode), deps)).toEqual({ outcome: mode, exitCode: EXIT.ok });
      expect(cluster.mutations()).toEqual([]);
      expect(cluster.calls.filter((c) => c.startsWith('getDeployment'))).toEqual([]);
      expect(lines.at(-1)).toBe(mode === 'diff' ? '+ image: registry.local/web:2.0.0' : 'dry run: nothing was changed');
    }
  });

  test('nothing reaches the cluster when the input is refused', async () => {
    const cluster = new FakeCluster();
    const { deps, kubeconfig } = setup(cluster);
    await expect(deploy(release('registry.local/web:latest', kubeconfig), deps)).rejects.toMatchObject({ exitCode: EXIT.invalidInput });
    expect(cluster.calls).toEqual([]);
  });
});
