import { Chart, Testing } from 'cdk8s';
import { renderTarget } from '../../charts/app';
import { WebNetworkPolicy } from '../../charts/network-policy';
import { find, IMAGE, platformConfig } from './helpers';

describe('NetworkPolicy', () => {
  test.each(['dev', 'generic'])('%s denies everything by default in the namespace', (target) => {
    const deny = find(renderTarget(platformConfig, target, { image: IMAGE }).objects, 'NetworkPolicy', 'default-deny');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  test("aws: ingress on 8080 from the VPC only, the metrics port 9090 from the VPC only (the EKS control plane's ENIs, the API server's pod proxy); egress to DNS, the database in the VPC, HTTPS (not IMDS) and the Pod Identity agent", () => {
    const policy = find(renderTarget(platformConfig, 'staging', { image: IMAGE }).objects, 'NetworkPolicy');
    expect(policy.spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'web' } });
    expect(policy.spec.ingress).toEqual([
      { from: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 8080 }] },
      { from: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 9090 }] },
    ]);
    expect(policy.spec.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 5432 }] },
      { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16'] } }], ports: [{ protocol: 'TCP', port: 443 }] },
      { to: [{ ipBlock: { cidr: '169.254.170.23/32' } }], ports: [{ protocol: 'TCP', port: 80 }] },
    ]);
  });

  function synth(props: Partial<ConstructorParameters<typeof WebNetworkPolicy>[2]>): void {
    new WebNetworkPolicy(new Chart(Testing.app(), 't'), 'P', {
      namespace: 'web',
      podLabels: { app: 'web' },
      port: 8080,
      database: { cidr: '10.0.0.0/16', port: 5432 },
      ingressFromCidrs: ['10.0.0.0/16'],
      ...props,
    });
  }

  test('fails when ingress is allowed from nowhere', () => {
    expect(() => synth({ ingressFromCidrs: [] })).toThrow('network policy allows ingress from nowhere');
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
