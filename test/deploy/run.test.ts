/** The orchestrator over a fake cluster: the order of the phases and what each outcome returns (milliseconds, no cluster). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CANARY } from '../../config';
import { ok } from '../../deploy/adapters/cluster';
import { leaseObject } from '../../deploy/phases/lock';
import { withTraffic } from './canary/support';
import { EXIT } from '../../deploy/errors';
import { deployContext, type DeployDeps } from '../../deploy/context';
import { deploy } from '../../deploy/run';
import type { DeployOptions } from '../../deploy/args';
import { config, fakeRender, options } from './fixtures';
import { deploymentStatus, FakeClock, FakeCluster } from './fake-cluster';

function setup(cluster: FakeCluster, platform = config): { deps: DeployDeps; lines: string[]; workdir: string; kubeconfig: string } {
  const workdir = mkdtempSync(join(tmpdir(), 'deploy-run-'));
  const kubeconfig = join(workdir, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  const lines: string[] = [];
  const clock = new FakeClock(1_000);
  cluster.onRead = () => (clock.t += 50);
  const deps: DeployDeps = {
    config: platform,
    render: fakeRender,
    lockHolder: 'ci run 7',
    now: () => new Date('2026-12-01T23:00:00Z'),
    log: (l) => lines.push(l),
    env: {},
    workdir,
    clock,
    openCluster: () => cluster,
  };
  return { deps, lines, workdir, kubeconfig };
}

/** The release flow as the entry point runs it: the dependencies resolved once into the context. */
const run = (options: DeployOptions, deps: DeployDeps) => deploy(deployContext(options, deps), options);

/** A release of web alone (`--workload web`): the sample's three workloads all run image app. */
const release = (image: string, kubeconfig: string, mode: 'apply' | 'dry-run' | 'diff' = 'apply') => options({ image, kubeconfig, mode, workloads: ['web'] });

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
    const result = await run(release('registry.local/web:1.0.1', kubeconfig), deps);
    const timings = { applyMs: 0, rolloutMs: 1100, totalMs: 1100 };
    expect(result).toEqual({ outcome: 'applied', exitCode: EXIT.ok, timings, workloads: { web: { outcome: 'applied', exitCode: EXIT.ok, timings } } });
    expect(cluster.calls.filter((c) => !c.startsWith('getDeployment') && !c.startsWith('canI'))).toEqual([
      'clientVersion',
      'server',
      'serverVersion',
      'getNamespace web',
      'apply --dry-run Namespace/web,NetworkPolicy/default-deny,ConfigMap/web,Deployment/web',
      'apply Namespace/web',
      // One release at a time per workload: web's Lease around everything that changes it.
      'getLease platform-deploy-lock-web -n web',
      'create Lease/platform-deploy-lock-web',
      // The namespace-level objects: their own ApplySet, under the namespace's short lock.
      'getLease platform-namespace-lock -n web',
      'create Lease/platform-namespace-lock',
      'apply --applyset=platform-namespace NetworkPolicy/default-deny',
      'getLease platform-namespace-lock -n web',
      'delete lease.coordination.k8s.io platform-namespace-lock -n web',
      'apply --applyset=platform-release-web ConfigMap/web,Deployment/web',
      'exists secret platform-release -n web',
      'getLease platform-deploy-lock-web -n web',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
    expect(cluster.calls).toContain('getDeployment web-canary -n web'); // a leftover canary would have been removed first
    expect(lines.at(-2)).toMatch(/^✓ generic: deployment\/web rolled out \(2 replicas available, image registry.local\/web:1.0.1\)/);
    expect(lines.at(-1)).toMatch(/^release of generic \(1 workload\), exit 0:\n {2}web: applied \(exit 0\) in 1.1s$/);
    expect(readFileSync(join(workdir, '.deploy', 'generic', 'manifests.yaml'), 'utf8')).toMatch(/^# rendered for generic, workloads web \(registry.local\/web:1.0.1\) — /);
  });

  test('a faulty release is rolled back to the revision that ran before: exit 1', async () => {
    const cluster = new FakeCluster();
    const faulty = ok(deploymentStatus({ updated: 1, available: 0, current: 3, deadlineExceeded: true }));
    cluster.deployments = [
      ok(deploymentStatus({ revision: '4', image: 'registry.local/web:1.0.0' })),
      (fake) => (fake.undone.length ? ok(deploymentStatus({ revision: '6' })) : faulty),
    ];
    const { deps, lines, kubeconfig } = setup(cluster);
    const result = await run(release('registry.local/web:faulty', kubeconfig), deps);
    expect(result).toMatchObject({ outcome: 'rolled-back', exitCode: EXIT.rolledBack, reason: expect.stringMatching(/^progress deadline exceeded/) });
    expect(cluster.undone).toEqual([{ name: 'web', namespace: 'web', revision: '4' }]);
    expect(lines.join('\n')).toMatch(/rolled back to revision 4 \(registry.local\/web:1.0.0\): 2\/2 replicas available again/);
  });

  test('a faulty first release cannot be rolled back: exit 4, no undo', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(undefined), ok(deploymentStatus({ updated: 1, available: 0, deadlineExceeded: true }))];
    const { deps, kubeconfig } = setup(cluster);
    expect(await run(release('registry.local/web:faulty', kubeconfig), deps)).toMatchObject({ outcome: 'rollback-failed', exitCode: EXIT.rollbackFailed });
    expect(cluster.undone).toEqual([]);
  });

  test('--diff and --dry-run change nothing and read no revision', async () => {
    for (const mode of ['diff', 'dry-run'] as const) {
      const cluster = new FakeCluster();
      cluster.diffReply = ok('+ image: registry.local/web:2.0.0');
      const { deps, lines, kubeconfig } = setup(cluster);
      expect(await run(release('registry.local/web:2.0.0', kubeconfig, mode), deps)).toEqual({ outcome: mode, exitCode: EXIT.ok });
      expect(cluster.mutations()).toEqual([]);
      expect(cluster.calls.filter((c) => c.startsWith('getDeployment'))).toEqual([]);
      expect(lines.at(-1)).toBe(mode === 'diff' ? '+ image: registry.local/web:2.0.0' : 'dry run: nothing was changed');
    }
  });

  test('nothing reaches the cluster when the input is refused', async () => {
    const cluster = new FakeCluster();
    const { deps, kubeconfig } = setup(cluster);
    await expect(run(release('registry.local/web:latest', kubeconfig), deps)).rejects.toMatchObject({ exitCode: EXIT.invalidInput });
    expect(cluster.calls).toEqual([]);
  });
});

/** The default configuration with the generic target releasing through the default canary. */
const canaryConfig = (onInconclusive: 'fail' | 'promote' = 'fail') => ({
  ...config,
  portableTargets: config.portableTargets.map((t) => (t.name === 'generic' ? { ...t, release: { kind: 'canary' as const, ...DEFAULT_CANARY, onInconclusive } } : t)),
});

/** A cluster where deployment/web runs revision 4 and the canary becomes Ready after one poll. */
function stableAndCanary(traffic: Parameters<typeof withTraffic>[1]): FakeCluster {
  const cluster = withTraffic(new FakeCluster(), traffic);
  cluster.namedDeployments['web-canary'] = [
    ok(undefined), // no leftover
    ok(deploymentStatus({ replicas: 1, updated: 1, available: 0 })),
    ok(deploymentStatus({ replicas: 1, updated: 1, available: 1 })),
  ];
  cluster.deployments = [ok(deploymentStatus({ revision: '4', image: 'registry.local/web:1.0.0' })), ok(deploymentStatus({ image: 'registry.local/web:1.0.1' }))];
  return cluster;
}

const changes = (cluster: FakeCluster) => cluster.calls.filter((c) => /^(apply(?! --dry-run)|delete|create|replace|rollback)/.test(c));

describe('deploy with a canary (orchestrator)', () => {
  test('a good release: canary, analysis, promotion (the stable Deployment rolls), canary removed, lock released; exit 0', async () => {
    const cluster = stableAndCanary({ 'web-canary-a': [40, 0], 'web-1': [60, 0], 'web-2': [60, 0] });
    const { deps, lines, kubeconfig } = setup(cluster, canaryConfig());
    const result = await run(release('registry.local/web:1.0.1', kubeconfig), deps);
    expect(result).toMatchObject({ outcome: 'applied', exitCode: EXIT.ok, canary: { decision: 'promoted', inconclusive: false, analysisMs: 30_000 } });
    expect(cluster.calls).toContain('canI get pods/proxy -n web');
    expect(changes(cluster)).toEqual([
      'apply Namespace/web',
      'create Lease/platform-deploy-lock-web',
      'create Lease/platform-namespace-lock',
      'apply --applyset=platform-namespace NetworkPolicy/default-deny',
      'delete lease.coordination.k8s.io platform-namespace-lock -n web',
      'apply Deployment/web-canary',
      'apply --applyset=platform-release-web ConfigMap/web,Deployment/web',
      'delete deployment web-canary -n web',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
    expect(lines).toContainEqual(
      expect.stringMatching(/^canary passed \(3 of 3 intervals passed, 0 failed \(failureLimit 0\)\); promoting: deployment\/web rolls to registry.local\/web:1.0.1$/),
    );
  });

  test('a Ready but failing release: aborted, canary removed, the stable Deployment never applied; exit 1 with the report', async () => {
    const cluster = stableAndCanary({ 'web-canary-a': [40, 8], 'web-1': [60, 0], 'web-2': [60, 0] });
    const { deps, lines, kubeconfig } = setup(cluster, canaryConfig());
    const result = await run(release('registry.local/web:1.0.1', kubeconfig), deps);
    expect(result).toMatchObject({ outcome: 'canary-aborted', exitCode: EXIT.rolledBack, canary: { decision: 'aborted', stage: 'analysis', analysisMs: 10_000 } });
    expect(changes(cluster)).toEqual([
      'apply Namespace/web',
      'create Lease/platform-deploy-lock-web',
      'create Lease/platform-namespace-lock',
      'apply --applyset=platform-namespace NetworkPolicy/default-deny',
      'delete lease.coordination.k8s.io platform-namespace-lock -n web',
      'apply Deployment/web-canary',
      'delete deployment web-canary -n web',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
    expect(cluster.undone).toEqual([]);
    expect(lines.join('\n')).toMatch(/✗ generic: canary of registry.local\/web:1.0.1 aborted: interval 1: success rate 80 % \(8 of 40 requests 5xx\) is below 99 %/);
    expect(lines.join('\n')).toMatch(/deployment\/web was never touched: still revision 4 \(registry.local\/web:1.0.0\)/);
  });

  test('the first release of a canary target rolls out plainly and says why', async () => {
    const cluster = new FakeCluster();
    cluster.deployments = [ok(undefined), ok(deploymentStatus({ image: 'registry.local/web:1.0.1' }))];
    const { deps, lines, kubeconfig } = setup(cluster, canaryConfig());
    expect(await run(release('registry.local/web:1.0.1', kubeconfig), deps)).toMatchObject({ outcome: 'applied', exitCode: EXIT.ok });
    expect(changes(cluster)).not.toContain('apply Deployment/web-canary');
    expect(lines).toContain('canary: no deployment/web runs yet (first release), so there are no stable pods to compare a canary with: plain rollout');
  });

  test('a leftover canary of a killed deploy is removed before the release, and said so', async () => {
    const cluster = new FakeCluster();
    cluster.namedDeployments['web-canary'] = [ok(deploymentStatus({ image: 'registry.local/web:0.9.9' }))];
    cluster.deployments = [ok(deploymentStatus({ revision: '4', image: 'registry.local/web:1.0.0' })), ok(deploymentStatus({ image: 'registry.local/web:1.0.1' }))];
    const { deps, lines, kubeconfig } = setup(cluster);
    expect(await run(release('registry.local/web:1.0.1', kubeconfig), deps)).toMatchObject({ exitCode: EXIT.ok });
    expect(changes(cluster).slice(0, 7)).toEqual([
      'apply Namespace/web',
      'create Lease/platform-deploy-lock-web',
      'create Lease/platform-namespace-lock',
      'apply --applyset=platform-namespace NetworkPolicy/default-deny',
      'delete lease.coordination.k8s.io platform-namespace-lock -n web',
      'delete deployment web-canary -n web',
      'apply --applyset=platform-release-web ConfigMap/web,Deployment/web',
    ]);
    expect(lines).toContain('canary: found deployment/web-canary (registry.local/web:0.9.9) left by a deploy that stopped mid-canary; removing it');
  });

  test('a second deploy while the lock is held: exit 6 naming the holder and since when, nothing of the release applied', async () => {
    const cluster = new FakeCluster();
    await cluster.create(leaseObject('platform-deploy-lock-web', 'web', 'GitHub Actions run 41, runner@host pid 9', new Date('2026-12-01T22:59:30Z'), new Date('2026-12-01T22:59:50Z')));
    const { deps, kubeconfig } = setup(cluster);
    const refused = run(release('registry.local/web:1.0.1', kubeconfig), deps);
    await expect(refused).rejects.toMatchObject({
      exitCode: EXIT.locked,
      message: expect.stringMatching(
        /^another deploy holds the lock of workload web in namespace web \(Lease platform-deploy-lock-web\): GitHub Actions run 41, runner@host pid 9, since 2026-12-01T22:59:30.000000Z/,
      ),
    });
    expect(changes(cluster)).toEqual(['create Lease/platform-deploy-lock-web', 'apply Namespace/web']);
  });
});
