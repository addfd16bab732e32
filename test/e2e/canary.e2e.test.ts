/**
 * Canary releases of the generic target on the REAL node, under bounded load from this process at the workload's
 * Service (ClusterIP, 198.19.0.0/24 through the node's bridge), every failed request counted and attributed to the
 * pod that answered (the test variants name it in `x-platform-pod`; canary pods are `web-canary-…`). The deploy
 * command runs with `--config local-canary` (config/examples/local-canary.ts): a third of the pods, 3 × 5 s.
 * Each scenario prints one `bench-rollout: {…}` line (`npm run bench:rollout`).
 *
 * The tests share one namespace and run in the order they are declared and numbered; each starts from the state the
 * ones before it left:
 * - beforeAll: the images, a fresh namespace and the first release (ok, tag a): a plain rollout, 2 stable pods.
 * - 1 (5xx), 2 (slow), 3 (never Ready): each needs the stable Deployment of beforeAll (ok-a, 2 pods: the canary's
 *   share is measured against them) and leaves it untouched (aborted).
 * - 4 (good release, ok-b): needs a stable Deployment on another image; promotes, so from here stable runs ok-b.
 * - 5 (too little traffic, ok-c): needs a stable Deployment; aborted, stable stays on ok-b.
 * - 6 (killed mid-analysis): needs a stable Deployment; its last deploy completes, so stable runs ok-d.
 * - 7 (--abort-canary): creates its own leftover canary; needs the lock free (test 6's last deploy released it) and
 *   checks that stable still runs ok-d, as test 6 left it.
 * - 8 (SIGTERM mid-analysis): needs a stable Deployment (ok-d) and the lock free; cancelled, so stable stays on ok-d.
 */
import type { ChildProcess } from 'node:child_process';
import { dump, loadAll } from 'js-yaml';
import { renderTarget } from '../../charts/app';
import { localConfig } from '../../config/examples/local';
import { LOCAL_CANARY } from '../../config/examples/local-canary';
import { canaryDeployment } from '../../deploy/canary/deployment';
import { EXIT } from '../../deploy/errors';
import { LOCK_DURATION_SECONDS, workloadLockName } from '../../deploy/phases/lock';
import type { Sample } from '../support/load';
import { buildNodeImages, envWithoutAws, hasRealNode, kubeconfig, kubectl, kubectlJson, REAL_NODE, runDeploy, scheduleOn, type DeployRun } from './helpers';
import { stopLocalDatabase } from './local-env';
import { bench, benchOf, deploymentImage, freshNamespace, runningPods, underLoad } from './real-pods';

const NS = localConfig.portableTargets.find((t) => t.name === 'generic')!.namespace;
const RUN = `c${Date.now().toString(36)}`;
/** A test variant under one of the run's tags (cluster/node/image.sh --also-tag tags the variants too). */
const variant = (v: string, tag = 'a') => `platform.local/web-test:${v}-${RUN}-${tag}`;

// web alone: the canary is web's (the worker and the CronJob need database Secrets this suite does not create).
const deployArgs = (img: string) => ['--config', 'local-canary', '--env', 'generic', '--image', img, '--workload', 'web', '--kubeconfig', kubeconfig()];
const deploy = (img: string, onSpawn?: (child: ChildProcess) => void) => runDeploy(deployArgs(img), { env: envWithoutAws(), onSpawn });

/** Starts a deploy of `img` and resolves once its canary analysis has begun (its first interval line). */
async function deployUntilAnalysing(img: string): Promise<{ child: ChildProcess; run: Promise<DeployRun> }> {
  let child!: ChildProcess;
  let analysing!: () => void;
  const inAnalysis = new Promise<void>((r) => (analysing = r));
  let out = '';
  const run = deploy(img, (c) => {
    child = c;
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/canary interval 1\/3/.test(out)) analysing();
    });
  });
  const ended = await Promise.race([inAnalysis.then(() => undefined), run]);
  if (ended) throw new Error(`the deploy ended (exit ${ended.code}) before its canary analysis began`);
  return { child, run };
}

const isCanary = (s: Sample) => s.pod?.startsWith('web-canary-') ?? false;
const answered = (s: Sample) => /^\d+$/.test(s.outcome);

/**
 * Who answered while the canary was live (from its first to its last answer, among requests sent after the deploy
 * started): its share of the answers, how long it served, its exposure (share × seconds), failed requests by track,
 * and connection errors (requests that got no answer at all).
 */
function tracks(samples: readonly Sample[], from: number) {
  const sent = samples.filter((s) => s.t >= from);
  const canary = sent.filter(isCanary);
  const first = canary[0]?.t ?? 0;
  const last = canary.at(-1)?.t ?? 0;
  const live = sent.filter((s) => answered(s) && s.t >= first && s.t <= last);
  const share = canary.length ? Math.round((1000 * canary.length) / live.length) / 10 : 0;
  const liveSeconds = Math.round((last - first) / 100) / 10;
  return {
    canaryRequests: canary.length,
    canaryShare: share,
    canaryLiveSeconds: liveSeconds,
    exposureSeconds: Math.round(share * liveSeconds) / 100,
    failedOnCanary: samples.filter((s) => !s.ok && isCanary(s)).length,
    failedOnStable: samples.filter((s) => !s.ok && answered(s) && !isCanary(s)).length,
    connectionErrors: samples.filter((s) => !answered(s)).length,
  };
}

/** The stable Deployment and its pods, to show they were never touched. */
async function stableState() {
  const d = await kubectlJson(['get', 'deployment', 'web', '-n', NS]);
  const pods = (await runningPods(NS)).filter((p) => !p.metadata.name.startsWith('web-canary-'));
  return {
    generation: d.metadata.generation,
    image: d.spec.template.spec.containers[0].image,
    progressDeadlineSeconds: d.spec.progressDeadlineSeconds as number,
    pods: pods.map((p) => `${p.metadata.name} ${p.metadata.uid} restarts=${p.status.containerStatuses?.[0]?.restartCount}`).sort(),
  };
}

async function canaryExists(): Promise<boolean> {
  return (await kubectl(['get', 'deployment', 'web-canary', '-n', NS, '--ignore-not-found', '-o', 'name'])).stdout.trim() !== '';
}

/** An aborted canary: exit 1, the stable Deployment (generation, image, pods) as it was, the canary gone. */
async function expectAborted(run: DeployRun, before: Awaited<ReturnType<typeof stableState>>): Promise<void> {
  expect(run.code).toBe(EXIT.rolledBack);
  expect(run.result).toMatchObject({ outcome: 'canary-aborted', canary: 'aborted' });
  expect(run.stdout).toMatch(/deployment\/web was never touched: still revision \d+ \(/);
  expect(await stableState()).toEqual(before);
  expect(await canaryExists()).toBe(false);
}

const realNodeExpected = process.env.PLATFORM_NODE !== 'kwok';
const describeReal = realNodeExpected ? describe : describe.skip;

describeReal('canary releases on real pods under load (real node)', () => {
  const started = Date.now();

  beforeAll(async () => {
    expect(await hasRealNode()).toBe(true);
    await scheduleOn('real');
    const built = buildNodeImages(['--tag', `${RUN}-a`, '--also-tag', ['b', 'c', 'd'].map((t) => `${RUN}-${t}`).join(','), '--variants', 'ok,http-5xx,slow,never-ready']);
    expect(built).toContain(variant('ok', 'd'));
    await freshNamespace(NS);
    const first = await deploy(variant('ok'));
    expect(first.code).toBe(EXIT.ok);
    // No stable pods yet: nothing to compare a canary with.
    expect(first.stdout).toMatch(/canary: no deployment\/web runs yet \(first release\), so there are no stable pods to compare a canary with: plain rollout/);
    const pods = await runningPods(NS);
    expect(pods.length).toBe(2);
    expect(pods.every((p) => p.spec.nodeName === REAL_NODE)).toBe(true);
  });

  afterAll(() => {
    stopLocalDatabase();
    process.stderr.write(`[e2e] canary suite: ${Math.round((Date.now() - started) / 1000)} s\n`);
  });

  test('1. Ready but failing (5xx on 20 % of its requests): aborted within 30 s of Ready; the canary got its share, no stable pod failed a request, stable untouched; exit 1', async () => {
    const before = await stableState();
    const { result: run, all, samples, from } = await underLoad(NS, () => deploy(variant('http-5xx')), { steadyMs: 3000, afterMs: 2000 });
    const seen = tracks(samples, from);
    process.stderr.write(`[e2e] 5xx canary: ${JSON.stringify({ all, ...seen, result: run.result })}\n`);
    bench(benchOf('canary-5xx', all, run.result, { abortSeconds: run.result?.abortSeconds ?? null, canaryReadySeconds: run.result?.canaryReadySeconds ?? null, ...seen }));
    await expectAborted(run, before);
    expect(run.stdout).toMatch(/aborted: interval \d: success rate [\d.]+ % \(\d+ of \d+ requests 5xx\) is below 99 %/);
    expect(run.stdout).toMatch(/canary pods: web-canary-[a-z0-9]+-[a-z0-9]+ \(platform\.local\/web-test:http-5xx-/);
    expect(run.stdout).toMatch(/stable pods: web-[a-z0-9]+-[a-z0-9]+, web-[a-z0-9]+-[a-z0-9]+ \(platform\.local\/web-test:ok-/);
    expect(run.result.abortSeconds).toBeLessThanOrEqual(30);
    expect(seen.canaryLiveSeconds).toBeLessThanOrEqual(30);
    expect(all.ratePerSecond).toBeGreaterThanOrEqual(100);
    expect(Math.abs(seen.canaryShare - LOCAL_CANARY.sharePercent)).toBeLessThanOrEqual(6);
    expect(seen.failedOnCanary).toBeGreaterThan(0);
    expect(seen.failedOnStable).toBe(0);
    expect(seen.connectionErrors).toBe(0);
    expect(all.failed).toBe(seen.failedOnCanary);
  });

  test('2. slow (400 ms more per request): aborted on its p95, against the threshold and the stable pods; 0 failed requests', async () => {
    const before = await stableState();
    const { result: run, all, samples, from } = await underLoad(NS, () => deploy(variant('slow')), { steadyMs: 3000, afterMs: 2000 });
    const seen = tracks(samples, from);
    bench(benchOf('canary-slow', all, run.result, { abortSeconds: run.result?.abortSeconds ?? null, canaryReadySeconds: run.result?.canaryReadySeconds ?? null, ...seen }));
    await expectAborted(run, before);
    expect(run.stdout).toMatch(/aborted: interval \d: .*p95 latency [\d.]+ ms is more than 50 % above the stable pods' [\d.]+ ms/);
    expect(seen.canaryRequests).toBeGreaterThan(0);
    expect(all.failed).toBe(0);
  });

  test("3. never Ready: aborted by the startup budget (before a plain rollout's progress deadline), stable pods untouched, 0 failed requests", async () => {
    const before = await stableState();
    const { result: run, all, samples, from } = await underLoad(NS, () => deploy(variant('never-ready')), { steadyMs: 3000, afterMs: 1000 });
    const seen = tracks(samples, from);
    bench(benchOf('canary-never-ready', all, run.result, { abortSeconds: null, ...seen }));
    await expectAborted(run, before);
    expect(run.result.canaryStage).toBe('never-ready');
    expect(run.stdout).toMatch(/canary of platform\.local\/web-test:never-ready-\S+ aborted: the canary did not become Ready: 1 new pod failed \(StartupBudgetExceeded\)/);
    expect(run.result.detectSeconds).toBeLessThan(before.progressDeadlineSeconds);
    expect(seen.canaryRequests).toBe(0);
    expect(all.failed).toBe(0);
  });

  test('4. a good release: promoted after 3 passing intervals, every replica on the new image, 0 failed requests', async () => {
    const { result: run, all, samples, from } = await underLoad(NS, () => deploy(variant('ok', 'b')), { steadyMs: 3000, afterMs: 3000 });
    const seen = tracks(samples, from);
    bench(benchOf('canary-promoted', all, run.result, { abortSeconds: null, analysisSeconds: run.result?.analysisSeconds ?? null, ...seen }));
    expect(run.code).toBe(EXIT.ok);
    expect(run.result).toMatchObject({ outcome: 'applied', canary: 'promoted', canaryInconclusive: false });
    expect(run.stdout).toMatch(/canary passed \(3 of 3 intervals passed, 0 failed \(failureLimit 0\)\); promoting: deployment\/web rolls to/);
    expect(await deploymentImage(NS)).toBe(variant('ok', 'b'));
    const pods = await runningPods(NS);
    expect(pods.map((p) => p.spec.containers[0].image)).toEqual(pods.map(() => variant('ok', 'b')));
    expect(pods.some((p) => p.metadata.name.startsWith('web-canary-'))).toBe(false);
    expect(await canaryExists()).toBe(false);
    expect(Math.abs(seen.canaryShare - LOCAL_CANARY.sharePercent)).toBeLessThanOrEqual(6);
    expect(all.failed).toBe(0);
  });

  test('5. too little traffic (2 requests/s): every interval inconclusive, the policy ("fail") aborts, and the report says so', async () => {
    const before = await stableState();
    const { result: run, all, samples, from } = await underLoad(NS, () => deploy(variant('ok', 'c')), { steadyMs: 2000, afterMs: 1000, rate: 2 });
    bench(benchOf('canary-low-traffic', all, run.result, { abortSeconds: run.result?.abortSeconds ?? null, ...tracks(samples, from) }));
    await expectAborted(run, before);
    expect(run.result.canaryInconclusive).toBe(true);
    expect(run.stdout).toMatch(
      /aborted \(the analysis was inconclusive\): inconclusive: no interval had minRequestsPerInterval 20 canary requests \(too little traffic\); onInconclusive is "fail"/,
    );
    // One live line per interval (the report lists them again).
    expect(new Set(run.stdout.match(/canary interval \d\/3: inconclusive/g))).toEqual(new Set([1, 2, 3].map((i) => `canary interval ${i}/3: inconclusive`)));
    expect(all.failed).toBe(0);
  });

  test('6. a deploy killed during the analysis: a concurrent deploy is refused by the lock; once the lock is stale the next deploy removes the leftover canary and completes', async () => {
    const { result, all, samples, from } = await underLoad(
      NS,
      async () => {
        const { child, run: killed } = await deployUntilAnalysing(variant('ok', 'c'));
        const concurrent = await deploy(variant('ok', 'd'));
        child.kill('SIGKILL');
        const first = await killed;
        const leftover = await canaryExists();
        const lease = await kubectlJson(['get', 'lease', workloadLockName('web'), '-n', NS]);
        // A killed deploy stops renewing: its lock is stale LOCK_DURATION_SECONDS after its last renewal.
        const staleAt = Date.parse(lease.spec.renewTime) + LOCK_DURATION_SECONDS * 1000 + 1000;
        await new Promise((r) => setTimeout(r, Math.max(0, staleAt - Date.now())));
        return { concurrent, first, leftover, next: await deploy(variant('ok', 'd')) };
      },
      { steadyMs: 2000, afterMs: 2000 },
    );
    const seen = tracks(samples, from);
    bench(benchOf('canary-killed-then-next', all, result.next.result, { abortSeconds: null, ...seen }));
    expect(result.first.code).not.toBe(0);
    expect(result.leftover).toBe(true);
    expect(result.concurrent.code).toBe(EXIT.locked);
    expect(result.concurrent.stderr).toMatch(
      /another deploy holds the lock of workload web in namespace web \(Lease platform-deploy-lock-web\): \S+@\S+ pid \d+, since \d{4}-\d\d-\d\dT[\d:.]+Z; it expires at .* unless renewed\. Nothing applied\./,
    );
    expect(result.next.code).toBe(EXIT.ok);
    expect(result.next.stdout).toMatch(/deploy lock: taking over the stale lock of \S+@\S+ pid \d+/);
    expect(result.next.stdout).toMatch(/canary: found deployment\/web-canary \(platform\.local\/web-test:ok-\S+-c\) left by a deploy that stopped mid-canary; removing it/);
    expect(await deploymentImage(NS)).toBe(variant('ok', 'd'));
    expect(await canaryExists()).toBe(false);
    expect(all.failed).toBe(0);
  });

  test('7. --abort-canary removes a leftover canary explicitly, and says so', async () => {
    const objects = (loadAll(renderTarget(localConfig, 'generic', { images: { app: variant('ok', 'c') } }).yaml) as any[]).filter(Boolean);
    const leftover = canaryDeployment(
      objects.find((o) => o.kind === 'Deployment'),
      1,
    );
    expect((await kubectl(['apply', '--server-side', '-f', '-'], dump(leftover))).code).toBe(0);
    const run = await runDeploy(['--config', 'local-canary', '--env', 'generic', '--abort-canary', '--kubeconfig', kubeconfig()], { env: envWithoutAws() });
    expect(run.code).toBe(EXIT.ok);
    expect(run.result).toMatchObject({ outcome: 'canary-removed' });
    expect(run.stdout).toMatch(/canary: deployment\/web-canary removed/);
    expect(await canaryExists()).toBe(false);
    expect(await deploymentImage(NS)).toBe(variant('ok', 'd'));
  });

  test('8. a deploy sent SIGTERM during its canary analysis, under load: the canary gone and the lock released within 10 s, the stable pods never changed, 0 failed requests from stable pods', async () => {
    const before = await stableState();
    const { result, all, samples, from } = await underLoad(
      NS,
      async () => {
        const { child, run: running } = await deployUntilAnalysing(variant('ok', 'c'));
        const signalled = Date.now();
        child.kill('SIGTERM');
        const ended = await running;
        const exitedMs = Date.now() - signalled;
        const canaryLeft = await canaryExists();
        const lease = await kubectl(['get', 'lease', workloadLockName('web'), '-n', NS, '--ignore-not-found', '-o', 'name']);
        return { ended, exitedMs, canaryLeft, leaseLeft: lease.stdout.trim(), checkedMs: Date.now() - signalled };
      },
      { steadyMs: 2000, afterMs: 2000 },
    );
    const seen = tracks(samples, from);
    process.stderr.write(`[e2e] SIGTERM mid-analysis: ${JSON.stringify({ all, ...seen, exitedMs: result.exitedMs, checkedMs: result.checkedMs })}\n`);
    bench(benchOf('canary-sigterm', all, result.ended.result, { abortSeconds: null, cancelSeconds: result.exitedMs / 1000, ...seen }));
    expect(result.ended.code).toBe(EXIT.cancelled);
    expect(result.ended.result).toMatchObject({ outcome: 'cancelled', exitCode: EXIT.cancelled });
    expect(result.canaryLeft).toBe(false);
    expect(result.leaseLeft).toBe('');
    expect(result.checkedMs).toBeLessThanOrEqual(10_000);
    expect(await stableState()).toEqual(before);
    expect(seen.failedOnStable).toBe(0);
  });
});
