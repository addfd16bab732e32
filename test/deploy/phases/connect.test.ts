import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failed, ok } from '../../../deploy/adapters/cluster';
import { EXIT } from '../../../deploy/errors';
import { checkCluster, connect, kubeconfigSource } from '../../../deploy/phases/connect';
import { resolveTarget } from '../../../deploy/phases/prepare';
import { config, fakeOutputs } from '../fixtures';
import { FakeCluster } from '../fake-cluster';
import { collect, phaseContext, refusal } from './support';

const generic = resolveTarget(config, 'generic');
const dev = resolveTarget(config, 'dev');
const dir = mkdtempSync(join(tmpdir(), 'deploy-connect-'));
const file = join(dir, 'kubeconfig');
writeFileSync(file, 'apiVersion: v1\nkind: Config\n');
/** The context of a deploy run in the process environment `env`. */
const withEnv = (env: NodeJS.ProcessEnv) => phaseContext(new FakeCluster(), { env });

describe('kubeconfig source', () => {
  test('--kubeconfig wins, for any target', () => {
    expect(kubeconfigSource(withEnv({ KUBECONFIG: '/elsewhere' }), { kubeconfig: file }, dev)).toEqual({ kind: 'file', path: file });
  });

  test('a portable target falls back to KUBECONFIG, kept as it is (a list is for kubectl to read)', () => {
    expect(kubeconfigSource(withEnv({ KUBECONFIG: `${file}:/missing/second` }), {}, generic)).toEqual({ kind: 'environment', value: `${file}:/missing/second` });
  });

  test('an aws environment without --kubeconfig resolves its EKS cluster (KUBECONFIG is not used)', () => {
    expect(kubeconfigSource(withEnv({ KUBECONFIG: file }), {}, dev)).toEqual({ kind: 'eks' });
  });

  test('fails when the kubeconfig file is missing (exit 2), before anything is read from AWS or the cluster', () => {
    expect(() => kubeconfigSource(withEnv({}), { kubeconfig: join(dir, 'nope') }, generic)).toThrow(`--kubeconfig ${join(dir, 'nope')} does not exist`);
    expect(() => kubeconfigSource(withEnv({ KUBECONFIG: join(dir, 'missing') }), {}, generic)).toThrow(`KUBECONFIG ${join(dir, 'missing')} does not exist`);
    expect(() => kubeconfigSource(withEnv({}), {}, generic)).toThrow('portable target "generic" needs --kubeconfig <path> (or KUBECONFIG) naming its cluster');
  });

  test('a file or KUBECONFIG opens the cluster with that target, and nothing to clean up', async () => {
    const targets: unknown[] = [];
    const context = phaseContext(new FakeCluster(), { openCluster: (t) => (targets.push(t), new FakeCluster()) });
    await connect(context, { kind: 'file', path: file }, { target: generic, kubeContext: 'ci' });
    await connect(context, { kind: 'environment', value: file }, { target: generic });
    expect(targets).toEqual([
      { kubeconfig: file, context: 'ci' },
      { kubeconfig: undefined, context: undefined },
    ]);
  });
});

describe('cluster check', () => {
  test('names the server, its version and kubectl', async () => {
    const { lines, log } = collect();
    expect(await checkCluster(phaseContext(new FakeCluster(), { log }), { target: generic })).toEqual({
      server: 'https://127.0.0.1:6443',
      serverVersion: 'v1.35.4',
      clientVersion: 'v1.35.4',
    });
    expect(lines).toEqual(['cluster: https://127.0.0.1:6443 (Kubernetes v1.35.4); kubectl v1.35.4']);
  });

  test('fails when kubectl is older than 1.27 (no ApplySet pruning): exit 2', async () => {
    const cluster = new FakeCluster();
    cluster.clientVersionReply = ok('v1.26.9');
    expect(await refusal(checkCluster(phaseContext(cluster), { target: generic }))).toEqual({
      exitCode: EXIT.invalidInput,
      message: 'fake-kubectl (v1.26.9) cannot prune with ApplySets: kubectl 1.27 or newer is required (set KUBECTL)',
    });
  });

  test('fails when the kubeconfig has no usable context (exit 2), naming the context asked for', async () => {
    const cluster = new FakeCluster();
    cluster.serverReply = failed('error: context "ci" does not exist');
    expect(await refusal(checkCluster(phaseContext(cluster), { target: generic, kubeContext: 'ci' }))).toEqual({
      exitCode: EXIT.invalidInput,
      message: 'the kubeconfig has no usable context "ci": error: context "ci" does not exist',
    });
  });

  test('fails when the cluster does not answer (exit 3)', async () => {
    const cluster = new FakeCluster();
    cluster.serverVersionReply = failed(
      "E1201 memcache.go:265] couldn't get current server API group list\nUnable to connect to the server: dial tcp 127.0.0.1:9: connect: connection refused",
    );
    const r = await refusal(checkCluster(phaseContext(cluster), { target: generic }));
    expect(r.exitCode).toBe(EXIT.clusterUnreachable);
    expect(r.message).toMatch(/^cannot reach the cluster at https:\/\/127\.0\.0\.1:6443: .*connection refused$/);
  });

  test('fails when the kubeconfig points at an EKS endpoint of another region (exit 3: wrong cluster)', async () => {
    const cluster = new FakeCluster();
    cluster.serverReply = ok('https://ABC.gr7.eu-central-1.eks.amazonaws.com');
    const r = await refusal(checkCluster(phaseContext(cluster), { target: dev, outputs: fakeOutputs('dev') }));
    expect(r).toEqual({
      exitCode: EXIT.clusterUnreachable,
      message: expect.stringMatching(/EKS endpoint in eu-central-1 .* but environment "dev" runs in eu-west-1: wrong cluster$/),
    });
    expect(cluster.calls).not.toContain('serverVersion');
  });

  test('warns when the cluster runs another minor version than the environment is configured for', async () => {
    const cluster = new FakeCluster();
    cluster.serverVersionReply = ok('v1.33.2');
    const { lines, log } = collect();
    await checkCluster(phaseContext(cluster, { log }), { target: dev });
    expect(lines[1]).toBe(`warning: the cluster runs 1.33, environment "dev" is configured for ${dev.kind === 'aws' ? dev.env.cluster.kubernetesVersion : ''}`);
  });
});
