/** The deploy context: every default of the dependencies resolved in one place, the lock holder asked only when needed. */
import { findKubectl } from '../../deploy/adapters/kubectl';
import { systemClock } from '../../deploy/clock';
import { deployContext, lockHolder, type DeployDeps } from '../../deploy/context';
import { FakeClock, FakeCluster } from './fake-cluster';
import { config, fakeRender } from './fixtures';

const deps = (extra: Partial<DeployDeps> = {}): DeployDeps => ({ config, render: fakeRender, log: () => undefined, env: {}, workdir: '/tmp', ...extra });

describe('deploy context', () => {
  test('defaults: real time, poll every second, kubectl, no extra checks; the AWS endpoint from the command line', () => {
    const context = deployContext({ awsEndpoint: 'http://127.0.0.1:5000' }, deps());
    expect(context).toMatchObject({ pollMs: 1000, progressMs: 15_000, preflightChecks: [], rolloutChecks: [], aws: { endpoint: 'http://127.0.0.1:5000' } });
    expect(Math.abs(context.clock.now() - systemClock.now())).toBeLessThan(1000);
    expect(Math.abs(context.now().getTime() - Date.now())).toBeLessThan(1000);
    // kubectl (KubectlCluster describes itself by its binary), behind the cancellation guard.
    expect(context.openCluster({ kubeconfig: '/tmp/kubeconfig' }).description).toBe(findKubectl({}));
    expect(context.cancellation.aborted).toBe(false);
  });

  test('what the entry point passes wins over every default', () => {
    const clock = new FakeClock();
    const cluster = new FakeCluster();
    const now = () => new Date('2026-12-01T23:00:00Z');
    const check = async () => undefined;
    const context = deployContext({}, deps({ clock, now, pollMs: 5, progressMs: 50, openCluster: () => cluster, rolloutChecks: [check], lockHolder: 'ci run 7' }));
    expect(context).toMatchObject({ now, pollMs: 5, progressMs: 50, rolloutChecks: [check], aws: { endpoint: undefined } });
    clock.t = 42;
    expect(context.clock.now()).toBe(42);
    expect(context.openCluster({}).description).toBe(cluster.description);
    expect(context.lockHolder()).toBe('ci run 7');
  });

  test('without a holder given, the lock holder is this process, named with the CI run of its environment', () => {
    expect(deployContext({}, deps({ env: { GITHUB_RUN_ID: '123' } })).lockHolder()).toMatch(/^GitHub Actions run 123, .+@.+ pid \d+$/);
  });

  test('the holder names the CI run when there is one, then user, machine and process', () => {
    const who = { user: 'runner', host: 'ci-7', pid: 42 };
    expect(lockHolder({ GITHUB_RUN_ID: '123' }, who)).toBe('GitHub Actions run 123, runner@ci-7 pid 42');
    expect(lockHolder({ CI_JOB_ID: '9' }, who)).toBe('GitLab job 9, runner@ci-7 pid 42');
    expect(lockHolder({ BITBUCKET_BUILD_NUMBER: '3' }, who)).toBe('Bitbucket build 3, runner@ci-7 pid 42');
    expect(lockHolder({ BUILD_TAG: 'jenkins-web-12' }, who)).toBe('Jenkins jenkins-web-12, runner@ci-7 pid 42');
    expect(lockHolder({}, who)).toBe('runner@ci-7 pid 42');
  });
});
