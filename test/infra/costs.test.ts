/**
 * The main cost drivers are configuration choices with cheaper defaults outside production (config/costs.ts):
 * - S3 gateway endpoint always (free; ECR serves image layers from S3, so pulls skip NAT data processing:
 *   https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html#ecr-setting-up-s3-gateway);
 * - interface endpoints for ECR, Secrets Manager and STS (hourly per AZ) only where configured (prod by default);
 * - control-plane log types (CloudWatch ingestion per GB) and flow log traffic (ALL vs REJECT);
 * - Cognito threat protection, which needs the Plus feature plan
 *   (https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-sign-in-feature-plans.html).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { controlPlaneLogTypes, environmentStackName, flowLogTraffic, interfaceEndpoints, platformConfig } from '../../config';
import { IdentityStack } from '../../infra/stacks/identity-stack';
import { platform, resourcesOfType } from './helpers';

const stacks = platformConfig.environments.map((env) => [env.name, env] as const);
const json = (name: string) => platform().json(environmentStackName(platformConfig.project, name));

describe.each(stacks)('%s: cost settings in the template', (name, env) => {
  test('an S3 gateway endpoint on the private route tables, always', () => {
    const gateways = resourcesOfType(json(name), 'AWS::EC2::VPCEndpoint').filter(([, r]) => r.Properties.VpcEndpointType === 'Gateway');
    expect(gateways).toHaveLength(1);
    expect(JSON.stringify(gateways[0][1].Properties.ServiceName)).toContain('.s3');
    expect(gateways[0][1].Properties.RouteTableIds.length).toBeGreaterThanOrEqual(2);
  });

  test('interface endpoints (ECR API and registry, Secrets Manager, STS) only where configured, HTTPS from the VPC only', () => {
    const interfaces = resourcesOfType(json(name), 'AWS::EC2::VPCEndpoint').filter(([, r]) => r.Properties.VpcEndpointType === 'Interface');
    const services = interfaces.map(([, r]) => JSON.stringify(r.Properties.ServiceName).match(/\.(ecr\.api|ecr\.dkr|secretsmanager|sts)"/)?.[1]).sort();
    expect(services).toEqual(interfaceEndpoints(env) ? ['ecr.api', 'ecr.dkr', 'secretsmanager', 'sts'] : []);
    for (const [, endpoint] of interfaces) expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
    if (interfaceEndpoints(env)) {
      const groups = resourcesOfType(json(name), 'AWS::EC2::SecurityGroup').filter(([, g]) => g.Properties.GroupDescription.startsWith('Interface VPC endpoints'));
      expect(groups).toHaveLength(1);
      expect(groups[0][1].Properties.SecurityGroupIngress).toEqual([expect.objectContaining({ CidrIp: env.vpcCidr, FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })]);
    }
  });

  test('flow logs and control-plane log types from the configuration', () => {
    const [[, flowLog]] = resourcesOfType(json(name), 'AWS::EC2::FlowLog');
    expect(flowLog.Properties.TrafficType).toBe(flowLogTraffic(env).toUpperCase());
    const [[, cluster]] = resourcesOfType(json(name), 'AWS::EKS::Cluster');
    expect(cluster.Properties.Logging.ClusterLogging.EnabledTypes.map((t: { Type: string }) => t.Type)).toEqual([...controlPlaneLogTypes(env)]);
    expect(controlPlaneLogTypes(env)).toContain('audit');
  });
});

test('defaults: prod gets interface endpoints, all flows and all five log types; dev neither', () => {
  const types = (name: string) => resourcesOfType(json(name), 'AWS::EC2::VPCEndpoint').length;
  expect([types('dev'), types('prod')]).toEqual([1, 5]);
  const logTypes = (name: string) => resourcesOfType(json(name), 'AWS::EKS::Cluster')[0][1].Properties.Logging.ClusterLogging.EnabledTypes.length;
  expect([logTypes('dev'), logTypes('prod')]).toEqual([2, 5]);
});

describe('Cognito feature plan', () => {
  test('the default configuration (with prod) uses Plus with full threat protection', () => {
    const pool = resourcesOfType(platform().json(`${platformConfig.project}-identity`), 'AWS::Cognito::UserPool')[0][1];
    expect(pool.Properties.UserPoolTier).toBe('PLUS');
    expect(pool.Properties.UserPoolAddOns).toEqual({ AdvancedSecurityMode: 'ENFORCED' });
  });

  test.each([
    ['off', 'ESSENTIALS', undefined],
    ['audit', 'PLUS', { AdvancedSecurityMode: 'AUDIT' }],
  ] as const)('threatProtection "%s": feature plan %s', (threatProtection, tier, addOns) => {
    const config = { ...platformConfig, identity: { ...platformConfig.identity, threatProtection } };
    const stack = new IdentityStack(new App(), 'Identity', { config, env: { region: config.identity.region } });
    const pool = Object.values(Template.fromStack(stack).findResources('AWS::Cognito::UserPool'))[0] as any;
    expect(pool.Properties.UserPoolTier).toBe(tier);
    expect(pool.Properties.UserPoolAddOns).toEqual(addOns);
  });
});
