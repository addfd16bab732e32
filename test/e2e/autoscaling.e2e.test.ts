/**
 * Capacity, the pod side, on the REAL node: metrics-server (built from the Go module proxy, run by cluster/up.sh
 * behind the aggregation layer) reports the pods' CPU, a bounded CPU-heavy load raises it, the chart's
 * HorizontalPodAutoscaler (CPU target and replica bounds from config) adds replicas, and no request fails while they
 * join. The load goes to the Service (ClusterIP, through the node's bridge), open loop, bounded in count and time,
 * every failed request counted. The workload is the generic target deployed by the deploy command with the
 * `cpu-heavy` test image (test/e2e/variants: every request does a fixed amount of CPU work; the production image has
 * no such code). Prints one `bench-autoscale: {…}` line.
 */
import { type ServiceWorkload } from '../../config';
import { localConfig } from '../../config/examples/local';
import { EXIT } from '../../deploy/errors';
import { startLoad, summarize } from '../support/load';
import { buildNodeImages, envWithoutAws, hasRealNode, kubeconfig, kubectl, kubectlJson, REAL_NODE, runDeploy, scheduleOn } from './helpers';
import { stopLocalDatabase } from './local-env';
import { freshNamespace } from './real-pods';

const generic = localConfig.portableTargets.find((t) => t.name === 'generic')!;
const workload = generic.workloads.find((w): w is ServiceWorkload => w.name === 'web' && w.kind === 'service')!;
const NS = generic.namespace;
const RUN = `scale${Date.now().toString(36)}`;
const IMAGE = `platform.local/web-test:cpu-heavy-${RUN}`;
/**
 * ~6 ms of CPU per request × 50 req/s ≈ 300m: about 150 % of a 100m request on each of the 2 minimum replicas,
 * twice the 70 % target, so the HPA asks for its maximum; bounded at 150 s and RATE × 150 requests.
 */
const RATE = 50;
const MAX_SECONDS = 150;
/** Load kept on after the new replicas are Ready, so that they serve while it runs. */
const JOINED_MS = 15_000;

/** CPU in millicores from a Kubernetes quantity ("152345678n", "152m", "1"). */
function millicores(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(n|u|m)?$/.exec(q);
  if (!m) throw new Error(`not a CPU quantity: ${JSON.stringify(q)}`);
  const scale = { n: 1e-6, u: 1e-3, m: 1 }[m[2] as 'n' | 'u' | 'm'] ?? 1000;
  return Number(m[1]) * scale;
}

/** Each web pod's CPU (millicores) as the Metrics API reports it. */
async function podCpu(): Promise<Record<string, number>> {
  const r = await kubectl(['get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods?labelSelector=app.kubernetes.io%2Fname%3Dweb`]);
  if (r.code !== 0) return {};
  const list = JSON.parse(r.stdout) as { items: { metadata: { name: string }; containers: { name: string; usage: { cpu: string } }[] }[] };
  return Object.fromEntries(list.items.map((p) => [p.metadata.name, p.containers.reduce((sum, c) => sum + millicores(c.usage.cpu), 0)]));
}

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

interface Observation {
  t: number;
  desired: number;
  ready: number;
  utilization: number | null;
}

const describeReal = process.env.PLATFORM_NODE !== 'kwok' ? describe : describe.skip;

describeReal('autoscaling on the real node (metrics-server + the chart HPA)', () => {
  beforeAll(async () => {
    expect(await hasRealNode()).toBe(true);
    await scheduleOn('real');
    expect(buildNodeImages(['--tag', RUN, '--variants', 'cpu-heavy'])).toContain(IMAGE);
    await freshNamespace(NS);
    const deployed = await runDeploy(['--config', 'local', '--env', 'generic', '--image', IMAGE, '--workload', 'web', '--kubeconfig', kubeconfig()], { env: envWithoutAws() });
    expect(deployed.code).toBe(EXIT.ok);
  });
  afterAll(async () => {
    await kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=180s']);
    stopLocalDatabase();
  });

  test('a bounded CPU-heavy load raises CPU (metrics API), the HPA adds replicas, they become Ready and serve, 0 failed requests', async () => {
    const started = Date.now();
    const hpa = await kubectlJson(['get', 'hpa', 'web', '-n', NS]);
    const target = hpa.spec.metrics[0].resource.target.averageUtilization as number;
    expect({ min: hpa.spec.minReplicas, max: hpa.spec.maxReplicas, metric: hpa.spec.metrics[0].resource.name }).toEqual({
      min: workload.minReplicas,
      max: workload.maxReplicas,
      metric: 'cpu',
    });
    const podsBefore = (await kubectlJson(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=web'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
    expect(podsBefore.every((p: any) => p.spec.nodeName === REAL_NODE)).toBe(true);
    const before = new Set<string>(podsBefore.map((p: any) => p.metadata.name));

    // Idle: the Metrics API (kubectl top) reports every pod, and the HPA reads it and keeps its minimum.
    const idle = await until('the Metrics API reporting every web pod and the HPA reading it', 90, async () => {
      const cpu = await podCpu();
      const h = await kubectlJson(['get', 'hpa', 'web', '-n', NS]);
      const utilization = h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization;
      return [...before].every((p) => p in cpu) && typeof utilization === 'number' ? { cpu, utilization, desired: h.status.desiredReplicas as number } : undefined;
    });
    const topNode = await kubectl(['top', 'node', REAL_NODE, '--no-headers']);
    expect({ code: topNode.code, stderr: topNode.stderr }).toEqual({ code: 0, stderr: '' });
    const top = await kubectl(['top', 'pods', '-n', NS, '--no-headers']);
    expect(top.code).toBe(0);
    expect(top.stdout.trim().split('\n')).toHaveLength(before.size);
    expect(idle.desired).toBe(workload.minReplicas);
    process.stderr.write(`[e2e] idle: ${JSON.stringify(idle)}\n${topNode.stdout}${top.stdout}`);

    const svc = await kubectlJson(['get', 'service', 'web', '-n', NS]);
    const load = startLoad({ host: svc.spec.clusterIP, port: svc.spec.ports[0].port, ratePerSecond: RATE, maxRequests: RATE * MAX_SECONDS, maxSeconds: MAX_SECONDS });
    const seen: Observation[] = [];
    let peakCpu: Record<string, number> = {};
    let scaledAt: number | null = null;
    let joinedAt: number | null = null;
    let joinedPods: string[] = [];
    while (load.now() < (MAX_SECONDS - 5) * 1000) {
      const [h, d, cpu] = await Promise.all([kubectlJson(['get', 'hpa', 'web', '-n', NS]), kubectlJson(['get', 'deployment', 'web', '-n', NS]), podCpu()]);
      const o: Observation = {
        t: load.now() / 1000,
        desired: h.status?.desiredReplicas ?? 0,
        ready: d.status?.readyReplicas ?? 0,
        utilization: h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization ?? null,
      };
      seen.push(o);
      const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
      if (total(cpu) > total(peakCpu)) peakCpu = cpu;
      if (scaledAt === null && o.desired > workload.minReplicas) scaledAt = o.t;
      if (scaledAt !== null && joinedAt === null && o.ready >= o.desired && (d.spec.replicas ?? 0) >= o.desired) {
        const slices = await kubectlJson(['get', 'endpointslices', '-n', NS, '-l', 'kubernetes.io/service-name=web']);
        const ready = slices.items
          .flatMap((s: any) => s.endpoints ?? [])
          .filter((e: any) => e.conditions?.ready)
          .map((e: any) => e.targetRef.name as string);
        if (ready.length >= o.desired) {
          joinedAt = o.t;
          joinedPods = ready.filter((p: string) => !before.has(p));
        }
      }
      if (joinedAt !== null && load.now() >= joinedAt * 1000 + JOINED_MS) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const samples = await load.stop();
    const all = summarize(samples);
    const answeredByNew = samples.filter((s) => s.ok && s.pod && joinedPods.includes(s.pod)).length;
    const after = seen[seen.length - 1];
    const line = {
      replicasBefore: before.size,
      replicasAfter: after?.ready ?? null,
      desiredMax: Math.max(...seen.map((o) => o.desired)),
      targetCpuPercent: target,
      peakUtilizationPercent: Math.max(...seen.map((o) => o.utilization ?? 0)),
      peakPodCpuMillis: Object.values(peakCpu).map(Math.round),
      secondsToScale: scaledAt,
      secondsToReady: joinedAt,
      ratePerSecond: all.ratePerSecond,
      requests: all.requests,
      failed: all.failed,
      failures: all.failures,
      answeredByNewPods: answeredByNew,
      p50Ms: all.p50Ms,
      p99Ms: all.p99Ms,
      testSeconds: Math.round((Date.now() - started) / 1000),
    };
    process.stdout.write(`bench-autoscale: ${JSON.stringify(line)}\n`);
    process.stderr.write(`[e2e] autoscaling observations: ${JSON.stringify(seen)}\n`);

    expect(line.peakUtilizationPercent).toBeGreaterThan(target); // the load raised CPU above the target
    expect(scaledAt).not.toBeNull(); // the HPA raised desiredReplicas
    expect(line.desiredMax).toBeLessThanOrEqual(workload.maxReplicas);
    expect(joinedAt).not.toBeNull(); // the new replicas became Ready and joined the Service
    expect(joinedPods.length).toBeGreaterThan(0);
    expect(answeredByNew).toBeGreaterThan(0); // and served
    expect(all.failures).toEqual({});
    expect(all.failed).toBe(0);
  });
});
