/**
 * The "kubectl apply" path without the deploy command, on the REAL node with the real sample image: docs/kubectl-gitops-helm.md's
 * `npm run render -- --env generic --image app=<ref> --out <dir>`, then only kubectl — `kubectl apply --server-side -f
 * <dir>`, the Secret the render names, `kubectl rollout status` — and the release serves: real HTTP requests through
 * the Service (its ClusterIP, through the node's bridge) answer 200, and the rendered pods' own request logs account
 * for every one of them. A second render + apply rolls a new image out, which serves the same way.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localConfig } from '../../config/examples/local';
import { startLoad, summarize } from '../support/load';
import { buildNodeImages, hasRealNode, kubectl, kubectlJson, REAL_NODE, root, scheduleOn } from './helpers';

const NS = localConfig.portableTargets.find((t) => t.name === 'generic')!.namespace;
const RUN = `render${Date.now().toString(36)}`;
const image = (tag: string) => `platform.local/web:${RUN}-${tag}`;
/** Requests sent to each release: bounded in count and time. */
const REQUESTS = 200;
const RATE = 40;

/** `npm run render` exactly as docs/kubectl-gitops-helm.md documents it. */
function render(img: string, out: string): string {
  const r = spawnSync('npm', ['run', 'render', '--', '--config', 'local', '--env', 'generic', '--image', `app=${img}`, '--out', out], { cwd: root, encoding: 'utf8' });
  expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return r.stdout;
}

async function rolloutStatus(): Promise<void> {
  const r = await kubectl(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=180s']);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(/successfully rolled out/);
}

/**
 * The Deployment is applied without replicas (the HPA owns them) and starts at 1; the HPA raises it to minReplicas
 * within its sync period, possibly after `rollout status` has already returned: wait for that, then for the rollout.
 */
async function atMinReplicas(): Promise<number> {
  const hpa = await kubectlJson(['get', 'hpa', 'web', '-n', NS]);
  for (let i = 0; i < 60; i++) {
    const d = await kubectlJson(['get', 'deployment', 'web', '-n', NS]);
    if ((d.spec.replicas ?? 1) >= hpa.spec.minReplicas) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await rolloutStatus();
  return hpa.spec.minReplicas as number;
}

/** Pods of the release that run `img` (not terminating). */
async function podsOf(img: string): Promise<any[]> {
  const pods = await kubectlJson(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=web']);
  return pods.items.filter((p: any) => !p.metadata.deletionTimestamp && p.spec.containers[0].image === img);
}

/** Names of the pods behind the Service's ready endpoints. */
async function readyEndpoints(): Promise<string[]> {
  const slices = await kubectlJson<{ items: { endpoints?: { conditions?: { ready?: boolean }; targetRef?: { name: string } }[] }[] }>([
    'get',
    'endpointslices',
    '-n',
    NS,
    '-l',
    'kubernetes.io/service-name=web',
  ]);
  return slices.items
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready)
    .map((e) => e.targetRef?.name ?? '')
    .sort();
}

/** The service's request log lines for `GET /` in a pod's log (one per request it answered; probes are not logged). */
async function loggedRequests(pod: string): Promise<number> {
  const r = await kubectl(['logs', pod, '-n', NS, '-c', 'web']);
  expect(r.code).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; path?: string; status?: number })
    .filter((e) => e.msg === 'request' && e.path === '/' && e.status === 200).length;
}

/**
 * REQUESTS requests through the Service: every one must answer 200 with the service's body, and the release's pods
 * must have logged exactly as many (so they, and nothing else, answered).
 */
async function serves(img: string): Promise<{ requests: number; failed: number; answeredBy: Record<string, number> }> {
  const svc = await kubectlJson(['get', 'service', 'web', '-n', NS]);
  const pods = (await podsOf(img)).map((p) => p.metadata.name as string).sort();
  // Endpoints follow the pods asynchronously (about 1 s late here, as on a real cluster: cluster/kwokctl.yaml).
  let endpoints = await readyEndpoints();
  for (let waited = 0; JSON.stringify(endpoints) !== JSON.stringify(pods) && waited < 15_000; waited += 500) {
    await new Promise((r) => setTimeout(r, 500));
    endpoints = await readyEndpoints();
  }
  expect(endpoints).toEqual(pods);
  const before = Object.fromEntries(await Promise.all(pods.map(async (p) => [p, await loggedRequests(p)] as const)));
  const load = startLoad({ host: svc.spec.clusterIP, port: svc.spec.ports[0].port, path: '/', ratePerSecond: RATE, maxRequests: REQUESTS, maxSeconds: 30 });
  await load.done;
  const summary = summarize(await load.stop());
  expect(summary.failures).toEqual({});
  expect(summary.requests).toBe(REQUESTS);
  // The logs are written as the answers go out; give kubectl logs a moment to see the last lines.
  let answeredBy: Record<string, number> = {};
  for (let i = 0; i < 20; i++) {
    answeredBy = Object.fromEntries(await Promise.all(pods.map(async (p) => [p, (await loggedRequests(p)) - before[p]] as const)));
    if (Object.values(answeredBy).reduce((a, b) => a + b, 0) >= REQUESTS) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(Object.values(answeredBy).reduce((a, b) => a + b, 0)).toBe(REQUESTS);
  return { requests: summary.requests, failed: summary.failed, answeredBy };
}

const cleanUp = () => kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=180s']);

const describeReal = process.env.PLATFORM_NODE !== 'kwok' ? describe : describe.skip;

describeReal('plain kubectl apply of rendered manifests (real node)', () => {
  beforeAll(async () => {
    expect(await hasRealNode()).toBe(true);
    await scheduleOn('real');
    // The real sample image, under two tags (one per release), built without Docker and imported into the node.
    const built = buildNodeImages(['--tag', `${RUN}-a`, '--also-tag', `${RUN}-b`]);
    expect(built.trim().split('\n').pop()).toBe(image('a'));
    await cleanUp();
  });
  afterAll(cleanUp);

  test('npm run render + kubectl apply --server-side rolls out and serves (200 from the rendered pods), and rolls a new image out', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'render-e2e-')), 'generic');
    const stdout = render(image('a'), out);
    for (const w of ['web', 'worker', 'prune']) expect(stdout).toContain(`Secret ${w}-database`);

    // As render prints it: the namespace file first, then the folder (one file per workload).
    const namespaceApplied = await kubectl(['apply', '--server-side', '-f', join(out, 'namespace.k8s.yaml')]);
    expect({ code: namespaceApplied.code, stderr: namespaceApplied.stderr }).toEqual({ code: 0, stderr: '' });
    expect(namespaceApplied.stdout).toMatch(/^namespace\/web serverside-applied$/m);
    const applied = await kubectl(['apply', '--server-side', '-f', out]);
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' }); // no Pod Security warning either
    expect(applied.stdout).toMatch(/^deployment\.apps\/web serverside-applied$/m);
    // The Secret the render named (never written by it): created by the operator.
    const secret = await kubectl([
      'create',
      'secret',
      'generic',
      'web-database',
      '-n',
      NS,
      '--from-literal=host=127.0.0.1',
      '--from-literal=port=5432',
      '--from-literal=dbname=web',
      '--from-literal=username=web',
      `--from-literal=password=${randomBytes(18).toString('base64url')}`,
    ]);
    expect(secret.code).toBe(0);
    await rolloutStatus();
    const minReplicas = await atMinReplicas();
    const first = await podsOf(image('a'));
    expect(first.length).toBeGreaterThanOrEqual(minReplicas);
    expect(first.every((p) => p.spec.nodeName === REAL_NODE)).toBe(true);
    const served1 = await serves(image('a'));

    render(image('b'), out);
    const again = await kubectl(['apply', '--server-side', '-f', out]);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
    await rolloutStatus();
    const deployment = await kubectlJson(['get', 'deployment', 'web', '-n', NS]);
    expect(deployment.spec.template.spec.containers[0].image).toBe(image('b'));
    // Terminating old pods are no longer ready endpoints: only the new release's pods may answer.
    const served2 = await serves(image('b'));
    process.stderr.write(`[e2e] render + kubectl apply: ${JSON.stringify({ first: served1, second: served2 })}\n`);
  });
});
