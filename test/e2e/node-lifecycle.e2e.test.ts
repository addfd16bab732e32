/**
 * `cluster:down` after `cluster:up` leaves the machine as it was (runs last: it takes the suite's cluster down):
 * processes (metrics-server and kube-router too), mounts, network namespaces, links, routes, nftables / iptables
 * chains (IPv4 and IPv6; kube-router's KUBE-ROUTER-* among them), ipsets, cgroup directories, the fixed host paths and
 * the sysctls, as cluster/node/state.sh lists them, with a real pod and a NetworkPolicy selecting it in between so
 * that there is something to clean up.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { runProcess } from '../../deploy/adapters/kubectl';
import { kubectlBinary, root } from './helpers';

const sh = (script: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env) =>
  execFileSync('bash', [join(root, 'cluster', script), ...args], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 10 * 60 * 1000 });
const state = () => sh('node/state.sh').trim().split('\n');
const kinds = (lines: readonly string[]) => new Set(lines.map((l) => l.split(':')[0]));
const timed = <T>(f: () => T): [T, number] => {
  const t = Date.now();
  const r = f();
  return [r, (Date.now() - t) / 1000];
};

const skip = process.env.PLATFORM_NODE === 'kwok' || process.env.E2E_KEEP_CLUSTER === '1';
(skip ? describe.skip : describe)('real node lifecycle', () => {
  test('down after up leaves no process, mount, netns, link, route, chain, cgroup, host path or sysctl behind; a second up takes seconds', async () => {
    sh('down.sh');
    const before = state();

    const [out, upSeconds] = timed(() => sh('up.sh'));
    const kubeconfig = out.trim().split('\n').pop()!;
    const [again, reupSeconds] = timed(() => sh('up.sh'));
    expect(again.trim().split('\n').pop()).toBe(kubeconfig);
    process.stderr.write(`[e2e] cluster:up ${upSeconds}s, second cluster:up ${reupSeconds}s\n`);
    expect(reupSeconds).toBeLessThan(20);

    // A real pod, so that there are mounts, a network namespace, a veth and container cgroups to clean up.
    const ref = sh('node/image.sh', ['--tag', 'lifecycle']).trim().split('\n').pop()!;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'lifecycle', namespace: 'default', labels: { app: 'lifecycle' } },
      spec: {
        nodeName: 'real-node',
        securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'web',
            image: ref,
            imagePullPolicy: 'Never',
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    };
    // A policy selecting the pod, so that kube-router's policy controller builds its per-pod chains and ipsets.
    const policy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'lifecycle', namespace: 'default' },
      spec: {
        podSelector: { matchLabels: { app: 'lifecycle' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 8080 }] }],
      },
    };
    const k = (args: string[], input?: string) => runProcess(kubectlBinary(), [`--kubeconfig=${kubeconfig}`, ...args], { input, env: process.env });
    expect((await k(['apply', '-f', '-'], [dump(pod), dump(policy)].join('---\n'))).code).toBe(0);
    const ready = await k(['wait', '--for=condition=Ready', 'pod/lifecycle', '-n', 'default', '--timeout=90s']);
    expect(ready.stderr).toBe('');
    // kube-router syncs its chains and sets within a moment of the pod's IP: wait for the pod's own firewall chain.
    const deadline = Date.now() + 30_000;
    let during = state();
    while (!during.some((l) => /^nft: .*chain KUBE-POD-FW-/.test(l)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      during = state();
    }

    sh('down.sh');
    const after = state();

    // The snapshot sees the node (else an empty comparison would prove nothing)…
    const added = during.filter((l) => !before.includes(l));
    process.stderr.write(
      `[e2e] while up, ${added.length} more state lines, e.g.:\n  ${added.filter((_, i) => i % Math.max(1, Math.floor(added.length / 25)) === 0).join('\n  ')}\n`,
    );
    for (const kind of ['process', 'mount', 'link', 'route', 'nft', 'ipset', 'cgroup', 'path', 'sysctl']) expect([kind, kinds(added).has(kind)]).toEqual([kind, true]);
    expect(added).toEqual(
      expect.arrayContaining(['link: platbr0', 'process: kubelet', 'process: kube-proxy', 'process: kube-router', 'process: containerd', 'process: metrics-server']),
    );
    // kube-router's policy controller: its top-level chains and the pod's own firewall chain.
    for (const chain of ['KUBE-ROUTER-INPUT', 'KUBE-ROUTER-FORWARD', 'KUBE-ROUTER-OUTPUT', 'KUBE-POD-FW-']) {
      expect([chain, added.some((l) => l.startsWith('nft: ') && l.includes(`chain ${chain}`))]).toEqual([chain, true]);
    }
    // …and after the down every line is as before.
    expect({ missing: before.filter((l) => !after.includes(l)), left: after.filter((l) => !before.includes(l)) }).toEqual({ missing: [], left: [] });
  });
});
