/**
 * Each workload released on its own, on the REAL node against a real PostgreSQL (the local environment's, see
 * ./local-env.ts) with the NetworkPolicies enforced (kube-router), under bounded load at `web` from this process.
 * Each scenario prints one `bench-rollout: {…}` line.
 *
 * The tests share the generic target's namespace and run in the order they are numbered; each starts from the state
 * the ones before it left:
 * - beforeAll: the images, a fresh namespace, the database roles and their Secrets, and a first release of every
 *   workload (web, worker, prune) on tag a.
 * - 1 (worker alone, tag b): needs web and worker running; leaves worker on b, web on a.
 * - 2 (worker crashes at start): needs worker on b; rolled back, so worker stays on b.
 * - 3 (web's migration fails): needs web on a; stopped before web's pods change, so web stays on a.
 * - 4 (web and worker at the same moment, tag c; then worker twice at once, tag d): leaves web on c, worker on d.
 * - 5 (configuration and image together, failing): needs web on c; rolled back, so web stays on c with its
 *   configuration.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { renderTarget } from '../../charts/app';
import { localConfig } from '../../config/examples/local';
import { EXIT } from '../../deploy/errors';
import { buildNodeImages, envWithoutAws, hasRealNode, kubeconfig, kubectl, kubectlJson, REAL_NODE, runDeploy, scheduleOn } from './helpers';
import { startLocalDatabase, stopLocalDatabase } from './local-env';
import { bench, benchOf, deploymentImage, underLoad } from './real-pods';

const target = localConfig.portableTargets.find((t) => t.name === 'generic')!;
const NS = target.namespace;
const RUN = `w${Date.now().toString(36)}`;
const image = (tag: string) => `platform.local/web:${RUN}-${tag}`;
const variant = (v: string) => `platform.local/web-test:${v}-${RUN}-a`;

const deploy = (args: string[]) => runDeploy(['--config', 'local', '--env', 'generic', ...args, '--kubeconfig', kubeconfig()], { env: envWithoutAws() });
const release = (img: string, ...workloads: string[]) => deploy(['--image', `app=${img}`, ...workloads.flatMap((w) => ['--workload', w])]);

/** A Deployment and its running pods (uid and restarts), to show a release left it untouched. */
async function deploymentState(name: string) {
  const d = await kubectlJson(['get', 'deployment', name, '-n', NS]);
  const pods = await kubectlJson(['get', 'pods', '-n', NS, '-l', `app.kubernetes.io/name=${name}`]);
  return {
    generation: d.metadata.generation,
    image: d.spec.template.spec.containers[0].image,
    configMaps: configMapsOf(d.spec.template.spec),
    pods: pods.items
      .filter((p: any) => !p.metadata.deletionTimestamp)
      .map((p: any) => `${p.metadata.name} ${p.metadata.uid} restarts=${p.status.containerStatuses?.[0]?.restartCount}`)
      .sort(),
  };
}

/** The ConfigMaps a pod spec reads (env and volumes). */
function configMapsOf(spec: any): string[] {
  const fromEnv = (spec.containers ?? []).flatMap((c: any) => (c.envFrom ?? []).map((e: any) => e.configMapRef?.name).filter(Boolean));
  const fromVolumes = (spec.volumes ?? []).map((v: any) => v.configMap?.name).filter(Boolean);
  return [...new Set<string>([...fromEnv, ...fromVolumes])].sort();
}

/** What a running web pod sees in its environment for `name` ("absent" when unset). */
async function envOf(pod: string, name: string): Promise<string> {
  const r = await kubectl(['exec', '-n', NS, pod, '-c', 'web', '--', '/nodejs/bin/node', '-e', `process.stdout.write(process.env.${name} ?? 'absent')`]);
  expect(r.stderr).toBe('');
  return r.stdout;
}

async function runningWebPods(): Promise<string[]> {
  const pods = await kubectlJson(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=web']);
  return pods.items
    .filter((p: any) => !p.metadata.deletionTimestamp && p.status.phase === 'Running' && p.status.containerStatuses?.every((c: any) => c.ready))
    .map((p: any) => p.metadata.name as string);
}

const realNodeExpected = process.env.PLATFORM_NODE !== 'kwok';
(realNodeExpected ? describe : describe.skip)('workloads released on their own (real node, real PostgreSQL, policies enforced)', () => {
  beforeAll(async () => {
    expect(await hasRealNode()).toBe(true);
    await scheduleOn('real');
    const built = buildNodeImages(['--tag', `${RUN}-a`, '--also-tag', ['b', 'c', 'd', 'e'].map((t) => `${RUN}-${t}`).join(','), '--variants', 'crash,migration-fails']);
    expect(built.trim().split('\n').pop()).toBe(image('a'));
    await kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=180s']);
    expect(await startLocalDatabase(target)).toHaveLength(target.workloads.length);
    const first = await release(image('a'));
    expect(first.code).toBe(EXIT.ok);
    expect(Object.keys(first.result.workloads)).toEqual(['web', 'worker', 'prune']);
    const pods = await kubectlJson(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=worker']);
    expect(pods.items.every((p: any) => p.spec.nodeName === REAL_NODE)).toBe(true);
  });

  afterAll(() => stopLocalDatabase());

  test('1. a release of worker alone, under load at web: 0 failed requests, web untouched (generation, pods), the worker on the new image', async () => {
    const web = await deploymentState('web');
    const { result: run, all } = await underLoad(NS, () => release(image('b'), 'worker'), { steadyMs: 3000, afterMs: 2000 });
    bench(benchOf('worker-release', all, run.result?.workloads?.worker));
    expect(run.code).toBe(EXIT.ok);
    expect(Object.keys(run.result.workloads)).toEqual(['worker']);
    expect(await deploymentImage(NS, 'worker')).toBe(image('b'));
    expect(await deploymentState('web')).toEqual(web);
    expect(all.ratePerSecond).toBeGreaterThanOrEqual(100);
    expect(all.failures).toEqual({});
  });

  test('2. a worker release that crashes at start: detected within 30 s and rolled back; web serves throughout with 0 failed requests', async () => {
    const web = await deploymentState('web');
    const { result: run, all } = await underLoad(NS, () => release(variant('crash'), 'worker'), { steadyMs: 3000, afterMs: 2000 });
    const worker = run.result?.workloads?.worker;
    bench(benchOf('worker-crash-at-start', all, worker));
    expect(run.code).toBe(EXIT.rolledBack);
    expect(worker).toMatchObject({ outcome: 'rolled-back' });
    expect(run.result.rolledBack).toEqual(['worker']);
    expect(run.stdout).toMatch(/test variant \\"crash\\": exiting at start/);
    expect(worker.detectSeconds).toBeLessThanOrEqual(30);
    expect(await deploymentImage(NS, 'worker')).toBe(image('b'));
    expect(await deploymentState('web')).toEqual(web);
    expect(all.failures).toEqual({});
  });

  test("3. a failing migration stops web's release: exit 1, web's pods unchanged, the migration's last lines in the report", async () => {
    const web = await deploymentState('web');
    const { result: run, all } = await underLoad(NS, () => release(variant('migration-fails'), 'web'), { steadyMs: 2000, afterMs: 1000 });
    bench(benchOf('migration-fails', all, run.result?.workloads?.web));
    expect(run.code).toBe(EXIT.rolledBack);
    expect(run.result.workloads.web).toMatchObject({ outcome: 'migration-failed' });
    expect(run.stdout).toMatch(/step 2 of 2 failed: relation .*work_items.* cannot be altered/);
    expect(await deploymentState('web')).toEqual(web);
    expect(all.failures).toEqual({});
  });

  test('4. two workloads released at the same moment both succeed; the same workload twice at once: the second exits 6', async () => {
    const [web, worker] = await Promise.all([release(image('c'), 'web'), release(image('c'), 'worker')]);
    expect([web.code, worker.code]).toEqual([EXIT.ok, EXIT.ok]);
    expect([await deploymentImage(NS, 'web'), await deploymentImage(NS, 'worker')]).toEqual([image('c'), image('c')]);

    const twice = await Promise.all([release(image('d'), 'worker'), release(image('d'), 'worker')]);
    expect(twice.map((r) => r.code).sort()).toEqual([EXIT.ok, EXIT.locked]);
    // Started together: the second finds the Lease held, or loses the race to create it (optimistic write).
    expect(twice.find((r) => r.code === EXIT.locked)!.stderr).toMatch(
      /(holds the lock of workload worker in namespace \S+ \(Lease platform-deploy-lock-worker\)|took the lock of workload worker in namespace \S+ at the same moment; nothing applied)/,
    );
    expect(await deploymentImage(NS, 'worker')).toBe(image('d'));
  });

  test('5. a release that changes configuration and image together and fails: after the rollback the running pods, and a pod started afterwards, see the old configuration', async () => {
    const before = await deploymentState('web');
    expect(before.configMaps).toHaveLength(1);
    const [oldConfig] = before.configMaps;
    // web's files as render writes them, with one more setting in its ConfigMap (under a new content-addressed name)
    // and the crashing image.
    const { files } = renderTarget(localConfig, 'generic', { images: { app: variant('crash') } });
    const dir = mkdtempSync(join(tmpdir(), 'e2e-config-change-'));
    const newConfig = `${oldConfig}-e2e`;
    for (const file of files!.filter((f) => !f.workload || f.workload === 'web')) {
      const objects = (file.objects as any[]).map((o) => {
        if (o.kind === 'ConfigMap' && o.metadata.name.startsWith('web-config-'))
          return { ...o, metadata: { ...o.metadata, name: newConfig }, data: { ...o.data, E2E_SETTING: 'new' } };
        return JSON.parse(JSON.stringify(o).replaceAll(`"${oldConfig}"`, `"${newConfig}"`));
      });
      writeFileSync(join(dir, file.file), objects.map((o) => dump(o)).join('---\n'));
    }
    const run = await deploy(['--manifests', dir]);
    expect(run.code).toBe(EXIT.rolledBack);
    expect(run.result.workloads.web).toMatchObject({ outcome: 'rolled-back' });
    const after = await deploymentState('web');
    expect(after.configMaps).toEqual([oldConfig]);
    expect(after.image).toBe(before.image);
    const [running] = await runningWebPods();
    expect(await envOf(running, 'E2E_SETTING')).toBe('absent');
    // A pod of the old version restarted after the rollback reads the old configuration too.
    expect((await kubectl(['delete', 'pod', running, '-n', NS, '--wait=false'])).code).toBe(0);
    const deadline = Date.now() + 90_000;
    let fresh: string | undefined;
    while (!fresh && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      fresh = (await runningWebPods()).find((p) => !before.pods.some((b: string) => b.startsWith(`${p} `)) && p !== running);
    }
    expect(fresh).toBeDefined();
    expect(await envOf(fresh!, 'E2E_SETTING')).toBe('absent');
    expect((await kubectl(['get', 'configmap', oldConfig, '-n', NS, '-o', 'name'])).stdout.trim()).toBe(`configmap/${oldConfig}`);
  });
});
