/** The orchestrator over a fake cluster: the order of the phases and what each outcome returns (milliseconds, no cluster). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CANARY } from '../../config';
import { dump } from 'js-yaml';
import { failed, ok } from '../../deploy/adapters/cluster';
import type { KubeObject } from '../../deploy/manifests';
import { resultLine } from '../../deploy/phases/report';
import { leaseObject } from '../../deploy/phases/lock';
import { withTraffic } from './canary/support';
import { EXIT } from '../../deploy/errors';
import { deployContext, type DeployDeps } from '../../deploy/context';
import { deploy } from '../../deploy/run';
import type { DeployOptions } from '../../deploy/args';
import { config, fakeRender, namespaceObjects, options, pruneObjects, workerObjects, writeManifestDir } from './fixtures';
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
      // A deploy of the earlier command (one Lease for the whole namespace) would be waited out: none runs.
      'getLease platform-deploy-lock -n web',
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
    await cluster.create(
      leaseObject('platform-deploy-lock-web', 'web', 'GitHub Actions run 41, runner@host pid 9', new Date('2026-12-01T22:59:30Z'), new Date('2026-12-01T22:59:50Z')),
    );
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

describe('a release of several workloads (orchestrator)', () => {
  const NEW = 'registry.local/web:1.0.1';
  const liveNamespace = ok({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } });
  const cronJob = (image: string) => ok({ ...(pruneObjects(image)[0] as KubeObject), metadata: { name: 'prune', namespace: 'web' } });

  /** web, worker (rolling, revision 3 running) and prune (a CronJob on the old image), every release of them healthy. */
  function sample(): FakeCluster {
    const cluster = new FakeCluster();
    cluster.namespaceReply = liveNamespace;
    cluster.deployments = [ok(deploymentStatus({ revision: '4', image: 'registry.local/web:1.0.0' })), ok(deploymentStatus({ image: NEW }))];
    cluster.namedDeployments.worker = [ok(deploymentStatus({ revision: '3', image: 'registry.local/web:1.0.0' })), ok(deploymentStatus({ image: NEW }))];
    cluster.objects['cronjob.batch/prune'] = [cronJob('registry.local/web:1.0.0'), cronJob(NEW)];
    return cluster;
  }

  const namespaceSet = [
    'create Lease/platform-namespace-lock',
    'apply --applyset=platform-namespace NetworkPolicy/default-deny',
    'delete lease.coordination.k8s.io platform-namespace-lock -n web',
  ];

  test("a release of worker applies only worker's set and the namespace-level set; web's Deployment is never read nor touched, web's lock is not needed", async () => {
    const cluster = sample();
    // A release of web runs at this moment: it holds web's lock.
    await cluster.create(leaseObject('platform-deploy-lock-web', 'web', 'web release', new Date('2026-12-01T22:59:50Z'), new Date('2026-12-01T22:59:50Z')));
    const { deps, lines, kubeconfig } = setup(cluster);
    const result = await run(options({ image: NEW, kubeconfig, workloads: ['worker'] }), deps);
    expect(result).toMatchObject({ outcome: 'applied', exitCode: EXIT.ok, workloads: { worker: { outcome: 'applied', exitCode: EXIT.ok } } });
    expect(Object.keys(result.workloads!)).toEqual(['worker']);
    expect(cluster.calls).toContain('apply --dry-run Namespace/web,NetworkPolicy/default-deny,ConfigMap/worker,Deployment/worker');
    expect(changes(cluster)).toEqual([
      'create Lease/platform-deploy-lock-web', // the other release's, created above
      'apply Namespace/web',
      'create Lease/platform-deploy-lock-worker',
      ...namespaceSet,
      'apply --applyset=platform-release-worker ConfigMap/worker,Deployment/worker',
      'delete lease.coordination.k8s.io platform-deploy-lock-worker -n web',
    ]);
    expect(cluster.calls.filter((c) => c.startsWith('getDeployment')).every((c) => c === 'getDeployment worker -n web')).toBe(true);
    expect(cluster.calls.filter((c) => /Deployment\/web\b|ConfigMap\/web\b|platform-release-web|deployment web|rollback web/.test(c))).toEqual([]);
    expect(lines).toContainEqual(expect.stringMatching(/^✓ generic: deployment\/worker rolled out \(2 replicas available, image registry.local\/web:1.0.1\)/));
  });

  test('a deploy of the earlier command (one Lease for the namespace) still running refuses the release (exit 6), nothing applied', async () => {
    const cluster = sample();
    await cluster.create(leaseObject('platform-deploy-lock', 'web', 'old deploy', new Date('2026-12-01T22:59:50Z'), new Date('2026-12-01T22:59:50Z')));
    const { deps, kubeconfig } = setup(cluster);
    await expect(run(options({ image: NEW, kubeconfig, workloads: ['worker'] }), deps)).rejects.toMatchObject({
      exitCode: EXIT.locked,
      message: expect.stringMatching(/^a deploy of the earlier deploy command holds the whole namespace web \(Lease platform-deploy-lock\): old deploy/),
    });
    expect(changes(cluster)).toEqual(['create Lease/platform-deploy-lock', 'apply Namespace/web']);
  });

  test('the same workload twice at once: the second is refused (exit 6), nothing applied', async () => {
    const cluster = sample();
    await cluster.create(leaseObject('platform-deploy-lock-worker', 'web', 'worker release', new Date('2026-12-01T22:59:50Z'), new Date('2026-12-01T22:59:50Z')));
    const { deps, kubeconfig } = setup(cluster);
    await expect(run(options({ image: NEW, kubeconfig, workloads: ['web', 'worker'] }), deps)).rejects.toMatchObject({
      exitCode: EXIT.locked,
      message: expect.stringMatching(/^another deploy holds the lock of workload worker in namespace web \(Lease platform-deploy-lock-worker\): worker release/),
    });
    // web's lock, taken first, was given back; nothing of the release was applied.
    expect(changes(cluster)).toEqual([
      'create Lease/platform-deploy-lock-worker',
      'apply Namespace/web',
      'create Lease/platform-deploy-lock-web',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
  });

  test('every workload of the image, in declaration order: web, worker, then the CronJob (accepted, read back, its pods admitted); one result each', async () => {
    const cluster = sample();
    const { deps, lines, kubeconfig } = setup(cluster);
    const result = await run(options({ images: { app: NEW }, kubeconfig }), deps);
    expect(result).toMatchObject({ outcome: 'applied', exitCode: EXIT.ok });
    expect(Object.entries(result.workloads!).map(([name, r]) => [name, r.outcome])).toEqual([
      ['web', 'applied'],
      ['worker', 'applied'],
      ['prune', 'applied'],
    ]);
    // The preflight dry-runs a Pod made from the CronJob's jobTemplate too (Pod Security applies to pods), naming no
    // ServiceAccount (prune's may not exist before the first apply); after the apply, the Pod as it is.
    expect(cluster.calls.find((c) => c.startsWith('apply --dry-run'))).toMatch(/,CronJob\/prune,Pod\/prune-admission-check$/);
    const pods = cluster.applied.filter((a) => a.options.dryRun).map((a) => a.objects.find((o) => o.kind === 'Pod')!);
    expect(pods.map((p) => (p.spec as { serviceAccountName?: string }).serviceAccountName)).toEqual([undefined, 'prune']);
    expect(changes(cluster)).toEqual([
      'apply Namespace/web',
      'create Lease/platform-deploy-lock-web',
      'create Lease/platform-deploy-lock-worker',
      'create Lease/platform-deploy-lock-prune',
      ...namespaceSet,
      'apply --applyset=platform-release-web ConfigMap/web,Deployment/web',
      'apply --applyset=platform-release-worker ConfigMap/worker,Deployment/worker',
      'apply --applyset=platform-release-prune CronJob/prune',
      'delete lease.coordination.k8s.io platform-deploy-lock-prune -n web',
      'delete lease.coordination.k8s.io platform-deploy-lock-worker -n web',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
    const prune = cluster.calls.slice(cluster.calls.indexOf('apply --applyset=platform-release-worker ConfigMap/worker,Deployment/worker'));
    expect(prune.filter((c) => /prune/.test(c) && !/Lease\/|lease\.coordination|getLease/.test(c))).toEqual([
      'get cronjob.batch prune -n web',
      'apply --applyset=platform-release-prune CronJob/prune',
      'get cronjob.batch prune -n web',
      'apply --dry-run Pod/prune-admission-check',
    ]);
    expect(lines).toContain('✓ cronjob/prune: accepted (registry.local/web:1.0.1), its pods admitted under Pod Security "restricted" (server-side dry run)');
    expect(resultLine(result)).toMatch(
      /^deploy-result: \{"outcome":"applied","exitCode":0,.*"workloads":\{"web":\{"outcome":"applied","exitCode":0,.*\},"worker":\{.*\},"prune":\{"outcome":"applied","exitCode":0,/,
    );
  });

  test('a failing worker is rolled back and stops the release: the CronJob is not released, web stays released; exit 1 naming what was rolled back', async () => {
    const cluster = sample();
    const crashing = ok(deploymentStatus({ updated: 1, available: 0, current: 3, deadlineExceeded: true }));
    cluster.namedDeployments.worker = [
      ok(deploymentStatus({ revision: '3', image: 'registry.local/web:1.0.0' })),
      (fake) => (fake.undone.length ? ok(deploymentStatus({ revision: '5' })) : crashing),
    ];
    const { deps, lines, kubeconfig } = setup(cluster);
    const result = await run(options({ images: { app: NEW }, kubeconfig }), deps);
    expect(result).toMatchObject({
      outcome: 'rolled-back',
      exitCode: EXIT.rolledBack,
      workloads: { web: { outcome: 'applied' }, worker: { outcome: 'rolled-back' }, prune: { outcome: 'not-released' } },
    });
    expect(cluster.undone).toEqual([{ name: 'worker', namespace: 'web', revision: '3' }]);
    expect(changes(cluster).filter((c) => c.includes('prune') && !c.includes('platform-deploy-lock-prune'))).toEqual([]);
    expect(resultLine(result)).toMatch(/"rolledBack":\["worker"\],"workloads":\{"web":\{"outcome":"applied".*"prune":\{"outcome":"not-released"\}\}\}$/);
    expect(lines.at(-1)).toMatch(/ {2}rolled back: worker \(restored to what ran before\)$/);
  });

  test('the API server rejects a workload midway: exit 5 (worse than a rollback), the rest is not released', async () => {
    const cluster = sample();
    const accept = cluster.applyReply;
    cluster.applyReply = (objects, o) =>
      o.applySet?.name === 'platform-release-worker' && !o.dryRun ? failed('Error from server (Invalid): Deployment.apps "worker" is invalid') : accept(objects, o);
    const { deps, kubeconfig } = setup(cluster);
    const result = await run(options({ images: { app: NEW }, kubeconfig }), deps);
    expect(result).toMatchObject({
      outcome: 'apply-failed',
      exitCode: EXIT.applyFailed,
      workloads: { web: { outcome: 'applied' }, worker: { outcome: 'apply-failed' }, prune: { outcome: 'not-released' } },
    });
  });

  test('a CronJob whose pods would be rejected: refused by the preflight when the namespace exists (exit 2, nothing applied)', async () => {
    const cluster = sample();
    const accept = cluster.applyReply;
    const rejected = 'Error from server (Forbidden): pods "prune-admission-check" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true';
    cluster.applyReply = (objects, o) => (o.dryRun && objects.some((x) => x.kind === 'Pod') ? failed(rejected) : accept(objects, o));
    const { deps, kubeconfig } = setup(cluster);
    await expect(run(options({ image: NEW, kubeconfig, workloads: ['prune'] }), deps)).rejects.toMatchObject({
      exitCode: EXIT.invalidInput,
      message: expect.stringContaining(rejected),
    });
    expect(cluster.mutations()).toEqual([]);
  });

  test('a CronJob whose pods are rejected after its apply (a new namespace: no preflight of namespaced objects) is restored to what ran before: exit 1', async () => {
    const cluster = sample();
    cluster.namespaceReply = ok(undefined);
    const accept = cluster.applyReply;
    cluster.applyReply = (objects, o) =>
      o.dryRun && objects.some((x) => x.kind === 'Pod') ? failed('pods "prune-admission-check" is forbidden: violates PodSecurity') : accept(objects, o);
    const { deps, lines, kubeconfig } = setup(cluster);
    const result = await run(options({ image: NEW, kubeconfig, workloads: ['prune'] }), deps);
    expect(result).toMatchObject({ outcome: 'rolled-back', exitCode: EXIT.rolledBack, workloads: { prune: { outcome: 'rolled-back' } } });
    expect(cluster.applied.at(-1)!.objects.map((o) => [o.kind, (o.spec as any).jobTemplate.spec.template.spec.containers[0].image])).toEqual([
      ['CronJob', 'registry.local/web:1.0.0'],
    ]);
    expect(lines.join('\n')).toMatch(
      /the release of cronjob\/prune failed: the pods of cronjob\/prune would not be admitted .*\n.*\n {2}cronjob\/prune restored to the CronJob that ran before/,
    );
  });

  test('refuses an unknown --workload or --image name with the allowed names: exit 2, nothing reaches the cluster', async () => {
    const cluster = sample();
    const { deps, kubeconfig } = setup(cluster);
    await expect(run(options({ image: NEW, kubeconfig, workloads: ['wrker'] }), deps)).rejects.toMatchObject({
      exitCode: EXIT.invalidInput,
      message: '--workload wrker: "generic" declares no workload "wrker"; allowed: "web", "worker", "prune"',
    });
    await expect(run(options({ images: { ap: NEW }, kubeconfig }), deps)).rejects.toMatchObject({
      exitCode: EXIT.invalidInput,
      message: expect.stringMatching(/^--image ap=…: the configuration declares no image "ap"; allowed: "app"/),
    });
    expect(cluster.calls).toEqual([]);
  });

  test('pre-rendered manifests of the worker alone (--manifests): released as the worker, not refused for want of web', async () => {
    const cluster = sample();
    const yaml = (objects: object[]) => objects.map((o) => dump(o)).join('---\n');
    const dir = writeManifestDir({ 'namespace.k8s.yaml': yaml(namespaceObjects()), 'worker.k8s.yaml': yaml(workerObjects(NEW)) });
    const { deps, kubeconfig } = setup(cluster);
    const result = await run(options({ manifestsDir: dir, kubeconfig }), deps);
    expect(result).toMatchObject({ exitCode: EXIT.ok, workloads: { worker: { outcome: 'applied' } } });
    expect(changes(cluster).filter((c) => c.startsWith('apply'))).toEqual([
      'apply Namespace/web',
      // A folder may hold some workloads only: its namespace-level objects are applied, never pruned.
      'apply NetworkPolicy/default-deny',
      'apply --applyset=platform-release-worker ConfigMap/worker,Deployment/worker',
    ]);
  });

  test('a cluster deployed by the earlier command (one ApplySet platform-release): a release of every workload hands it over, deleting only its parent', async () => {
    const cluster = sample();
    cluster.exists = async (resource, name, namespace) => {
      cluster.calls.push(`exists ${resource} ${name} -n ${namespace}`);
      return ok(resource === 'secret' && name === 'platform-release' && !cluster.calls.includes('delete secret platform-release -n web'));
    };
    const { deps, lines, kubeconfig } = setup(cluster);
    // A worker release first: the old set stays (it prunes nothing: no apply names it), web untouched.
    expect(await run(options({ image: NEW, kubeconfig, workloads: ['worker'] }), deps)).toMatchObject({ exitCode: EXIT.ok });
    expect(changes(cluster).filter((c) => c.includes('platform-release') && !c.includes('worker'))).toEqual([]);
    expect(lines).toContainEqual(expect.stringMatching(/^ApplySet platform-release .*kept until a release of every workload/));
    expect(await run(options({ image: NEW, kubeconfig }), deps)).toMatchObject({ exitCode: EXIT.ok });
    expect(changes(cluster).filter((c) => /secret/.test(c))).toEqual(['delete secret platform-release -n web']);
    expect(lines).toContainEqual(expect.stringMatching(/^ApplySet platform-release: every workload moved to its own set; its parent Secret deleted/));
  });
});
