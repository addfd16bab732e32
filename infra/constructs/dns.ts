import { Duration, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { bindPodIdentity, podIdentityRole } from './pod-identity';
import { acknowledge } from '../checks/nag';

/** Helm chart of external-dns (https://kubernetes-sigs.github.io/external-dns/), app version v0.19.0. */
export const EXTERNAL_DNS_CHART_VERSION = '1.19.0';
/** Namespace and ServiceAccount of external-dns (bound to its role by Pod Identity). */
export const EXTERNAL_DNS_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'external-dns' } as const;
/** Record types external-dns writes for an ALB Ingress: alias A/AAAA records and its TXT ownership records. */
export const EXTERNAL_DNS_RECORD_TYPES = ['A', 'AAAA', 'TXT'] as const;

export interface ExternalDnsProps {
  readonly cluster: eks.Cluster;
  /** Route 53 public hosted zone ID (config `dns.hostedZoneId`). */
  readonly hostedZoneId: string;
  /** Its domain (config `dns.zoneName`). */
  readonly zoneName: string;
  /** The hostnames this cluster serves: the only record names its role may change (plus their TXT ownership records). */
  readonly hostnames: readonly string[];
  /** Started after these (node group, Pod Identity agent): Helm waits for the pods to run. */
  readonly after: readonly Construct[];
}

/**
 * external-dns on the cluster: it writes the Route 53 alias records of the application hostnames (Ingress hosts) to
 * the ALB the AWS Load Balancer Controller created, and follows the ALB if it is ever replaced. Its Pod Identity role
 * may change only records named after this cluster's hostnames, of types A/AAAA/TXT, in the one hosted zone; the TXT
 * ownership records (owner = cluster name) keep clusters that share the zone from touching each other's records.
 */
export class ExternalDns extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ExternalDnsProps) {
    super(scope, id);
    if (props.hostnames.length === 0) throw new Error(`ExternalDns ${this.node.path}: hostnames is empty; give the hostnames whose records this cluster owns`);
    const stack = Stack.of(this);
    const zoneArn = `arn:${stack.partition}:route53:::hostedzone/${props.hostedZoneId}`;
    // Route 53 normalizes names to lowercase without the trailing dot. TXT ownership records carry the record type as
    // a prefix on the first label (e.g. "a-app.example.com"), hence "*-<hostname>" besides the exact name.
    // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html
    const recordNames = props.hostnames.flatMap((host) => [host, `*-${host}`]);

    this.role = podIdentityRole(this, 'Role', 'external-dns (Route 53 records of the application hostnames)');
    const policy = new iam.Policy(this, 'Policy', {
      statements: [
        new iam.PolicyStatement({
          sid: 'ChangeOwnRecords',
          actions: ['route53:ChangeResourceRecordSets'],
          resources: [zoneArn],
          conditions: {
            'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': recordNames },
            'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': [...EXTERNAL_DNS_RECORD_TYPES] },
          },
        }),
        new iam.PolicyStatement({
          sid: 'ReadZone',
          actions: ['route53:ListResourceRecordSets', 'route53:ListTagsForResources', 'route53:ListTagsForResource'],
          resources: [zoneArn],
        }),
        new iam.PolicyStatement({ sid: 'FindZone', actions: ['route53:ListHostedZones'], resources: ['*'] }),
      ],
    });
    this.role.attachInlinePolicy(policy);
    acknowledge(policy, {
      'AwsSolutions-IAM5[Resource::*]':
        'route53:ListHostedZones has no resource-level permissions (AWS requires "*"); record changes are limited to one zone, these hostnames and record types',
    });

    const identity = bindPodIdentity(this, 'Identity', props.cluster.clusterName, EXTERNAL_DNS_SERVICE_ACCOUNT, this.role);

    const chart = props.cluster.addHelmChart('ExternalDns', {
      chart: 'external-dns',
      repository: 'https://kubernetes-sigs.github.io/external-dns/',
      release: 'external-dns',
      version: EXTERNAL_DNS_CHART_VERSION,
      namespace: EXTERNAL_DNS_SERVICE_ACCOUNT.namespace,
      wait: true,
      timeout: Duration.minutes(10),
      values: {
        provider: { name: 'aws' },
        // Route 53 is global; the SDK still wants a region for its endpoint and credentials.
        env: [{ name: 'AWS_DEFAULT_REGION', value: stack.region }],
        serviceAccount: { create: true, name: EXTERNAL_DNS_SERVICE_ACCOUNT.name },
        sources: ['ingress'],
        domainFilters: [props.zoneName],
        extraArgs: [`--zone-id-filter=${props.hostedZoneId}`, '--aws-zone-type=public'],
        // "sync" also deletes the records it owns when their Ingress goes away; ownership is the TXT record.
        policy: 'sync',
        registry: 'txt',
        txtOwnerId: props.cluster.clusterName,
      },
    });
    chart.node.addDependency(identity, ...props.after);
  }
}
