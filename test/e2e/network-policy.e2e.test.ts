/**
 * The charts' NetworkPolicies have teeth on the real node (kube-router's policy controller, cluster/node/up.sh), with
 * the sample's workloads talking to a real PostgreSQL (the local environment's: cluster/local/db.sh, roles and Secrets
 * by scripts/local-database.ts) on the node's bridge address.
 *
 * The generic target plus one internal service, `echo`, that only `web` may call (allowFrom), rendered into its own
 * namespace and applied; a stand-in `kube-dns` pod in kube-system answers TCP on port 53, so that "DNS is allowed" is
 * seen as a connection, not inferred. Every probe runs inside a pod (`kubectl exec … node -e`): a TCP connection with a
 * 3 s limit, reported as connected, refused (kube-router REJECTs: an ICMP error, ECONNREFUSED) or timeout.
 * Depends on: the cluster of global-setup with a real node; the PostgreSQL port 5432 on 198.18.0.1 free or already the
 * local environment's.
 */
import { dump } from 'js-yaml';
import { type PlatformConfig, type Workload } from '../../config';
import { localConfig } from '../../config/examples/local';
import { SAMPLE_IMAGE } from '../../config/platform';
import { buildNodeImages, hasRealNode, kubectl, kubectlJson, REAL_NODE, scheduleOn } from './helpers';
import { applyTarget, DATABASE_PORT as DB_PORT, NODE_IP, startLocalDatabase, stopLocalDatabase } from './local-env';

const NS = 'netpol';
const RUN = `np${Date.now().toString(36)}`;
const IMAGE = `platform.local/web:${RUN}`;

const generic = localConfig.portableTargets.find((t) => t.name === 'generic')!;
const echo: Workload = {
  kind: 'service',
  name: 'echo',
  image: SAMPLE_IMAGE,
  exposure: { kind: 'internal' },
  allowFrom: ['web'],
  minReplicas: 1,
  maxReplicas: 1,
  cpuMillis: 50,
  memoryMiB: 128,
};
// The database egress narrowed to the local PostgreSQL's address (the target's databaseCidr).
const target = { ...generic, namespace: NS, databaseCidr: `${NODE_IP}/32`, workloads: [...generic.workloads, echo] };
const config: PlatformConfig = { ...localConfig, portableTargets: [target] };

type Outcome = 'connected' | 'refused' | 'timeout' | string;

/** Opens a TCP connection from inside `pod` to host:port (3 s limit) and says how it ended. */
async function probe(pod: string, host: string, port: number, namespace = NS): Promise<Outcome> {
  const script =
    "const s=require('net').connect({host:process.argv[1],port:Number(process.argv[2])});" +
    'const done=(o)=>{console.log(o);s.destroy();process.exit(0)};' +
    "s.setTimeout(3000,()=>done('timeout'));s.on('connect',()=>done('connected'));" +
    "s.on('error',(e)=>done(e.code==='ECONNREFUSED'?'refused':e.code))";
  const r = await kubectl(['exec', '-n', namespace, pod, '--', '/nodejs/bin/node', '-e', script, host, String(port)]);
  if (r.code !== 0) throw new Error(`kubectl exec ${pod}: ${r.stderr}`);
  return r.stdout.trim();
}

/** An HTTP GET from inside `pod`: the status code, or how the connection failed. */
async function httpGet(pod: string, url: string): Promise<string> {
  const script =
    "require('http').get(process.argv[1],{timeout:3000},(r)=>{console.log(String(r.statusCode));r.resume()})" +
    ".on('timeout',function(){console.log('timeout');this.destroy()}).on('error',(e)=>console.log(e.code==='ECONNREFUSED'?'refused':e.code))";
  const r = await kubectl(['exec', '-n', NS, pod, '--', '/nodejs/bin/node', '-e', script, url]);
  if (r.code !== 0) throw new Error(`kubectl exec ${pod}: ${r.stderr}`);
  return r.stdout.trim().split('\n')[0];
}

async function podOf(namespace: string, name: string): Promise<{ name: string; ip: string }> {
  const pods = await kubectlJson(['get', 'pods', '-n', namespace, '-l', `app.kubernetes.io/name=${name}`]);
  const pod = pods.items.find((p: any) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp);
  if (!pod) throw new Error(`no running pod of ${name} in ${namespace}`);
  return { name: pod.metadata.name, ip: pod.status.podIP };
}

const restricted = {
  securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
  container: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
};
/** A pod of the sample image running `script` (node -e) on the real node. */
function nodePod(name: string, namespace: string, labels: Record<string, string>, script: string, sysctls: { name: string; value: string }[] = []) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: {
      nodeName: REAL_NODE,
      securityContext: { ...restricted.securityContext, sysctls },
      containers: [{ name: 'main', image: IMAGE, imagePullPolicy: 'Never', args: ['-e', script], securityContext: restricted.container }],
    },
  };
}

const realNodeExpected = process.env.PLATFORM_NODE !== 'kwok';
(realNodeExpected ? describe : describe.skip)('network policy has teeth (kube-router on the real node, real PostgreSQL)', () => {
  let web: { name: string; ip: string };
  let worker: { name: string; ip: string };
  let echoPod: { name: string; ip: string };
  let dns: { name: string; ip: string };
  let echoService: string;
  let webService: string;

  beforeAll(async () => {
    expect(await hasRealNode()).toBe(true);
    await scheduleOn('real');
    expect(buildNodeImages(['--tag', RUN]).trim().split('\n').pop()).toBe(IMAGE);
    await kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=180s']);

    // The real database and the workloads' roles and Secrets, as local:up makes them.
    expect(await startLocalDatabase(target)).toHaveLength(3); // web, worker, prune

    // The stand-in cluster DNS: a pod labelled as kube-dns answering TCP on 53 (a safe sysctl lets uid 65532 bind it).
    const dnsPod = nodePod('kube-dns-standin', 'kube-system', { 'k8s-app': 'kube-dns' }, "require('net').createServer((s)=>s.end()).listen(53)", [
      { name: 'net.ipv4.ip_unprivileged_port_start', value: '0' },
    ]);
    await kubectl(['delete', 'pod', 'kube-dns-standin', '-n', 'kube-system', '--ignore-not-found', '--wait=true']);
    await applyTarget(config, target, IMAGE, [dnsPod]);
    expect((await kubectl(['wait', '--for=condition=Ready', 'pod/kube-dns-standin', '-n', 'kube-system', '--timeout=90s'])).code).toBe(0);
    [web, worker, echoPod] = await Promise.all([podOf(NS, 'web'), podOf(NS, 'worker'), podOf(NS, 'echo')]);
    const standin = await kubectlJson(['get', 'pod', 'kube-dns-standin', '-n', 'kube-system']);
    dns = { name: standin.metadata.name, ip: standin.status.podIP };
    const address = async (name: string) => {
      const s = await kubectlJson(['get', 'service', name, '-n', NS]);
      return `${s.spec.clusterIP}:${s.spec.ports[0].port}`;
    };
    [echoService, webService] = await Promise.all([address('echo'), address('web')]);
  });

  afterAll(async () => {
    await kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=false']);
    await kubectl(['delete', 'pod', 'kube-dns-standin', '-n', 'kube-system', '--ignore-not-found', '--wait=false']);
    stopLocalDatabase();
  });

  test('web reaches the internal service it may call; the worker does not', async () => {
    expect(await httpGet(web.name, `http://${echoService}/healthz`)).toBe('200');
    const fromWorker = await httpGet(worker.name, `http://${echoService}/healthz`);
    process.stderr.write(`[e2e] worker -> echo: ${fromWorker}\n`);
    expect(['refused', 'timeout', 'EHOSTUNREACH']).toContain(fromWorker);
  });

  test('a workload without an allowed edge (echo) reaches DNS and nothing else: not web, not the database, not the worker', async () => {
    const seen = {
      dns: await probe(echoPod.name, dns.ip, 53),
      web: await probe(echoPod.name, webService.split(':')[0], Number(webService.split(':')[1])),
      webPod: await probe(echoPod.name, web.ip, 8080),
      database: await probe(echoPod.name, NODE_IP, DB_PORT),
    };
    process.stderr.write(`[e2e] from echo: ${JSON.stringify(seen)}\n`);
    expect(seen.dns).toBe('connected');
    for (const blocked of [seen.web, seen.webPod, seen.database]) expect(['refused', 'timeout', 'EHOSTUNREACH']).toContain(blocked);
  });

  test('the same destinations are open where an edge is declared: web and the worker reach the database, web its callee', async () => {
    const seen = {
      webToDatabase: await probe(web.name, NODE_IP, DB_PORT),
      workerToDatabase: await probe(worker.name, NODE_IP, DB_PORT),
      webToEcho: await probe(web.name, echoPod.ip, 8080),
      webToDns: await probe(web.name, dns.ip, 53),
    };
    process.stderr.write(`[e2e] declared edges: ${JSON.stringify(seen)}\n`);
    expect(seen).toEqual({ webToDatabase: 'connected', workerToDatabase: 'connected', webToEcho: 'connected', webToDns: 'connected' });
  });

  test('a pod in the namespace that no workload policy selects is cut off by the default deny, DNS included', async () => {
    const stray = nodePod('stray', NS, { app: 'stray' }, 'setInterval(()=>{},1e9)');
    expect((await kubectl(['apply', '-f', '-'], dump(stray))).code).toBe(0);
    expect((await kubectl(['wait', '--for=condition=Ready', 'pod/stray', '-n', NS, '--timeout=90s'])).code).toBe(0);
    const seen = { dns: await probe('stray', dns.ip, 53), echo: await probe('stray', echoPod.ip, 8080), database: await probe('stray', NODE_IP, DB_PORT) };
    process.stderr.write(`[e2e] from a stray pod: ${JSON.stringify(seen)}\n`);
    for (const blocked of Object.values(seen)) expect(['refused', 'timeout', 'EHOSTUNREACH']).toContain(blocked);
  });
});
