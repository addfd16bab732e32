import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
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

/** Pods of another workload in the namespace, by their selector labels. */
export interface WorkloadPeer {
  /** The workload's name (for the reader; the selector is what counts). */
  readonly name: string;
  /** Its pods' selector labels. */
  readonly podLabels: Readonly<Record<string, string>>;
}

export interface WorkloadNetworkPolicyProps {
  /** Namespace of the policy (and of the pods it selects). */
  readonly namespace: string;
  /** Name of the policy: the workload's. */
  readonly name: string;
  /** Labels of the workload's pods. */
  readonly podLabels: Readonly<Record<string, string>>;
  /**
   * Container port that receives traffic (a service's HTTP port); none for a worker or a CronJob.
   * @default - no ingress except `metrics`
   */
  readonly port?: number;
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
   * Workloads of the namespace whose pods may reach `port` (the declaration's `allowFrom`).
   * @default - none
   */
  readonly ingressFromWorkloads?: readonly WorkloadPeer[];
  /**
   * The metrics port and where the API server's pod proxy connects from (the deploy command's canary analysis reads
   * each pod's metrics through `/api/v1/namespaces/<ns>/pods/<pod>:<port>/proxy/metrics`): only those sources.
   * @default - no ingress to a metrics port
   */
  readonly metrics?: { readonly port: number; readonly fromCidrs: readonly string[] };
  /**
   * Where the database is reachable (only for a workload with database access).
   * @default - no database
   */
  readonly database?: EgressDestination;
  /**
   * Services of the namespace it may call: their pods, on their ports.
   * @default - none
   */
  readonly egressToWorkloads?: readonly (WorkloadPeer & { readonly port: number })[];
  /**
   * Further egress: AWS APIs over HTTPS, the EKS Pod Identity agent, named CIDRs, …
   * @default - none
   */
  readonly egress?: readonly EgressDestination[];
  /**
   * Namespace of the cluster DNS (pods labelled `k8s-app: kube-dns`, CoreDNS's conventional label).
   * @default "kube-system"
   */
  readonly dnsNamespace?: string;
  /**
   * Annotations of the policy (e.g. the deploy phase that applies it).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * One workload's allow-list on top of the namespace's default deny (`DefaultDenyPolicy`): ingress only on its port
 * from the declared callers (and, for a public service, the ingress path), egress only to DNS, the database, the
 * services it may call and the listed destinations.
 */
export class WorkloadNetworkPolicy extends Construct {
  constructor(scope: Construct, id: string, props: WorkloadNetworkPolicyProps) {
    super(scope, id);
    checkDnsLabel('namespace', props.namespace);
    checkDnsLabel('name', props.name);
    const dnsNamespace = props.dnsNamespace ?? 'kube-system';
    checkDnsLabel('dnsNamespace', dnsNamespace);
    const fromCidrs = props.ingressFromCidrs ?? [];
    const fromNamespaces = props.ingressFromNamespaces ?? [];
    const fromWorkloads = props.ingressFromWorkloads ?? [];
    fromCidrs.forEach((cidr, i) => checkCidr(`ingressFromCidrs[${i}]`, cidr));
    fromNamespaces.forEach((ns, i) => checkDnsLabel(`ingressFromNamespaces[${i}]`, ns));
    if (props.port === undefined && fromCidrs.length + fromNamespaces.length + fromWorkloads.length > 0) {
      throw new ChartInputError(`network policy "${props.name}" admits callers but has no port; give the port they call`);
    }
    if (props.port !== undefined) checkInteger('port', props.port, 1, 65535);

    const ingress: k8s.NetworkPolicyIngressRule[] = [];
    const ingressPeers: k8s.NetworkPolicyPeer[] = [
      ...fromCidrs.map((cidr) => ({ ipBlock: { cidr } })),
      ...fromNamespaces.map((name) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } })),
      ...fromWorkloads.map((peer) => ({ podSelector: { matchLabels: { ...peer.podLabels } } })),
    ];
    if (props.port !== undefined && ingressPeers.length > 0) ingress.push({ from: ingressPeers, ports: [tcp(props.port)] });
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
      ...(props.database ? [toEgressRule(props.database, 'database')] : []),
      ...(props.egressToWorkloads ?? []).map((peer, i) => {
        checkInteger(`egressToWorkloads[${i}].port`, peer.port, 1, 65535);
        return { to: [{ podSelector: { matchLabels: { ...peer.podLabels } } }], ports: [tcp(peer.port)] };
      }),
      ...(props.egress ?? []).map((destination, i) => toEgressRule(destination, `egress[${i}]`)),
    ];

    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, ...(props.annotations ? { annotations: { ...props.annotations } } : {}) },
      spec: { podSelector: { matchLabels: { ...props.podLabels } }, policyTypes: ['Ingress', 'Egress'], ingress, egress },
    });
  }
}

/** The namespace's default deny: every pod, no ingress and no egress, unless a workload's own policy allows it. */
export class DefaultDenyPolicy extends Construct {
  constructor(scope: Construct, id: string, props: { readonly namespace: string }) {
    super(scope, id);
    checkDnsLabel('namespace', props.namespace);
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: 'default-deny', namespace: props.namespace },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
  }
}

function tcp(port: number): k8s.NetworkPolicyPort {
  return { protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) };
}

/** The metrics port, from the API server's proxy only (its own rule: the load-balancer path never reaches it). */
function metricsRule(metrics: NonNullable<WorkloadNetworkPolicyProps['metrics']>, servicePort: number | undefined): k8s.NetworkPolicyIngressRule {
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
