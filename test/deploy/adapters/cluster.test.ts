/** KubectlCluster: each call is one kubectl invocation with the right arguments, and its answer is read right. */
import { KubectlCluster } from '../../../deploy/adapters/cluster';
import type { KubectlResult, KubectlRunner, RunOptions } from '../../../deploy/adapters/kubectl';

class ScriptedKubectl implements KubectlRunner {
  readonly binary = 'kubectl';
  readonly calls: { args: readonly string[]; options?: RunOptions }[] = [];
  constructor(private readonly answer: (args: readonly string[]) => Partial<KubectlResult>) {}
  async run(args: readonly string[], options?: RunOptions): Promise<KubectlResult> {
    this.calls.push({ args, options });
    return { code: 0, stdout: '', stderr: '', ...this.answer(args) };
  }
}

const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: 'web' }, data: { A: '1' } };

describe('KubectlCluster', () => {
  test('apply: server-side with the field manager; an ApplySet prunes with KUBECTL_APPLYSET; dry run on the server; objects on stdin', async () => {
    const k = new ScriptedKubectl(() => ({ stdout: 'configmap/web serverside-applied\n' }));
    const cluster = new KubectlCluster(k);
    expect(await cluster.apply([configMap], { applySet: { name: 'platform-release', namespace: 'web' }, dryRun: true })).toEqual({
      ok: true,
      value: 'configmap/web serverside-applied',
    });
    expect(k.calls[0].args).toEqual([
      'apply',
      '--server-side',
      '--field-manager=platform-deploy',
      '--force-conflicts',
      '--prune',
      '--applyset=platform-release',
      '-n',
      'web',
      '--dry-run=server',
      '-f',
      '-',
    ]);
    expect(k.calls[0].options).toEqual({
      input: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: web\ndata:\n  A: '1'\n",
      env: { KUBECTL_APPLYSET: 'true' },
    });
    await cluster.apply([configMap]);
    expect(k.calls[1].args).toEqual(['apply', '--server-side', '--field-manager=platform-deploy', '--force-conflicts', '-f', '-']);
    expect(k.calls[1].options?.env).toBeUndefined();
  });

  test('a failed apply carries stderr and stdout (what was applied before the error)', async () => {
    const cluster = new KubectlCluster(new ScriptedKubectl(() => ({ code: 1, stdout: 'configmap/web serverside-applied', stderr: 'Error from server (Invalid): x' })));
    expect(await cluster.apply([configMap])).toEqual({ ok: false, error: 'Error from server (Invalid): x\nconfigmap/web serverside-applied', forbidden: false });
  });

  test('reads: a missing object is undefined, a forbidden read says so, JSON is parsed', async () => {
    const answers: Record<string, Partial<KubectlResult>> = {
      namespace: { code: 1, stderr: 'Error from server (Forbidden): namespaces "web" is forbidden' },
      deployment: { stdout: '' },
      version: { stdout: '{"clientVersion":{"gitVersion":"v1.35.4"}}' },
    };
    const k = new ScriptedKubectl((args) => answers[args[0] === 'version' ? 'version' : args[1]] ?? {});
    const cluster = new KubectlCluster(k);
    expect(await cluster.getNamespace('web')).toEqual({ ok: false, error: 'Error from server (Forbidden): namespaces "web" is forbidden', forbidden: true });
    expect(await cluster.getDeployment('web', 'web')).toEqual({ ok: true, value: undefined });
    expect(await cluster.clientVersion()).toEqual({ ok: true, value: 'v1.35.4' });
    expect(k.calls.map((c) => c.args.join(' '))).toEqual([
      'get namespace web -o json --ignore-not-found',
      'get deployment web -n web -o json --ignore-not-found --request-timeout=10s',
      'version --client -o json',
    ]);
  });

  test('can-i: yes and no (exit 1) are answers, anything else is an error', async () => {
    const replies: Partial<KubectlResult>[] = [{ stdout: 'yes\n' }, { code: 1, stdout: 'no\n' }, { code: 1, stderr: 'error: the server doesn\'t have a resource type "rolez"' }];
    const k = new ScriptedKubectl(() => replies.shift()!);
    const cluster = new KubectlCluster(k);
    expect(await cluster.canI('patch', 'namespaces/web', 'web')).toEqual({ ok: true, value: true });
    expect(await cluster.canI('create', 'namespaces')).toEqual({ ok: true, value: false });
    expect((await cluster.canI('bind', 'rolez', 'web')).ok).toBe(false);
    expect(k.calls.map((c) => c.args.join(' '))).toEqual(['auth can-i patch namespaces/web -n web', 'auth can-i create namespaces', 'auth can-i bind rolez -n web']);
  });

  test('diff: exit 0 is no change, 1 is the diff, more is an error', async () => {
    const replies: Partial<KubectlResult>[] = [{ code: 0 }, { code: 1, stdout: '+ a\n' }, { code: 2, stderr: 'boom' }];
    const cluster = new KubectlCluster(new ScriptedKubectl(() => replies.shift()!));
    expect(await cluster.diff([configMap])).toEqual({ ok: true, value: '' });
    expect(await cluster.diff([configMap])).toEqual({ ok: true, value: '+ a' });
    expect(await cluster.diff([configMap])).toEqual({ ok: false, error: 'boom', forbidden: false });
  });

  test('rollback, pods by selector, raw reads', async () => {
    const k = new ScriptedKubectl((args) => (args[1] === 'pods' ? { stdout: '{"items":[{"metadata":{"name":"web-1"}}]}' } : { stdout: 'x' }));
    const cluster = new KubectlCluster(k);
    await cluster.rollbackDeployment('web', 'web', '3');
    expect(await cluster.listPods('web', { 'app.kubernetes.io/name': 'web' })).toEqual({ ok: true, value: [{ metadata: { name: 'web-1' } }] });
    await cluster.getRaw('/api/v1/namespaces/web/pods/web-1:9090/proxy/metrics');
    expect(k.calls.map((c) => c.args.join(' '))).toEqual([
      'rollout undo deployment/web -n web --to-revision=3',
      'get pods -n web -l app.kubernetes.io/name=web -o json',
      'get --raw /api/v1/namespaces/web/pods/web-1:9090/proxy/metrics --request-timeout=10s',
    ]);
  });

  test('lease lock calls: read a Lease, create (fails when it exists), replace at its resourceVersion, delete', async () => {
    const k = new ScriptedKubectl((args) => (args[0] === 'get' ? { stdout: '{"metadata":{"name":"platform-deploy-lock","resourceVersion":"7"}}' } : { stdout: 'ok' }));
    const cluster = new KubectlCluster(k);
    expect(await cluster.getLease('platform-deploy-lock', 'web')).toEqual({ ok: true, value: { metadata: { name: 'platform-deploy-lock', resourceVersion: '7' } } });
    await cluster.create(configMap);
    await cluster.replace(configMap);
    await cluster.delete('lease.coordination.k8s.io', 'platform-deploy-lock', 'web');
    expect(k.calls.map((c) => c.args.join(' '))).toEqual([
      'get lease.coordination.k8s.io platform-deploy-lock -n web -o json --ignore-not-found',
      'create -f -',
      'replace -f -',
      'delete lease.coordination.k8s.io platform-deploy-lock -n web --ignore-not-found',
    ]);
    expect(k.calls[1].options?.input).toContain('kind: ConfigMap');
  });

  test("migration and configuration calls: get an object (missing is undefined), list by label, the last lines of a pod's logs", async () => {
    const answers: Record<string, Partial<KubectlResult>> = {
      get: { stdout: '{"kind":"Job","metadata":{"name":"web-migrate-1"}}' },
      list: { stdout: '{"items":[{"kind":"ConfigMap","metadata":{"name":"web-config-1"}}]}' },
      missing: { stdout: '' },
      logs: { stdout: 'line 1\nline 2\n' },
      failedLogs: { code: 1, stderr: 'Error from server (BadRequest): container "web" in pod "p" is waiting to start' },
    };
    const order = ['get', 'missing', 'list', 'logs', 'failedLogs'];
    const k = new ScriptedKubectl(() => answers[order.shift()!]);
    const cluster = new KubectlCluster(k);
    expect(await cluster.get('job.batch', 'web-migrate-1', 'web')).toEqual({ ok: true, value: { kind: 'Job', metadata: { name: 'web-migrate-1' } } });
    expect(await cluster.get('job.batch', 'web-migrate-2', 'web')).toEqual({ ok: true, value: undefined });
    expect(await cluster.list('configmaps', 'web', { 'platform.local/config-of': 'web' })).toEqual({
      ok: true,
      value: [{ kind: 'ConfigMap', metadata: { name: 'web-config-1' } }],
    });
    expect(await cluster.logs('web-migrate-1-x7k2p', 'web', 20)).toEqual({ ok: true, value: 'line 1\nline 2\n' });
    expect(await cluster.logs('p', 'web', 20)).toEqual({ ok: false, error: 'Error from server (BadRequest): container "web" in pod "p" is waiting to start', forbidden: false });
    expect(k.calls.map((c) => c.args.join(' '))).toEqual([
      'get job.batch web-migrate-1 -n web -o json --ignore-not-found --request-timeout=10s',
      'get job.batch web-migrate-2 -n web -o json --ignore-not-found --request-timeout=10s',
      'get configmaps -n web -l platform.local/config-of=web -o json --request-timeout=20s',
      'logs web-migrate-1-x7k2p -n web --tail=20 --all-containers=true --request-timeout=10s',
      'logs p -n web --tail=20 --all-containers=true --request-timeout=10s',
    ]);
  });
});
