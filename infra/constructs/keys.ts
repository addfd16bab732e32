import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * A customer-managed KMS key with yearly automatic rotation that CloudWatch Logs of the stack's region may use,
 * so log groups (flow logs, API access logs, EKS control plane) are encrypted with the environment's own key.
 * Retained by default (except when the stack's own create rolls back): snapshots, retained buckets and backups
 * encrypted with it outlive the stack. An environment whose data is destroyed passes DESTROY: nothing it encrypted
 * survives, and a kept key costs $1 a month until someone schedules its deletion.
 */
export function createPlatformKey(scope: Construct, id: string, description: string, removal: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE): kms.Key {
  const key = new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    rotationPeriod: Duration.days(365),
    removalPolicy: removal,
    // A destroyed key waits the longest window AWS allows before its deletion: 30 days to cancel it (no charge meanwhile).
    pendingWindow: Duration.days(30),
  });
  const stack = Stack.of(scope);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
      },
    }),
  );
  return key;
}
