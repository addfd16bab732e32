/** Each construct checks its own props early and names the value it received. */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { platformConfig } from '../../../config';
import { UploadApi } from '../../../infra/constructs/api';
import { kubernetesVersion, PlatformCluster } from '../../../infra/constructs/cluster';
import { Database, removalPolicyOf } from '../../../infra/constructs/database';
import { Network } from '../../../infra/constructs/network';
import { LAMBDA_FIXTURE } from '../helpers';

const dev = platformConfig.environments[0];

function scope() {
  const stack = new Stack(undefined, 'Test', { env: { region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key');
  return { stack, key };
}

describe('Network', () => {
  test('fails when natGateways exceeds the two availability zones', () => {
    const { stack, key } = scope();
    expect(() => new Network(stack, 'Net', { cidr: '10.0.0.0/16', natGateways: 3, key, removal: RemovalPolicy.DESTROY, clusterName: 'c' })).toThrow(
      /natGateways is 3; expected 1 to 2/,
    );
  });
});

describe('PlatformCluster', () => {
  const vpc = () => {
    const s = scope();
    return { ...s, vpc: new ec2.Vpc(s.stack, 'Vpc', { maxAzs: 2 }) };
  };

  test('fails when the Kubernetes version is unknown to aws-eks-v2', () => {
    expect(() => kubernetesVersion('1.99', 'here')).toThrow(/kubernetesVersion is "1.99"/);
    expect(() => kubernetesVersion('latest', 'here')).toThrow(/kubernetesVersion is "latest"/);
    expect(kubernetesVersion('1.35', 'here').version).toBe('1.35');
  });

  test('fails when the public endpoint is open to the whole internet', () => {
    const { stack, key, vpc: v } = vpc();
    expect(
      () =>
        new PlatformCluster(stack, 'Eks', {
          clusterName: 'c',
          config: { ...dev.cluster, publicAccessCidrs: ['0.0.0.0/0'] },
          vpc: v,
          key,
          deployRoleArn: 'arn:aws:iam::111111111111:role/deploy',
          applicationNamespace: 'web',
          removal: RemovalPolicy.DESTROY,
        }),
    ).toThrow(/publicAccessCidrs is \["0.0.0.0\/0"\]/);
  });
});

describe('Database', () => {
  test('fails when the storage ceiling is below the allocated storage', () => {
    const { stack, key } = scope();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    expect(
      () =>
        new Database(stack, 'Db', {
          vpc,
          key,
          config: { ...dev.database, allocatedStorageGiB: 100, maxAllocatedStorageGiB: 50 },
          retention: dev.dataRetention,
          clientSecurityGroup: sg,
          databaseName: 'app',
        }),
    ).toThrow(/maxAllocatedStorageGiB 50 is below allocatedStorageGiB 100/);
  });

  test('maps removal behaviours to removal policies', () => {
    expect(removalPolicyOf('retain')).toBe(RemovalPolicy.RETAIN);
    expect(removalPolicyOf('snapshot')).toBe(RemovalPolicy.SNAPSHOT);
    expect(removalPolicyOf('destroy')).toBe(RemovalPolicy.DESTROY);
  });
});

describe('UploadApi', () => {
  test('fails when the Lambda bundle is missing, telling to run npm run build', () => {
    const { stack, key } = scope();
    const bucket = new s3.Bucket(stack, 'Bucket');
    expect(
      () =>
        new UploadApi(stack, 'Api', {
          functionName: 'f',
          codeDir: '/nonexistent/dist/lambda',
          bucket,
          key,
          jwtIssuer: 'https://issuer',
          jwtAudience: 'client',
          throttleRatePerSecond: 1,
          throttleBurst: 1,
          removal: RemovalPolicy.DESTROY,
        }),
    ).toThrow(/\/nonexistent\/dist\/lambda\/index.js is missing; run "npm run build"/);
  });

  test('accepts a folder holding index.js', () => {
    const { stack, key } = scope();
    const bucket = new s3.Bucket(stack, 'Bucket');
    expect(
      () =>
        new UploadApi(stack, 'Api', {
          functionName: 'f',
          codeDir: LAMBDA_FIXTURE,
          bucket,
          key,
          jwtIssuer: 'https://issuer',
          jwtAudience: 'client',
          throttleRatePerSecond: 1,
          throttleBurst: 1,
          removal: RemovalPolicy.DESTROY,
        }),
    ).not.toThrow();
  });
});
