/**
 * The sample's three workloads run together on the real node against a real PostgreSQL, with the NetworkPolicies
 * enforced (kube-router): a request to `web` records work, the `worker` processes it, and a run of the `prune` CronJob
 * (a Job created from its template) deletes it; every pod runs under Pod Security `restricted`.
 * Depends on: the cluster of global-setup with a real node; the local environment's pieces (./local-env.ts:
 * cluster/local/db.sh, scripts/local-database.ts), as `npm run local:up` uses them.
 */
import { type PlatformConfig } from '../../config';
import { localConfig } from '../../config/examples/local';
import { APP_ENV } from '../../config/app-env';
import { buildNodeImages, hasRealNode, kubectl, kubectlJson, REAL_NODE, scheduleOn } from './helpers';
import { applyTarget, startLocalDatabase, stopLocalDatabase } from './local-env';

const NS = 'sample';
const RUN = `sw${Date.now().toString(36)}`;
const IMAGE = `platform.local/web:${RUN}`;
const generic = localConfig.portableTargets.find((t) => t.name === 'generic')!;
const target = { ...generic, namespace: NS };
const config: PlatformConfig = { ...localConfig, portableTargets: [target] };

async function request(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  return { status: r.status, json: await r.json() };
}

async function until<T>(what: string, seconds: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds}s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The restricted profile's requirements, as the pod spec states them (what PSA checked when it admitted the pod). */
function restrictedProblems(pod: any): string[] {
  const problems: string[] = [];
  const podContext = pod.spec.securityContext ?? {};
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    const sc = c.securityContext ?? {};
    if ((sc.runAsNonRoot ?? podContext.runAsNonRoot) !== true) problems.push(`${c.name}: runAsNonRoot`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${c.name}: allowPrivilegeEscalation`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${c.name}: capabilities.drop ALL`);
    if ((sc.seccompProfile?.type ?? podContext.seccompProfile?.type) !== 'RuntimeDefault') problems.push(`${c.name}: seccompProfile`);
  }
  return problems;
}

const realNodeExpected = process.env.PLATFORM_NODE !== 'kwok';
(realNodeExpected ? describe : describe.skip)('the sample workloads together (real node, real PostgreSQL, policies enforced)', () => {
  let web: string;
  /** Who runs pods: each rendered pod template's name label (web, worker, prune, and web's migration Job). */
  let runners: string[];

  beforeAll(async () => {
    expect(await hasRealNode()).toBe(true);
    await scheduleOn('real');
    expect(buildNodeImages(['--tag', RUN]).trim().split('\n').pop()).toBe(IMAGE);
    await kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=180s']);
    expect(await startLocalDatabase(target)).toHaveLength(3);
    const objects = await applyTarget(config, target, IMAGE);
    const templates = objects.map((o) => o.spec?.jobTemplate?.spec?.template ?? o.spec?.template).filter(Boolean);
    runners = [...new Set<string>(templates.map((t: any) => t.metadata.labels['app.kubernetes.io/name']))].sort();
    const svc = await kubectlJson(['get', 'service', 'web', '-n', NS]);
    web = `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}`;
  });

  afterAll(async () => {
    await kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=false']);
    stopLocalDatabase();
  });

  test('a request to web records work, the worker processes it, a run of the prune CronJob deletes it; every pod runs restricted', async () => {
    const added = await request(web, 'POST', '/work', { payload: `e2e ${RUN}` });
    expect(added.status).toBe(202);
    const id: string = added.json.id;

    const processed = await until('the worker processes the item', 30, async () => {
      const r = await request(web, 'GET', `/work/${id}`);
      return r.status === 200 && r.json.processedAt ? r.json : undefined;
    });
    const workers = await kubectlJson(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=worker']);
    expect(workers.items.map((p: any) => p.metadata.name)).toContain(processed.processedBy);

    // One run of the CronJob: a Job from its template, told to prune what was processed before now (not a week ago).
    const cron = await kubectlJson(['get', 'cronjob', 'prune', '-n', NS]);
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `prune-${RUN}`, namespace: NS }, spec: cron.spec.jobTemplate.spec };
    const container = job.spec.template.spec.containers[0];
    container.env = [...(container.env ?? []).filter((e: any) => e.name !== APP_ENV.pruneAfterSeconds), { name: APP_ENV.pruneAfterSeconds, value: '0' }];
    expect((await kubectl(['apply', '-f', '-'], JSON.stringify(job))).code).toBe(0);
    const done = await kubectl(['wait', '--for=condition=Complete', `job/prune-${RUN}`, '-n', NS, '--timeout=120s']);
    expect(done.stderr).toBe('');
    expect((await request(web, 'GET', `/work/${id}`)).status).toBe(404);

    // Every pod (web, worker, the prune run) ran on the real node in a namespace that enforces restricted.
    const ns = await kubectlJson(['get', 'namespace', NS]);
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const pods = (await kubectlJson(['get', 'pods', '-n', NS])).items;
    const names = pods.map((p: any) => p.metadata.labels['app.kubernetes.io/name']);
    expect(runners).toEqual(expect.arrayContaining(['prune', 'web', 'worker']));
    expect([...new Set(names)].sort()).toEqual(runners);
    for (const pod of pods) {
      expect([pod.metadata.name, pod.spec.nodeName, restrictedProblems(pod)]).toEqual([pod.metadata.name, REAL_NODE, []]);
    }
  });
});
