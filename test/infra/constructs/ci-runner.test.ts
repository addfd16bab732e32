/**
 * The CI runner inside each environment's VPC (CodeBuild-hosted GitHub Actions runner): placement in the private
 * subnets, HTTPS-only egress, reachability of the cluster endpoint in both endpoint modes, encrypted logs, a role
 * without cluster or AWS rights of its own, and the deploy role's access entry scoped to the application namespace.
 */
import { type PlatformConfig, platformConfig, validatePlatformConfig } from '../../../config';
import { names } from '../../../infra/names';
import { platform, resourcesOfType, synthesizeConfig } from '../helpers';

type Json = Record<string, any>;

/** The environment's template and its runner stack's. */
interface Pair {
  readonly env: Json;
  readonly runner: Json;
}

/** The same platform with prod's cluster endpoint private only (synthesized once for this file). */
function privateProd(): Pair {
  const config: PlatformConfig = validatePlatformConfig({
    ...platformConfig,
    environments: platformConfig.environments.map((env) => (env.name === 'prod' ? { ...env, cluster: { ...env.cluster, endpointAccess: 'private', publicAccessCidrs: [] } } : env)),
  });
  const assembly = synthesizeConfig(config, 'private-endpoint');
  expect(assembly.findings).toEqual([]);
  return { env: assembly.json('platform-prod'), runner: assembly.json('platform-prod-runner') };
}

/** What a value of the runner stack read from the environment stack (Fn::GetStackOutput) is there. */
const fromEnvironment = (pair: Pair, value: Json): unknown => {
  const ref = value['Fn::GetStackOutput'];
  expect(ref?.StackName).toBe('platform-prod');
  return pair.env.Outputs[ref.OutputName].Value;
};

const one = (json: Json, type: string): [string, any] => {
  const found = resourcesOfType(json, type);
  expect(found).toHaveLength(1);
  return found[0];
};
const runnerOf = (json: Json) => one(json, 'AWS::CodeBuild::Project')[1].Properties;
const runnerGroupId = (json: Json) => runnerOf(json).VpcConfig.SecurityGroupIds[0]['Fn::GetAtt'][0] as string;

/** Both endpoint modes must leave the runner able to reach the cluster's (private) endpoint. */
const modes: [string, () => Pair][] = [
  ['public-and-private (default)', () => ({ env: platform().json('platform-prod'), runner: platform().json('platform-prod-runner') })],
  ['private only', privateProd],
];

describe.each(modes)('CI runner, cluster endpoint %s', (mode, load) => {
  let pair: Pair;
  let json: Json;
  beforeAll(() => {
    pair = load();
    json = pair.runner;
  });

  test('the cluster endpoint mode is the one configured, private access always on', () => {
    const vpcConfig = one(pair.env, 'AWS::EKS::Cluster')[1].Properties.ResourcesVpcConfig;
    expect(vpcConfig.EndpointPrivateAccess).toBe(true);
    expect(vpcConfig.EndpointPublicAccess).toBe(mode !== 'private only');
  });

  test('a CodeBuild project in the VPC private subnets (NAT egress), started by queued workflow jobs of this repository', () => {
    const runner = runnerOf(json);
    const env = platformConfig.environments.find((e) => e.name === 'prod')!;
    expect(runner.Name).toBe(names.runnerProject(platformConfig, env));
    expect(runner.Source).toMatchObject({ Type: 'GITHUB', Location: `https://github.com/${platformConfig.github.owner}/${platformConfig.github.repository}.git` });
    expect(runner.Triggers).toEqual({ Webhook: true, FilterGroups: [[{ Type: 'EVENT', Pattern: 'WORKFLOW_JOB_QUEUED' }]] });
    const [vpcId] = one(pair.env, 'AWS::EC2::VPC');
    expect(fromEnvironment(pair, runner.VpcConfig.VpcId)).toEqual({ Ref: vpcId });
    const subnets = runner.VpcConfig.Subnets.map((s: Json) => (fromEnvironment(pair, s) as { Ref: string }).Ref);
    expect(subnets).toHaveLength(2);
    expect(new Set(subnets).size).toBe(2);
    for (const id of subnets) {
      const subnet = pair.env.Resources[id];
      expect(subnet.Type).toBe('AWS::EC2::Subnet');
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
      expect(subnet.Properties.Tags).toContainEqual({ Key: 'aws-cdk:subnet-type', Value: 'Private' });
    }
    expect(runner.Environment.PrivilegedMode).toBe(false);
  });

  test('its security group: HTTPS egress only, and the cluster security groups admit it on 443', () => {
    const groupId = runnerGroupId(json);
    const group = json.Resources[groupId].Properties;
    expect(group.SecurityGroupEgress).toEqual([{ CidrIp: '0.0.0.0/0', Description: expect.any(String), FromPort: 443, IpProtocol: 'tcp', ToPort: 443 }]);
    for (const [, r] of resourcesOfType(json, 'AWS::EC2::SecurityGroupEgress')) expect(r.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    expect(group.SecurityGroupIngress).toBeUndefined();
    const ingress = resourcesOfType(json, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => r.Properties.SourceSecurityGroupId?.['Fn::GetAtt']?.[0] === groupId);
    expect(ingress.length).toBeGreaterThanOrEqual(1);
    for (const [, r] of ingress) expect(r.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    // One of them is the security group EKS puts on the endpoint's network interfaces (the cluster security group).
    expect(ingress.map(([, r]) => fromEnvironment(pair, r.Properties.GroupId))).toContainEqual({
      'Fn::GetAtt': [one(pair.env, 'AWS::EKS::Cluster')[0], 'ClusterSecurityGroupId'],
    });
  });

  test('logs go to a KMS-encrypted log group with a retention', () => {
    const logGroup = runnerOf(json).LogsConfig.CloudWatchLogs;
    expect(logGroup.Status).toBe('ENABLED');
    const group = json.Resources[logGroup.GroupName.Ref].Properties;
    const environmentKey = { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] };
    expect(fromEnvironment(pair, group.KmsKeyId)).toEqual(environmentKey);
    expect(group.RetentionInDays).toBeGreaterThan(0);
    // A generated name: a kept group of an earlier runner never blocks this one.
    expect(group.LogGroupName).toBeUndefined();
    expect(fromEnvironment(pair, runnerOf(json).EncryptionKey)).toEqual(environmentKey);
  });

  test('its role may run builds only: no EKS, STS, IAM, ECR or CloudFormation rights, and no access entry', () => {
    const roleId = runnerOf(json).ServiceRole['Fn::GetAtt'][0] as string;
    const policies = resourcesOfType(json, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(roleId));
    expect(policies.length).toBeGreaterThanOrEqual(2);
    const actions = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat())) as string[];
    expect(actions.filter((a) => /^(eks|sts|iam|ecr|cloudformation|secretsmanager|s3):/.test(a))).toEqual([]);
    expect(actions).not.toContain('*');
    expect(actions).toEqual(expect.arrayContaining(['codeconnections:GetConnectionToken', 'logs:PutLogEvents', 'ec2:CreateNetworkInterface']));
    const principals = resourcesOfType(pair.env, 'AWS::EKS::AccessEntry').map(([, e]) => JSON.stringify(e.Properties.PrincipalArn));
    expect(principals).not.toEqual([]);
    expect(principals.some((p) => p.includes('Runner'))).toBe(false);
  });

  test('the deploy role (what the deploy job assumes on the runner) has an access entry scoped to the application namespace', () => {
    const env = platformConfig.environments.find((e) => e.name === 'prod')!;
    const entries = resourcesOfType(pair.env, 'AWS::EKS::AccessEntry').filter(([, e]) =>
      JSON.stringify(e.Properties.PrincipalArn).includes(`:role/${names.deployRole(platformConfig, env)}"`),
    );
    expect(entries).toHaveLength(1);
    expect(entries[0][1].Properties.AccessPolicies).toEqual([
      {
        AccessScope: { Type: 'namespace', Namespaces: [env.namespace] },
        PolicyArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSAdminPolicy']] },
      },
    ]);
  });
});

describe.each(platformConfig.environments.map((env) => [env.name, env] as const))('every environment has its runner: %s', (name, env) => {
  test("in a stack of its own, in the environment's VPC, named after the environment; the environment stack has none", () => {
    const json = platform().json(names.runnerStack(platformConfig, env));
    expect(runnerOf(json).Name).toBe(names.runnerProject(platformConfig, env));
    expect(runnerOf(json).VpcConfig.VpcId).toEqual({ 'Fn::GetStackOutput': { StackName: `platform-${name}`, OutputName: 'RunnerVpcId' } });
    expect(resourcesOfType(platform().json(`platform-${name}`), 'AWS::CodeBuild::Project')).toEqual([]);
  });
});
