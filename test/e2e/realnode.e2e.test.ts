/**
 * Rollouts of the generic target on the REAL node (containerd + runc + kubelet + kube-proxy; cluster/node/),
 * each under bounded load from this process at the workload's Service (ClusterIP in 198.19.0.0/24, through the
 * node's bridge), every failed request counted. Images are built here without Docker (cluster/node/image.sh).
 * Each scenario prints one `bench-rollout: {…}` line (`npm run bench:rollout` runs this file alone).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { renderTarget } from '../../charts/app';
import { localConfig } from '../../config/examples/local';
import { EXIT } from '../../deploy/errors';
import { longRequest } from '../support/load';
import { buildNodeImages, envWithoutAws, followLogs, hasRealNode, kubeconfig, kubectl, kubectlJson, REAL_NODE, runDeploy, scheduleOn } from './helpers';
import { stopLocalDatabase } from './local-env';
import { bench, benchOf, deploymentImage as deploymentImageOf, freshNamespace, runningPods as runningPodsOf, serviceAddress, underLoad as underLoadOf } from './real-pods';

const NS = localConfig.portableTargets.find((t) => t.name === 'generic')!.namespace;
const RUN = `e2e${Date.now().toString(36)}`;
const image = (tag: string) => `platform.local/web:${RUN}-${tag}`;
const variant = (v: string) => `platform.local/web-test:${v}-${RUN}-a`;

// web alone (`--workload web`): the worker and the CronJob of the sample need their database Secrets, which this suite does not create.
const deploy = (img: string) => runDeploy(['--config', 'local', '--env', 'generic', '--image', img, '--workload', 'web', '--kubeconfig', kubeconfig()], { env: envWithoutAws() });
const deploymentImage = () => deploymentImageOf(NS);
const runningPods = () => runningPodsOf(NS);
const underLoad = <T>(release: () => Promise<T>, steadyMs?: number, afterMs?: number) => underLoadOf(NS, release, { steadyMs, afterMs });

const realNodeExpected = process.env.PLATFORM_NODE !== 'kwok';
const describeReal = realNodeExpected ? describe : describe.skip;

describeReal('real pods under load (real node)', () => {
  beforeAll(async () => {
    expect(await hasRealNode()).toBe(true);
    await scheduleOn('real');
    // The images: the production one under several tags (one per release), and the faulty test variants.
    const built = buildNodeImages(['--tag', `${RUN}-a`, '--also-tag', ['b', 'c', 'd', 'e'].map((t) => `${RUN}-${t}`).join(','), '--variants', 'never-ready,crash']);
    expect(built.trim().split('\n').pop()).toBe(image('a'));
    await freshNamespace(NS);
    const first = await deploy(image('a'));
    expect(first.code).toBe(EXIT.ok);
    const pods = await runningPods();
    expect(pods.length).toBeGreaterThanOrEqual(2);
    expect(pods.every((p) => p.spec.nodeName === REAL_NODE)).toBe(true);
  });

  afterAll(() => stopLocalDatabase());

  test('1. a good release rolls out with 0 failed requests (p50/p99 during the rollout beside steady state)', async () => {
    const { result: run, all, steady, during } = await underLoad(() => deploy(image('b')), 8000, 3000);
    expect(run.code).toBe(EXIT.ok);
    expect(await deploymentImage()).toBe(image('b'));
    process.stderr.write(`[e2e] good release: ${JSON.stringify({ all, steady, during })}\n`);
    bench({
      scenario: 'good-release',
      requests: all.requests,
      failed: all.failed,
      p50Ms: during.p50Ms,
      p99Ms: during.p99Ms,
      steadyP50Ms: steady.p50Ms,
      steadyP99Ms: steady.p99Ms,
      ratePerSecond: all.ratePerSecond,
      rolloutSeconds: run.result?.rolloutSeconds ?? null,
      detectSeconds: null,
      restoreSeconds: null,
    });
    expect(all.ratePerSecond).toBeGreaterThanOrEqual(100);
    expect(all.failures).toEqual({});
    expect(all.failed).toBe(0);
  });

  test('6. the pods really run restricted: uid 65532, read-only root, no capabilities, seccomp, no privilege escalation; the namespace enforces "restricted"', async () => {
    const [pod] = await runningPods();
    const script = [
      "const fs=require('fs');",
      "const st=Object.fromEntries(fs.readFileSync('/proc/self/status','utf8').split('\\n').filter(Boolean).map(l=>l.split(/:\\s+/)));",
      "let ro='writable';try{fs.writeFileSync('/probe','x')}catch(e){ro=e.code}",
      "let tmp='ok';try{fs.writeFileSync('/tmp/probe','x')}catch(e){tmp=e.code}",
      'console.log(JSON.stringify({uid:process.getuid(),gid:process.getgid(),groups:process.getgroups(),capEff:st.CapEff,capPrm:st.CapPrm,capBnd:st.CapBnd,seccomp:st.Seccomp,noNewPrivs:st.NoNewPrivs,rootWrite:ro,tmpWrite:tmp}))',
    ].join('');
    const r = await kubectl(['exec', '-n', NS, pod.metadata.name, '-c', 'web', '--', '/nodejs/bin/node', '-e', script]);
    expect(r.stderr).toBe('');
    const seen = JSON.parse(r.stdout);
    process.stderr.write(`[e2e] inside ${pod.metadata.name}: ${r.stdout}`);
    expect(seen).toMatchObject({
      uid: 65532,
      gid: 65532,
      capEff: '0000000000000000',
      capPrm: '0000000000000000',
      capBnd: '0000000000000000',
      seccomp: '2',
      noNewPrivs: '1',
      rootWrite: 'EROFS',
      tmpWrite: 'ok',
    });
    // No shell in the image at all.
    const sh = await kubectl(['exec', '-n', NS, pod.metadata.name, '-c', 'web', '--', '/bin/sh', '-c', 'true']);
    expect(sh.code).not.toBe(0);

    const ns = await kubectlJson(['get', 'namespace', NS]);
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    const privileged = {
      ...pod.spec,
      containers: pod.spec.containers.map((c: any) => ({ ...c, securityContext: { ...c.securityContext, privileged: true, allowPrivilegeEscalation: true } })),
    };
    delete privileged.nodeName;
    const rejected = await kubectl(
      ['create', '--dry-run=server', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'privileged-check', namespace: NS }, spec: privileged }),
    );
    expect(rejected.code).not.toBe(0);
    expect(rejected.stderr).toMatch(/violates PodSecurity "restricted:(latest|v1\.\d+)"/);
  });

  test('2. a release that never becomes Ready is detected and rolled back, exit 1, with 0 failed requests: the old pods serve throughout', async () => {
    const before = await deploymentImage();
    const { result: run, all } = await underLoad(() => deploy(variant('never-ready')), 3000, 2000);
    expect(run.code).toBe(EXIT.rolledBack);
    expect(run.result).toMatchObject({ outcome: 'rolled-back' });
    // Detected by its startup budget (the local configuration's startupSeconds + one readiness period), before the
    // progress deadline.
    expect(run.stdout).toMatch(/StartupBudgetExceeded — started but not Ready \d+s after the container started/);
    expect(await deploymentImage()).toBe(before);
    bench(benchOf('never-ready', all, { detectSeconds: run.result?.detectSeconds, restoreSeconds: run.result?.restoreSeconds }));
    expect(all.failed).toBe(0);
    expect(all.variants).toEqual({ production: all.requests });
  });

  test('3. a release that crashes at start is detected within 30 s and rolled back, with 0 failed requests', async () => {
    const before = await deploymentImage();
    const { result: run, all } = await underLoad(() => deploy(variant('crash')), 3000, 2000);
    expect(run.code).toBe(EXIT.rolledBack);
    // The report names pod, container, reason, exit code and the container's last log lines.
    expect(run.stdout).toMatch(/pod web-[a-z0-9]+-[a-z0-9]+, container web \(image platform\.local\/web-test:crash-[^)]+\): (CrashLoopBackOff|Error) — exited with code 1/);
    expect(run.stdout).toMatch(/\| .*test variant \\"crash\\": exiting at start/);
    expect(await deploymentImage()).toBe(before);
    bench(benchOf('crash-at-start', all, { detectSeconds: run.result?.detectSeconds, restoreSeconds: run.result?.restoreSeconds }));
    expect(all.failed).toBe(0);
    expect(all.variants).toEqual({ production: all.requests });
    expect(run.result.detectSeconds).toBeLessThanOrEqual(30);
  });

  test('4. graceful shutdown: requests in flight when their pod gets SIGTERM all complete', async () => {
    const { host, port } = await serviceAddress(NS);
    const oldPods = (await runningPods()).map((p) => p.metadata.name as string);
    const logs = followLogs(NS, oldPods);
    const t0 = Date.now();
    // 30 s requests (longer than the 25 s preStop wait, shorter than it plus the service's 10 s drain budget),
    // one every 1.5 s from before the rollout until well into it: some are in flight at each old pod's SIGTERM.
    const long: Promise<Awaited<ReturnType<typeof longRequest>>>[] = [];
    const starter = setInterval(() => {
      if (long.length < 30) long.push(longRequest(host, port, 30_000, t0));
    }, 1500);
    const { result: run, all } = await underLoad(() => deploy(image('c')), 3000, 2000);
    clearInterval(starter);
    const results = await Promise.all(long);
    // Until every old pod has exited (its log stream ends), at most 60 s more.
    await Promise.race([logs.ended, new Promise((r) => setTimeout(r, 60_000))]);
    const lines = logs.stop();
    expect(run.code).toBe(EXIT.ok);
    const shutdowns = [...lines.values()]
      .flat()
      .map((l) => JSON.parse(l))
      .filter((e) => e.msg === 'shutdown started' || e.msg === 'shutdown complete');
    process.stderr.write(`[e2e] graceful: ${results.filter((r) => r.ok).length}/${results.length} long requests ok; old pods' shutdown logs ${JSON.stringify(shutdowns)}\n`);
    const inFlightAtSigterm = shutdowns.filter((e) => e.msg === 'shutdown started').reduce((n, e) => n + (e.inFlight ?? 0), 0);
    bench({
      scenario: 'graceful-shutdown',
      requests: all.requests + results.length,
      failed: all.failed + results.filter((r) => !r.ok).length,
      p50Ms: all.p50Ms,
      p99Ms: all.p99Ms,
      longRequests: results.length,
      inFlightAtSigterm,
      rolloutSeconds: run.result?.rolloutSeconds ?? null,
      detectSeconds: null,
      restoreSeconds: null,
    });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(all.failed).toBe(0);
    // Proof that the drain was exercised: requests were in flight when SIGTERM arrived, and each pod drained (exit 0).
    expect(inFlightAtSigterm).toBeGreaterThan(0);
    expect(shutdowns.filter((e) => e.msg === 'shutdown complete').map((e) => e.outcome)).toEqual(oldPods.map(() => 'drained'));
  });

  test('5. the harness has teeth: the same load against the chart without its preStop wait fails requests', async () => {
    const { files } = renderTarget(localConfig, 'generic', { images: { app: image('d') } });
    // web's file (one file per workload, as npm run render writes them) and the namespace's: a release of web alone.
    const objects = (loadAll(files.find((f) => f.workload === 'web')!.yaml) as any[]).filter(Boolean);
    const d = objects.find((o) => o.kind === 'Deployment');
    expect(d.spec.template.spec.containers[0].lifecycle.preStop).toBeDefined();
    delete d.spec.template.spec.containers[0].lifecycle;
    const dir = mkdtempSync(join(tmpdir(), 'e2e-no-prestop-'));
    writeFileSync(join(dir, 'web.k8s.yaml'), objects.map((o) => dump(o)).join('---\n'));
    writeFileSync(join(dir, 'namespace.k8s.yaml'), files.find((f) => !f.workload)!.yaml);
    const { result: run, all } = await underLoad(
      () => runDeploy(['--config', 'local', '--env', 'generic', '--manifests', dir, '--kubeconfig', kubeconfig()], { env: envWithoutAws() }),
      3000,
      3000,
    );
    expect(run.code).toBe(EXIT.ok);
    // The old pods (with preStop) drain cleanly; the next rollout replaces pods WITHOUT it.
    const { result: run2, all: all2 } = await underLoad(() => deploy(image('e')), 3000, 3000);
    expect(run2.code).toBe(EXIT.ok);
    process.stderr.write(`[e2e] without preStop: ${JSON.stringify(all2)} (replacing the preStop pods: ${JSON.stringify(all)})\n`);
    bench({
      scenario: 'no-prestop',
      requests: all2.requests,
      failed: all2.failed,
      p50Ms: all2.p50Ms,
      p99Ms: all2.p99Ms,
      failures: all2.failures,
      rolloutSeconds: run2.result?.rolloutSeconds ?? null,
      detectSeconds: null,
      restoreSeconds: null,
    });
    expect(all.failed).toBe(0);
    // Clearly, every run: the endpoints change ~1 s after each old pod got SIGTERM (cluster/kwokctl.yaml), at 110 requests/s.
    expect(all2.failed).toBeGreaterThanOrEqual(10);
  });
});
