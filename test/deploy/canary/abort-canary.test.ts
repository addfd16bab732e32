/** `--abort-canary` over a fake cluster: the leftover canary removed under its workload's lock, nothing rendered. */
import assert from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CANARY } from '../../../config';
import { ok } from '../../../deploy/adapters/cluster';
import { abortCanary } from '../../../deploy/canary/abort-canary';
import { deployContext } from '../../../deploy/context';
import { EXIT } from '../../../deploy/errors';
import { leaseObject } from '../../../deploy/phases/lock';
import { deploymentStatus, FakeCluster } from '../fake-cluster';
import { config, fakeOutputs, options, writeOutputsFile } from '../fixtures';
import { refusal } from '../phases/support';

/** --abort-canary for `env` over `cluster` through a kubeconfig file, as the entry point runs it. */
function abort(cluster: FakeCluster, overrides: Parameters<typeof options>[0] = {}, platform = config) {
  const workdir = mkdtempSync(join(tmpdir(), 'deploy-abort-'));
  const kubeconfig = join(workdir, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  const lines: string[] = [];
  const abortOptions = options({ kubeconfig, mode: 'abort-canary', image: undefined, ...overrides });
  const context = deployContext(abortOptions, {
    config: platform,
    render: () => assert.fail('nothing is rendered'),
    lockHolder: 'ci run 7',
    now: () => new Date('2026-12-01T23:00:00Z'),
    log: (l) => lines.push(l),
    env: {},
    workdir,
    openCluster: () => cluster,
  });
  return { lines, result: abortCanary(context, abortOptions) };
}

const changes = (cluster: FakeCluster) => cluster.calls.filter((c) => /^(apply|delete|create|replace)/.test(c));

describe('--abort-canary', () => {
  test('removes a leftover canary under the lock (no image, nothing rendered); without one it says there is nothing to abort', async () => {
    const cluster = new FakeCluster();
    cluster.namedDeployments['web-canary'] = [ok(deploymentStatus({ image: 'registry.local/web:0.9.9' })), ok(undefined)];
    expect(await abort(cluster).result).toEqual({ outcome: 'canary-removed', exitCode: EXIT.ok });
    expect(changes(cluster)).toEqual([
      'create Lease/platform-deploy-lock-web',
      'delete deployment web-canary -n web',
      'delete lease.coordination.k8s.io platform-deploy-lock-web -n web',
    ]);
    const again = abort(cluster);
    expect(await again.result).toEqual({ outcome: 'no-canary', exitCode: EXIT.ok });
    expect(again.lines).toContain('canary: no web-canary Deployment in web: nothing to abort');
  });

  test('a live deploy holding the lock is reported (exit 6) and the canary is left alone', async () => {
    const cluster = new FakeCluster();
    cluster.namedDeployments['web-canary'] = [ok(deploymentStatus({ image: 'registry.local/web:0.9.9' }))];
    await cluster.create(
      leaseObject('platform-deploy-lock-web', 'web', 'GitHub Actions run 41, runner@host pid 9', new Date('2026-12-01T22:59:30Z'), new Date('2026-12-01T22:59:50Z')),
    );
    expect((await refusal(abort(cluster).result)).exitCode).toBe(EXIT.locked);
    expect(changes(cluster)).toEqual(['create Lease/platform-deploy-lock-web']);
  });

  test('--workload names the service; a worker or an unknown name is refused naming the services (exit 2, nothing reached)', async () => {
    const cluster = new FakeCluster();
    cluster.namedDeployments['web-canary'] = [ok(undefined)];
    expect(await abort(cluster, { workloads: ['web'] }).result).toEqual({ outcome: 'no-canary', exitCode: EXIT.ok });
    for (const name of ['worker', 'api']) {
      const other = new FakeCluster();
      expect(await refusal(abort(other, { workloads: [name] }).result)).toEqual({
        exitCode: EXIT.invalidInput,
        message: `--workload ${name}: "generic" has no service "${name}" (only services have canaries); allowed: "web"`,
      });
      expect(other.calls).toEqual([]);
    }
  });

  test('two services releasing through a canary: --workload is required', async () => {
    const api = { ...config.portableTargets[0].workloads[0], name: 'api' };
    const two = {
      ...config,
      portableTargets: config.portableTargets.map((t) => ({ ...t, release: { kind: 'canary' as const, ...DEFAULT_CANARY }, workloads: [...t.workloads, api] })),
    };
    const cluster = new FakeCluster();
    expect(await refusal(abort(cluster, {}, two).result)).toEqual({
      exitCode: EXIT.invalidInput,
      message: '--abort-canary: "generic" has 2 services ("web", "api") that may have a canary: name one with --workload <name>',
    });
  });

  test('an AWS environment needs --outputs or --kubeconfig to find its cluster (exit 2, nothing reached)', async () => {
    const cluster = new FakeCluster();
    expect(await refusal(abort(cluster, { env: 'dev', kubeconfig: undefined }).result)).toEqual({
      exitCode: EXIT.invalidInput,
      message: '--abort-canary for environment "dev" needs --outputs (to find its EKS cluster) or --kubeconfig',
    });
    expect(cluster.calls).toEqual([]);
  });

  test('with --kubeconfig, an AWS environment is checked against its outputs: an EKS endpoint in another region is refused (exit 3)', async () => {
    const cluster = new FakeCluster();
    cluster.serverReply = ok('https://ABC.gr7.us-east-1.eks.amazonaws.com');
    const outputsFile = writeOutputsFile('dev', fakeOutputs('dev'));
    expect((await refusal(abort(cluster, { env: 'dev', outputsFile }).result)).exitCode).toBe(EXIT.clusterUnreachable);
    expect(changes(cluster)).toEqual([]);
  });
});
