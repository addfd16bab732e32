import { Chart, Testing } from 'cdk8s';
import { renderTarget } from '../../charts/app';
import { WorkloadNetworkPolicy } from '../../charts/network-policy';
import type { ServiceWorkload } from '../../config';
import { find, IMAGE, platformConfig, realOutputs, withExtraWorkloads } from './helpers';

const DNS = {
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
};
const tcp = (port: number) => ({ protocol: 'TCP', port });

/** The test suite's internal service: only `web` may call it. */
const LEDGER: ServiceWorkload = {
  kind: 'service',
  name: 'ledger',
  image: 'app',
  exposure: { kind: 'internal' },
  port: 8081,
  minReplicas: 1,
  maxReplicas: 2,
  cpuMillis: 50,
  memoryMiB: 64,
  allowFrom: ['web'],
};

function policy(target: string, name: string, config = platformConfig) {
  const outputs = target === 'generic' ? undefined : realOutputs(config, target);
  return find(renderTarget(config, target, { images: { app: IMAGE }, outputs }).objects, 'NetworkPolicy', name);
}

describe('NetworkPolicy', () => {
  test.each(['dev', 'generic'])('%s denies everything by default in the namespace, once', (target) => {
    const { files } = renderTarget(platformConfig, target, { images: { app: IMAGE } });
    const denies = files.flatMap((f) => (f.objects as { kind: string; metadata: { name: string } }[]).filter((o) => o.metadata.name === 'default-deny').map(() => f.file));
    expect(denies).toEqual(['namespace.k8s.yaml']);
    expect(policy(target, 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  test("aws: web takes 8080 from the VPC only (the ALB), 9090 from the VPC only (the API server's pod proxy); egress to DNS, the database, HTTPS (not IMDS) and the Pod Identity agent", () => {
    const web = policy('staging', 'web');
    expect(web.spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'web' } });
    expect(web.spec.ingress).toEqual([
      { from: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [tcp(8080)] },
      { from: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [tcp(9090)] },
    ]);
    expect(web.spec.egress).toEqual([
      DNS,
      { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [tcp(5432)] },
      { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16'] } }], ports: [tcp(443)] },
      { to: [{ ipBlock: { cidr: '169.254.170.23/32' } }], ports: [tcp(80)] },
    ]);
  });

  test('generic: the worker reaches the database and DNS and nothing else; nothing reaches it but the metrics scrape', () => {
    const worker = policy('generic', 'worker');
    expect(worker.spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'worker' } });
    expect(worker.spec.egress).toEqual([DNS, { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [tcp(5432)] }]);
    expect(worker.spec.ingress).toEqual([{ from: [{ ipBlock: { cidr: '198.18.0.1/32' } }], ports: [tcp(9090)] }]);
  });

  test("generic: a target's databaseCidr is the database egress's only destination", () => {
    const config = { ...platformConfig, portableTargets: platformConfig.portableTargets.map((t) => ({ ...t, databaseCidr: '198.18.0.1/32' })) };
    for (const name of ['web', 'worker', 'prune']) {
      expect([name, policy('generic', name, config).spec.egress[1]]).toEqual([name, { to: [{ ipBlock: { cidr: '198.18.0.1/32' } }], ports: [tcp(5432)] }]);
    }
  });

  test('aws: the worker reaches DNS, the database and the Pod Identity agent (its IAM database login), not AWS APIs', () => {
    expect(policy('prod', 'worker').spec.egress).toEqual([
      DNS,
      { to: [{ ipBlock: { cidr: '10.30.0.0/16' } }], ports: [tcp(5432)] },
      { to: [{ ipBlock: { cidr: '169.254.170.23/32' } }], ports: [tcp(80)] },
    ]);
  });

  test("the CronJob's pods take no ingress at all", () => {
    for (const target of ['dev', 'generic']) {
      const prune = policy(target, 'prune');
      expect(prune.spec.ingress).toEqual([]);
      expect(prune.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    }
  });

  test('an internal service admits only the workloads of its allowFrom, on its port; the caller may reach it there', () => {
    const config = withExtraWorkloads(platformConfig, LEDGER);
    for (const target of ['dev', 'generic']) {
      const ledger = policy(target, 'ledger', config);
      const metricsFrom = target === 'generic' ? '198.18.0.1/32' : '10.10.0.0/16';
      expect(ledger.spec.ingress).toEqual([
        { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } }], ports: [tcp(8081)] },
        { from: [{ ipBlock: { cidr: metricsFrom } }], ports: [tcp(9090)] },
      ]);
      expect(policy(target, 'web', config).spec.egress).toContainEqual({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ledger' } } }], ports: [tcp(8081)] });
      // The worker is not in its allowFrom: no edge either way.
      expect(JSON.stringify(policy(target, 'worker', config).spec.egress)).not.toContain('ledger');
    }
  });

  function synth(props: Partial<ConstructorParameters<typeof WorkloadNetworkPolicy>[2]>): void {
    new WorkloadNetworkPolicy(new Chart(Testing.app(), 't'), 'P', {
      namespace: 'web',
      name: 'web',
      podLabels: { app: 'web' },
      port: 8080,
      database: { cidr: '10.0.0.0/16', port: 5432 },
      ingressFromCidrs: ['10.0.0.0/16'],
      ...props,
    });
  }

  test('fails when callers are admitted to a workload without a port', () => {
    expect(() => synth({ port: undefined })).toThrow('network policy "web" admits callers but has no port');
  });

  test('the metrics port needs sources and a port of its own', () => {
    expect(() => synth({ metrics: { port: 9090, fromCidrs: [] } })).toThrow("metrics.fromCidrs is empty; give where the API server's pod proxy connects from");
    expect(() => synth({ metrics: { port: 8080, fromCidrs: ['10.0.0.0/16'] } })).toThrow('metrics.port 8080 is the service port');
    expect(() => synth({ metrics: { port: 9090, fromCidrs: ['10.0.0/16'] } })).toThrow('metrics.fromCidrs[0] is "10.0.0/16"');
  });

  test('fails when a CIDR is malformed', () => {
    expect(() => synth({ database: { cidr: '10.0.0/16', port: 5432 } })).toThrow('database.cidr is "10.0.0/16"');
  });
});
