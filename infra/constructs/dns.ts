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
  /**
   * The hosted zone is another account's (the multi-account layout: the zone stays in the shared-services account).
   * EKS Pod Identity then hands external-dns the credentials of `DnsRecordsRole` in that account (the association's
   * target role, assumed through this cluster's own role), and this account's role may do nothing but assume it.
   * @default - the zone is in this stack's account: this account's role changes the records
   */
  readonly zoneAccount?: {
    /** ARN of the `DnsRecordsRole` in the zone's account. */
    readonly recordsRoleArn: string;
    /** Fixed name of this account's role: the records role's trust names it before it exists. */
    readonly sourceRoleName: string;
  };
}

/** The record changes external-dns may make: the hostnames' own records (and TXT ownership records), of A/AAAA/TXT, in one zone. */
function recordStatements(stack: Stack, hostedZoneId: string, hostnames: readonly string[]): iam.PolicyStatement[] {
  const zoneArn = `arn:${stack.partition}:route53:::hostedzone/${hostedZoneId}`;
  // Route 53 normalizes names to lowercase without the trailing dot. TXT ownership records carry the record type as
  // a prefix on the first label (e.g. "a-app.example.com"), hence "*-<hostname>" besides the exact name.
  // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html
  const recordNames = hostnames.flatMap((host) => [host, `*-${host}`]);
  return [
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
  ];
}

const LIST_ZONES_REASON = 'route53:ListHostedZones has no resource-level permissions (AWS requires "*"); record changes are limited to one zone, these hostnames and record types';

export interface DnsRecordsRoleProps {
  /** Role name (fixed: external-dns's association in the environment account names it). */
  readonly roleName: string;
  /** Route 53 public hosted zone ID (config `dns.hostedZoneId`), in this stack's account. */
  readonly hostedZoneId: string;
  /** The hostnames of the environment whose records this role may change. */
  readonly hostnames: readonly string[];
  /** The environment's account. */
  readonly sourceAccount: string;
  /** The external-dns Pod Identity role of the environment (fixed name): the only principal that may assume this role. */
  readonly sourceRoleArn: string;
}

/**
 * In the hosted zone's account (multi-account layout): the role whose credentials EKS Pod Identity gives external-dns
 * of one environment account (the association's target role). Trusted by exactly that environment's external-dns role
 * (by ARN through `aws:PrincipalArn`, so it need not exist yet: the shared stacks deploy first); it may change only
 * that environment's hostname records, as the same-account role does.
 */
export class DnsRecordsRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DnsRecordsRoleProps) {
    super(scope, id);
    if (props.hostnames.length === 0) throw new Error(`DnsRecordsRole ${this.node.path}: hostnames is empty; give the hostnames whose records the environment owns`);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: `external-dns of account ${props.sourceAccount} (EKS Pod Identity target role): records of ${props.hostnames.join(', ')}`,
      maxSessionDuration: Duration.hours(1),
      // Pod Identity assumes the target role with the source role's session and passes session tags.
      assumedBy: new iam.AccountPrincipal(props.sourceAccount).withConditions({ ArnEquals: { 'aws:PrincipalArn': props.sourceRoleArn } }),
    });
    this.role.assumeRolePolicy!.addStatements(
      new iam.PolicyStatement({
        actions: ['sts:TagSession'],
        principals: [new iam.AccountPrincipal(props.sourceAccount)],
        conditions: { ArnEquals: { 'aws:PrincipalArn': props.sourceRoleArn } },
      }),
    );
    const policy = new iam.Policy(this, 'Policy', { statements: recordStatements(stack, props.hostedZoneId, props.hostnames) });
    this.role.attachInlinePolicy(policy);
    acknowledge(policy, { 'AwsSolutions-IAM5[Resource::*]': LIST_ZONES_REASON });
  }
}

/**
 * external-dns on the cluster: it writes the Route 53 alias records of the application hostnames (Ingress hosts) to
 * the ALB the AWS Load Balancer Controller created, and follows the ALB if it is ever replaced. Its Pod Identity role
 * may change only records named after this cluster's hostnames, of types A/AAAA/TXT, in the one hosted zone; the TXT
 * ownership records (owner = cluster name) keep clusters that share the zone from touching each other's records.
 * With `zoneAccount` (the zone in another account) the same permissions belong to that account's `DnsRecordsRole`,
 * whose credentials EKS Pod Identity hands to external-dns; this account's role can only assume it.
 */
export class ExternalDns extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ExternalDnsProps) {
    super(scope, id);
    if (props.hostnames.length === 0) throw new Error(`ExternalDns ${this.node.path}: hostnames is empty; give the hostnames whose records this cluster owns`);
    const stack = Stack.of(this);
    const target = props.zoneAccount;

    this.role = podIdentityRole(
      this,
      'Role',
      target ? "external-dns (assumes the records role of the hosted zone's account)" : 'external-dns (Route 53 records of the application hostnames)',
      target?.sourceRoleName,
    );
    // EKS Pod Identity assumes the target role with this role's session: AssumeRole and TagSession on it, nothing else.
    const policy = new iam.Policy(this, 'Policy', {
      statements: target
        ? [new iam.PolicyStatement({ sid: 'ZoneAccountRecordsRole', actions: ['sts:AssumeRole', 'sts:TagSession'], resources: [target.recordsRoleArn] })]
        : recordStatements(stack, props.hostedZoneId, props.hostnames),
    });
    this.role.attachInlinePolicy(policy);
    if (!target) acknowledge(policy, { 'AwsSolutions-IAM5[Resource::*]': LIST_ZONES_REASON });

    // With a target role, Pod Identity gives the pods that role's credentials (assumed with this role's session).
    const identity = bindPodIdentity(this, 'Identity', props.cluster.clusterName, EXTERNAL_DNS_SERVICE_ACCOUNT, this.role, target?.recordsRoleArn);

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
