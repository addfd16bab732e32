import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { platformConfig } from '../../../config';
import { kubernetesVersion, PlatformCluster } from '../../../infra/constructs/cluster';

const dev = platformConfig.environments[0];

describe('kubernetesVersion', () => {
  test('maps a configured minor version to aws-eks-v2', () => {
    expect(kubernetesVersion('1.35', 'here').version).toBe('1.35');
  });

  test('fails when the Kubernetes version is unknown to aws-eks-v2', () => {
    expect(() => kubernetesVersion('1.99', 'here')).toThrow(/kubernetesVersion is "1.99"/);
    expect(() => kubernetesVersion('latest', 'here')).toThrow(/kubernetesVersion is "latest"/);
  });
});

describe('PlatformCluster', () => {
  test('fails when the public endpoint is open to the whole internet', () => {
    const stack = new Stack(undefined, 'Test', { env: { region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'Key');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    expect(
      () =>
        new PlatformCluster(stack, 'Eks', {
          clusterName: 'c',
          config: { ...dev.cluster, publicAccessCidrs: ['0.0.0.0/0'] },
          vpc,
          key,
          project: 'platform',
          deployRoleArn: 'arn:aws:iam::111111111111:role/deploy',
          applicationNamespace: 'web',
          removal: RemovalPolicy.DESTROY,
        }),
    ).toThrow(/publicAccessCidrs is \["0.0.0.0\/0"\]/);
  });
});
