import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { platformConfig } from '../../../config';
import { Database, removalPolicyOf } from '../../../infra/constructs/database';

const dev = platformConfig.environments[0];

describe('Database', () => {
  test('fails when the storage ceiling is below the allocated storage', () => {
    const stack = new Stack(undefined, 'Test', { env: { region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'Key');
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
          instanceIdentifier: 'test-db',
          preferredMaintenanceWindow: 'sun:03:30-sun:04:30',
          cloudwatchLogsRetentionDays: 30,
          logsRemovalPolicy: RemovalPolicy.DESTROY,
        }),
    ).toThrow(/maxAllocatedStorageGiB 50 is below allocatedStorageGiB 100/);
  });
});

describe('removalPolicyOf', () => {
  test('maps removal behaviours to removal policies', () => {
    expect(removalPolicyOf('retain')).toBe(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    expect(removalPolicyOf('snapshot')).toBe(RemovalPolicy.SNAPSHOT);
    expect(removalPolicyOf('destroy')).toBe(RemovalPolicy.DESTROY);
  });
});
