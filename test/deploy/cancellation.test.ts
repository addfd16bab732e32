/**
 * A deploy cancelled by SIGINT/SIGTERM (the entry point aborts `context.cancellation`) over a fake cluster and a fake
 * clock: it stops at its next wait or cluster call, removes the canary it started, rolls back a rolling update it
 * started, releases its lock, and throws `Cancelled` (exit 8) for the entry point's result line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CANARY } from '../../config';
import { failed, ok } from '../../deploy/adapters/cluster';
import { Cancelled, cancellableClock, cancellableCluster } from '../../deploy/cancellation';
import { systemClock } from '../../deploy/clock';
import { deployContext, type DeployDeps } from '../../deploy/context';
import { EXIT } from '../../deploy/errors';
import { LOCK_NAME, workloadLockName } from '../../deploy/phases/lock';
import { deploy } from '../../deploy/run';
import { withTraffic } from './canary/support';
import { deploymentStatus, FakeClock, FakeCluster } from './fake-cluster';
import { config, options } from './fixtures';
import { fakeRender } from './fixtures';

/** A fake clock on which the deploy is cancelled (by `signal`) once `at` ms have passed: as if SIGTERM came then. */
class CancellingClock extends FakeClock {
  readonly controller = new AbortController();
  constructor(
    private readonly at: number,
    private readonly signal = 'SIGTERM',
  ) {
    super(1_000);
  }
  override async sleep(ms: number): Promise<void> {
    this.t += ms;
    if (this.t >= this.at) this.controller.abort(this.signal);
  }
}

/** The generic target, through the default canary when asked. */
const platform = (canary: boolean) =>
  canary
    ? { ...config, portableTargets: config.portableTargets.map((t) => (t.name === 'generic' ? { ...t, release: { kind: 'canary' as const, ...DEFAULT_CANARY } } : t)) }
    : config;

function run(cluster: FakeCluster, clock: FakeClock, controller: AbortController, canary = false) {
  const workdir = mkdtempSync(join(tmpdir(), 'deploy-cancel-'));
  const kubeconfig = join(workdir, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  const lines: string[] = [];
  cluster.onRead = () => (clock.t += 50);
  const deps: DeployDeps = {
    config: platform(canary),
    render: fakeRender,
    lockHolder: 'ci run 7',
    now: () => new Date('2026-12-01T23:00:00Z'),
    log: (l) => lines.push(l),
    env: {},
    workdir,
    clock,
    openCluster: () => cluster,
    cancellation: controller.signal,
  };
  // web alone: the sequences read as one workload's release (the others' locks are per-workload tests' business).
  const release = options({ image: 'registry.local/web:1.0.1', kubeconfig, workloads: ['web'] });
  return {
    lines,
    ended: deploy(deployContext(release, deps), release).then(
      () => undefined,
      (e: unknown) => e,
    ),
  };
}

/** What web's release changes before its own objects: the Namespace, web's lock, the namespace-level set under its lock. */
const RELEASE_START = [
  'apply Namespace/web',
  'create Lease/platform-deploy-lock-web',
  'create Lease/platform-namespace-lock',
  'apply --applyset=platform-namespace NetworkPolicy/default-deny',
  'delete lease.coordination.k8s.io platform-namespace-lock -n web',
];

/** The calls that changed the cluster, in order. */
const changes = (cluster: FakeCluster) => cluster.calls.filter((c) => /^(apply(?! --dry-run)|delete|create|replace|rollback)/.test(c));

/** deployment/web runs revision 4; the canary (when there is one) becomes Ready after one poll; the rollout never ends. */
function runningStable(traffic?: Parameters<typeof withTraffic>[1]): FakeCluster {
  const cluster = traffic ? withTraffic(new FakeCluster(), traffic) : new FakeCluster();
  cluster.namedDeployments['web-canary'] = [
    ok(undefined), // no leftover
    ok(deploymentStatus({ replicas: 1, updated: 1, available: 0 })),
    ok(deploymentStatus({ replicas: 1, updated: 1, available: 1 })),
  ];
  cluster.deployments = [ok(deploymentStatus({ revision: '4', image: 'registry.local/web:1.0.0' })), ok(deploymentStatus({ updated: 1, available: 2, current: 3 }))];
  return cluster;
}

const TRAFFIC = { 'web-canary-a': [40, 0], 'web-1': [60, 0], 'web-2': [60, 0] } satisfies Parameters<typeof withTraffic>[1];

describe('a cancelled deploy', () => {
  test('during the canary analysis: the canary is deleted, the stable Deployment never touched, the lock released; exit 8', async () => {
    const cluster = runningStable(TRAFFIC);
    // The canary is Ready at ~2.2 s; the analysis sleeps 10 s per interval: SIGTERM arrives during the second one.
    const clock = new CancellingClock(15_000);
    const { lines, ended } = run(cluster, clock, clock.controller, true);
    const error = await ended;
    expect(error).toBeInstanceOf(Cancelled);
    expect(error).toMatchObject({ exitCode: EXIT.cancelled, message: 'cancelled by SIGTERM' });
    expect(changes(cluster)).toEqual([
      ...RELEASE_START,
      'apply Deployment/web-canary',
      'delete deployment web-canary -n web',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
    expect(cluster.undone).toEqual([]);
    expect(cluster.store.has(`Lease/web/${workloadLockName('web')}`)).toBe(false);
    expect(lines.filter((l) => /canary interval \d\/3/.test(l))).toHaveLength(1);
    expect(lines.at(-1)).toBe('canary: deployment/web-canary removed (its pods terminate with their usual drain)');
  });

  test('while the canary becomes Ready: the canary is deleted, nothing else changed', async () => {
    const cluster = runningStable(TRAFFIC);
    cluster.namedDeployments['web-canary'] = [ok(undefined), ok(deploymentStatus({ replicas: 1, updated: 1, available: 0 }))];
    const clock = new CancellingClock(5_000, 'SIGINT');
    const error = await run(cluster, clock, clock.controller, true).ended;
    expect(error).toMatchObject({ exitCode: EXIT.cancelled, message: 'cancelled by SIGINT' });
    expect(changes(cluster).slice(RELEASE_START.length)).toEqual([
      'apply Deployment/web-canary',
      'delete deployment web-canary -n web',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
  });

  test('during the rolling update: rolled back to the revision that ran before (not waiting for its pods), lock released; exit 8', async () => {
    const cluster = runningStable();
    const clock = new CancellingClock(10_000);
    const { lines, ended } = run(cluster, clock, clock.controller);
    expect(await ended).toMatchObject({ exitCode: EXIT.cancelled });
    expect(changes(cluster)).toEqual([
      ...RELEASE_START,
      'apply --applyset=platform-release-web ConfigMap/web,Deployment/web',
      'rollback web -n web --to-revision=4',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
    expect(lines).toContain('cancelled: rolling back deployment/web to revision 4 (registry.local/web:1.0.0); its pods return in the background');
    // Nothing read after the undo but the lock: the deploy ends within seconds.
    expect(cluster.calls.slice(cluster.calls.indexOf('rollback web -n web --to-revision=4') + 1)).toEqual([
      'getLease platform-deploy-lock-web -n web',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
  });

  test('during the rolling update of a promoted canary: the stable Deployment rolled back, then the canary removed', async () => {
    const cluster = runningStable(TRAFFIC);
    const clock = new CancellingClock(40_000); // after the 3 intervals (ready ~2.2 s + 30 s), during the stable rollout
    expect(await run(cluster, clock, clock.controller, true).ended).toMatchObject({ exitCode: EXIT.cancelled });
    expect(changes(cluster).slice(RELEASE_START.length)).toEqual([
      'apply Deployment/web-canary',
      'apply --applyset=platform-release-web ConfigMap/web,Deployment/web',
      'rollback web -n web --to-revision=4',
      'delete deployment web-canary -n web',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
  });

  test('a first release has no revision to return to, and an undo that fails leaves work: exit 4, said so', async () => {
    const first = new FakeCluster();
    first.deployments = [ok(undefined), ok(deploymentStatus({ updated: 1, available: 0 }))];
    const clock = new CancellingClock(5_000);
    const { lines, ended } = run(first, clock, clock.controller);
    expect(await ended).toMatchObject({ exitCode: EXIT.rollbackFailed, message: expect.stringMatching(/^cancelled by SIGTERM; deployment\/web is at the new release/) });
    expect(first.undone).toEqual([]);
    expect(lines).toContain('cancelled: deployment/web stays at the new release (its first: no revision to return to)');
    expect(first.store.size).toBe(0); // the lock released all the same

    const refused = runningStable();
    refused.undoReply = failed('error: unable to find specified revision 4 in history');
    const again = new CancellingClock(5_000);
    expect(await run(refused, again, again.controller).ended).toMatchObject({
      exitCode: EXIT.rollbackFailed,
      message: 'cancelled by SIGTERM; rolling back deployment/web to revision 4 failed: error: unable to find specified revision 4 in history',
    });
  });

  test('right after the rollout failed: the failed release is still rolled back before the deploy ends (exit 8)', async () => {
    const cluster = runningStable();
    const controller = new AbortController();
    const failing = ok(deploymentStatus({ updated: 1, available: 0, current: 3, deadlineExceeded: true }));
    cluster.deployments = [
      ok(deploymentStatus({ revision: '4', image: 'registry.local/web:1.0.0' })),
      () => {
        controller.abort('SIGTERM'); // arrives as the watch reads the exceeded deadline
        return failing;
      },
    ];
    const { lines, ended } = run(cluster, new FakeClock(), controller);
    expect(await ended).toMatchObject({ exitCode: EXIT.cancelled });
    expect(cluster.undone).toEqual([{ name: 'web', namespace: 'web', revision: '4' }]);
    expect(lines).toContain('rolling back deployment/web to revision 4 (registry.local/web:1.0.0)');
    expect(cluster.store.size).toBe(0);
  });

  test('while connecting: nothing is applied and no lock taken', async () => {
    const cluster = runningStable();
    const controller = new AbortController();
    const serverVersion = cluster.serverVersion.bind(cluster);
    cluster.serverVersion = async () => {
      controller.abort('SIGTERM'); // arrives while kubectl asks for /version
      return serverVersion();
    };
    const error = await run(cluster, new FakeClock(), controller).ended;
    expect(error).toMatchObject({ exitCode: EXIT.cancelled });
    expect(cluster.calls).toEqual(['clientVersion', 'server', 'serverVersion']);
  });

  test('while taking the lock: nothing of the release applied, no Lease left', async () => {
    const cluster = runningStable();
    const controller = new AbortController();
    const getLease = cluster.getLease.bind(cluster);
    cluster.getLease = async (name, namespace) => {
      controller.abort('SIGINT');
      return getLease(name, namespace);
    };
    expect(await run(cluster, new FakeClock(), controller).ended).toMatchObject({ exitCode: EXIT.cancelled, message: 'cancelled by SIGINT' });
    expect(changes(cluster)).toEqual(['apply Namespace/web']);
    expect(cluster.store.size).toBe(0);
  });
});

describe('cancellation guards', () => {
  test('the real clock: an aborted sleep ends at once with Cancelled (its timer cleared)', async () => {
    const controller = new AbortController();
    const clock = cancellableClock(systemClock, controller.signal);
    const started = Date.now();
    const sleeping = clock.sleep(60_000);
    setTimeout(() => controller.abort('SIGTERM'), 20);
    await expect(sleeping).rejects.toEqual(new Cancelled('SIGTERM'));
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(clock.sleep(1)).rejects.toBeInstanceOf(Cancelled);
  });

  test('the cluster: once cancelled, only the cleanup calls (delete, rollout undo, reading the Lease) go through', async () => {
    const fake = new FakeCluster();
    const controller = new AbortController();
    const cluster = cancellableCluster(fake, controller.signal);
    await cluster.serverVersion();
    controller.abort('SIGTERM');
    await expect(cluster.apply([])).rejects.toBeInstanceOf(Cancelled);
    await expect(cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })).rejects.toBeInstanceOf(Cancelled);
    await expect(cluster.getDeployment('web', 'web')).rejects.toBeInstanceOf(Cancelled);
    await cluster.delete('deployment', 'web-canary', 'web');
    await cluster.rollbackDeployment('web', 'web', '4');
    await cluster.getLease(LOCK_NAME, 'web');
    expect(fake.calls).toEqual(['serverVersion', 'delete deployment web-canary -n web', 'rollback web -n web --to-revision=4', `getLease ${LOCK_NAME} -n web`]);
    expect(cluster.description).toBe('fake-kubectl');
  });
});
