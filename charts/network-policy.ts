import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { WORKLOAD_NAME } from '../config';
import { ChartInputError } from './errors';
import { checkCidr, checkDnsLabel, checkInteger } from './validation';

/** An allowed destination outside the cluster: a CIDR and a TCP port. */
export interface EgressDestination {
  /** IPv4 CIDR. */
  readonly cidr: string;
  /** TCP port. */
  readonly port: number;
  /**
   * Addresses inside `cidr` that stay blocked.
   * @default - none
   */
  readonly except?: readonly string[];
}

export interface WebNetworkPolicyProps {
  /** Namespace of the policies (and of the pods they select). */
  readonly namespace: string;
  /** Labels of the application's pods. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Container port that receives traffic from the load-balancer path. */
  readonly port: number;
  /**
   * Name of the allow policy.
   * @default WORKLOAD_NAME ("web")
   */
  readonly name?: string;
  /**
   * CIDRs allowed to reach `port`, e.g. the VPC (an ALB with `target-type: ip` connects from its ENIs in the VPC).
   * @default - none
   */
  readonly ingressFromCidrs?: readonly string[];
  /**
   * Namespaces (by `kubernetes.io/metadata.name`) whose pods may reach `port`, e.g. "ingress-nginx".
   * @default - none
   */
  readonly ingressFromNamespaces?: readonly string[];
  /**
   * The metrics port and where the API server's pod proxy connects from (the deploy command's canary analysis reads
   * each pod's metrics through `/api/v1/namespaces/<ns>/pods/<pod>:<port>/proxy/metrics`): only those sources.
   * @default - no ingress to a metrics port
   */
  readonly metrics?: { readonly port: number; readonly fromCidrs: readonly string[] };
  /** Where the database is reachable. */
  readonly database: EgressDestination;
  /**
   * Further egress: AWS APIs over HTTPS, the EKS Pod Identity agent, …
   * @default - none
   */
  readonly egress?: readonly EgressDestination[];
  /**
   * Namespace of the cluster DNS (pods labelled `k8s-app: kube-dns`, CoreDNS's conventional label).
   * @default "kube-system"
   */
  readonly dnsNamespace?: string;
  /**
   * Also create a `default-deny` policy selecting every pod of the namespace (no ingress, no egress).
   * @default true
   */
  readonly defaultDeny?: boolean;
}

/** Default deny for the namespace, plus the application's allow-list: ingress only from the load-balancer path, egress only to DNS, the database and the listed destinations. */
export class WebNetworkPolicy extends Construct {
  constructor(scope: Construct, id: string, props: WebNetworkPolicyProps) {
    super(scope, id);
    checkDnsLabel('namespace', props.namespace);
    checkInteger('port', props.port, 1, 65535);
    const dnsNamespace = props.dnsNamespace ?? 'kube-system';
    checkDnsLabel('dnsNamespace', dnsNamespace);
    const fromCidrs = props.ingressFromCidrs ?? [];
    const fromNamespaces = props.ingressFromNamespaces ?? [];
    fromCidrs.forEach((cidr, i) => checkCidr(`ingressFromCidrs[${i}]`, cidr));
    fromNamespaces.forEach((ns, i) => checkDnsLabel(`ingressFromNamespaces[${i}]`, ns));
    if (fromCidrs.length + fromNamespaces.length === 0) {
      throw new ChartInputError('network policy allows ingress from nowhere; give ingressFromCidrs (e.g. the VPC CIDR) or ingressFromNamespaces (e.g. "ingress-nginx")');
    }

    if (props.defaultDeny ?? true) {
      new k8s.KubeNetworkPolicy(this, 'DefaultDeny', {
        metadata: { name: 'default-deny', namespace: props.namespace },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      });
    }

    const ingressPeers: k8s.NetworkPolicyPeer[] = [
      ...fromCidrs.map((cidr) => ({ ipBlock: { cidr } })),
      ...fromNamespaces.map((name) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } })),
    ];
    const ingress: k8s.NetworkPolicyIngressRule[] = [{ from: ingressPeers, ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(props.port) }] }];
    if (props.metrics) ingress.push(metricsRule(props.metrics, props.port));

    const egress: k8s.NetworkPolicyEgressRule[] = [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': dnsNamespace } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
          { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
        ],
      },
      ...[props.database, ...(props.egress ?? [])].map((destination, i) => toEgressRule(destination, i === 0 ? 'database' : `egress[${i - 1}]`)),
    ];

    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: props.name ?? WORKLOAD_NAME, namespace: props.namespace },
      spec: { podSelector: { matchLabels: { ...props.podLabels } }, policyTypes: ['Ingress', 'Egress'], ingress, egress },
    });
  }
}

/** The metrics port, from the API server's proxy only (its own rule: the load-balancer path never reaches it). */
function metricsRule(metrics: NonNullable<WebNetworkPolicyProps['metrics']>, servicePort: number): k8s.NetworkPolicyIngressRule {
  checkInteger('metrics.port', metrics.port, 1, 65535);
  if (metrics.port === servicePort) throw new ChartInputError(`metrics.port ${metrics.port} is the service port; the metrics need a port of their own`);
  if (metrics.fromCidrs.length === 0) throw new ChartInputError("metrics.fromCidrs is empty; give where the API server's pod proxy connects from (e.g. the VPC CIDR on EKS)");
  metrics.fromCidrs.forEach((cidr, i) => checkCidr(`metrics.fromCidrs[${i}]`, cidr));
  return { from: metrics.fromCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(metrics.port) }] };
}

function toEgressRule(destination: EgressDestination, field: string): k8s.NetworkPolicyEgressRule {
  checkCidr(`${field}.cidr`, destination.cidr);
  checkInteger(`${field}.port`, destination.port, 1, 65535);
  (destination.except ?? []).forEach((cidr, i) => checkCidr(`${field}.except[${i}]`, cidr));
  const ipBlock = destination.except?.length ? { cidr: destination.cidr, except: [...destination.except] } : { cidr: destination.cidr };
  return { to: [{ ipBlock }], ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(destination.port) }] };
}
