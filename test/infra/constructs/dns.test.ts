/**
 * DNS records for the application hostnames: external-dns runs on every cluster (installed with it, Helm through the
 * kubectl provider) and writes the hostname's alias record to the ALB; its Pod Identity role may change only those
 * names in the one hosted zone. Route 53 condition keys for record names and types:
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html
 */
import { Stack } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import { environmentStackName, platformConfig, publicHosts } from '../../../config';
import { EXTERNAL_DNS_CHART_VERSION, EXTERNAL_DNS_SERVICE_ACCOUNT, ExternalDns } from '../../../infra/constructs/dns';
import { platform, resourcesOfType } from '../helpers';

const resolveJoin = (value: any): string => (typeof value === 'string' ? value : value['Fn::Join'][1].map((part: any) => (typeof part === 'string' ? part : '<token>')).join(''));

describe.each(platformConfig.environments.map((env) => [env.name, env] as const))('%s: external-dns', (name, env) => {
  const json = platform().json(environmentStackName(platformConfig.project, name));

  test('is installed with the cluster, pinned, for Ingress hosts in the configured zone only, owner = this cluster', () => {
    const charts = resourcesOfType(json, 'Custom::AWSCDK-EKS-HelmChart').filter(([, r]) => r.Properties.Chart === 'external-dns');
    expect(charts).toHaveLength(1);
    const [[, chart]] = charts;
    expect(chart.Properties).toMatchObject({ Version: EXTERNAL_DNS_CHART_VERSION, Namespace: EXTERNAL_DNS_SERVICE_ACCOUNT.namespace, Wait: true });
    const values = JSON.parse(resolveJoin(chart.Properties.Values));
    expect(values).toMatchObject({
      provider: { name: 'aws' },
      sources: ['ingress'],
      domainFilters: [platformConfig.dns.zoneName],
      extraArgs: expect.arrayContaining([`--zone-id-filter=${platformConfig.dns.hostedZoneId}`]),
      policy: 'sync',
      registry: 'txt',
      txtOwnerId: '<token>',
      serviceAccount: { create: true, name: EXTERNAL_DNS_SERVICE_ACCOUNT.name },
    });
    // The owner ID is the cluster's own name (Ref of the cluster), so clusters sharing the zone keep to their records.
    const clusterId = resourcesOfType(json, 'AWS::EKS::Cluster')[0][0];
    expect(chart.Properties.Values['Fn::Join'][1]).toContainEqual({ Ref: clusterId });
    // Started only once nodes and the Pod Identity agent exist (Helm waits for running pods).
    const dependsOn = chart.DependsOn as string[];
    expect(dependsOn.some((id) => resourcesOfType(json, 'AWS::EKS::Nodegroup').some(([ng]) => ng === id))).toBe(true);
    expect(dependsOn.some((id) => resourcesOfType(json, 'AWS::EKS::PodIdentityAssociation').some(([a]) => a === id))).toBe(true);
  });

  test('its Pod Identity role changes only the environment hostname records (A, AAAA, TXT) in the one zone', () => {
    const [[, association]] = resourcesOfType(json, 'AWS::EKS::PodIdentityAssociation').filter(([, r]) => r.Properties.ServiceAccount === EXTERNAL_DNS_SERVICE_ACCOUNT.name);
    expect(association.Properties.Namespace).toBe(EXTERNAL_DNS_SERVICE_ACCOUNT.namespace);
    const roleId = association.Properties.RoleArn['Fn::GetAtt'][0];
    const [[, policy]] = resourcesOfType(json, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    const change = statements.filter((s) => [s.Action].flat().includes('route53:ChangeResourceRecordSets'));
    expect(change).toHaveLength(1);
    expect(resolveJoin(change[0].Resource)).toBe(`arn:<token>:route53:::hostedzone/${platformConfig.dns.hostedZoneId}`);
    expect(change[0].Condition).toEqual({
      'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': publicHosts(env.workloads).flatMap((host) => [host, `*-${host}`]) },
      'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'AAAA', 'TXT'] },
    });
    // Only ListHostedZones (no resource-level permissions) is on "*".
    for (const s of statements) if (s.Resource === '*') expect(s.Action).toBe('route53:ListHostedZones');
  });
});

describe('ExternalDns', () => {
  test('fails when no hostname is given', () => {
    const stack = new Stack(undefined, 'T', { env: { region: 'eu-west-1' } });
    // Checked before the cluster is used.
    const cluster = undefined as unknown as eks.Cluster;
    expect(() => new ExternalDns(stack, 'Dns', { cluster, hostedZoneId: 'Z1', zoneName: 'example.com', hostnames: [], after: [] })).toThrow(/hostnames is empty/);
  });
});
