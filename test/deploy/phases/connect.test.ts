import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failed, ok } from '../../../deploy/adapters/cluster';
import { EXIT } from '../../../deploy/errors';
import { checkCluster, connect, kubeconfigSource } from '../../../deploy/phases/connect';
import { resolveTarget } from '../../../deploy/phases/prepare';
import { config, fakeOutputs } from '../fixtures';
import { FakeCluster } from '../fake-cluster';
import { collect, refusal } from './support';

const generic = resolveTarget(config, 'generic');
const dev = resolveTarget(config, 'dev');
const dir = mkdtempSync(join(tmpdir(), 'deploy-connect-'));
const file = join(dir, 'kubeconfig');
writeFileSync(file, 'apiVersion: v1\nkind: Config\n');

describe('kubeconfig source', () => {
  test('--kubeconfig wins, for any target', () => {
    expect(kubeconfigSource({ kubeconfig: file }, dev, { KUBECONFIG: '/elsewhere' })).toEqual({ kind: 'file', path: file });
  });

  test('a portable target falls back to KUBECONFIG, kept as it is (a list is for kubectl to read)', () => {
    expect(kubeconfigSource({}, generic, { KUBECONFIG: `${file}:/missing/second` })).toEqual({ kind: 'environment', value: `${file}:/missing/second` });
  });

  test('an aws environment without --kubeconfig resolves its EKS cluster (KUBECONFIG is not used)', () => {
    expect(kubeconfigSource({}, dev, { KUBECONFIG: file })).toEqual({ kind: 'eks' });
  });

  test('fails when the kubeconfig file is missing (exit 2), before anything is read from AWS or the cluster', () => {
    expect(() => kubeconfigSource({ kubeconfig: join(dir, 'nope') }, generic, {})).toThrow(`--kubeconfig ${join(dir, 'nope')} does not exist`);
    expect(() => kubeconfigSource({}, generic, { KUBECONFIG: join(dir, 'missing') })).toThrow(`KUBECONFIG ${join(dir, 'missing')} does not exist`);
    expect(() => kubeconfigSource({}, generic, {})).toThrow('portable target "generic" needs --kubeconfig <path> (or KUBECONFIG) naming its cluster');
  });

  test('a file or KUBECONFIG opens the cluster with that target, and nothing to clean up', async () => {
    const targets: unknown[] = [];
    const open = (t: unknown) => (targets.push(t), new FakeCluster());
    await connect({ kind: 'file', path: file }, { options: { context: 'ci' }, aws: {} }, open, collect().log);
    await connect({ kind: 'environment', value: file }, { options: {}, aws: {} }, open, collect().log);
    expect(targets).toEqual([
      { kubeconfig: file, context: 'ci' },
      { kubeconfig: undefined, context: undefined },
    ]);
  });
});

describe('cluster check', () => {
  test('names the server, its version and kubectl', async () => {
    const { lines, log } = collect();
    expect(await checkCluster(new FakeCluster(), generic, {}, log)).toEqual({ server: 'https://127.0.0.1:6443', serverVersion: 'v1.35.4', clientVersion: 'v1.35.4' });
    expect(lines).toEqual(['cluster: https://127.0.0.1:6443 (Kubernetes v1.35.4); kubectl v1.35.4']);
  });

  test('fails when kubectl is older than 1.27 (no ApplySet pruning): exit 2', async () => {
    const cluster = new FakeCluster();
    cluster.clientVersionReply = ok('v1.26.9');
    expect(await refusal(checkCluster(cluster, generic, {}, collect().log))).toEqual({
      exitCode: EXIT.invalidInput,
      message: 'fake-kubectl (v1.26.9) cannot prune with ApplySets: kubectl 1.27 or newer is required (set KUBECTL)',
    });
  });

  test('fails when the kubeconfig has no usable context (exit 2), naming the context asked for', async () => {
    const cluster = new FakeCluster();
    cluster.serverReply = failed('error: context "ci" does not exist');
    expect(await refusal(checkCluster(cluster, generic, { context: 'ci' }, collect().log))).toEqual({
      exitCode: EXIT.invalidInput,
      message: 'the kubeconfig has no usable context "ci": error: context "ci" does not exist',
    });
  });

  test('fails when the cluster does not answer (exit 3)', async () => {
    const cluster = new FakeCluster();
    cluster.serverVersionReply = failed(
      "E1201 memcache.go:265] couldn't get current server API group list\nUnable to connect to the server: dial tcp 127.0.0.1:9: connect: connection refused",
    );
    const r = await refusal(checkCluster(cluster, generic, {}, collect().log));
    expect(r.exitCode).toBe(EXIT.clusterUnreachable);
    expect(r.message).toMatch(/^cannot reach the cluster at https:\/\/127\.0\.0\.1:6443: .*connection refused$/);
  });

  test('fails when the kubeconfig points at an EKS endpoint of another region (exit 3: wrong cluster)', async () => {
    const cluster = new FakeCluster();
    cluster.serverReply = ok('https://ABC.gr7.eu-central-1.eks.amazonaws.com');
    const r = await refusal(checkCluster(cluster, dev, { outputs: fakeOutputs('dev') }, collect().log));
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
    await checkCluster(cluster, dev, {}, log);
    expect(lines[1]).toBe(`warning: the cluster runs 1.33, environment "dev" is configured for ${dev.kind === 'aws' ? dev.env.cluster.kubernetesVersion : ''}`);
  });
});
