import { type CfnElement, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * A customer-managed KMS key with yearly automatic rotation that CloudWatch Logs of the stack's region may use,
 * so log groups (flow logs, API access logs, EKS control plane) are encrypted with the environment's own key.
 * Always retained: snapshots, retained buckets and backups encrypted with it outlive the stack.
 */
export function createPlatformKey(scope: Construct, id: string, description: string): kms.Key {
  const key = new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    rotationPeriod: Duration.days(365),
    removalPolicy: RemovalPolicy.RETAIN,
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

export interface EncryptedLogGroupProps {
  /**
   * Name of the group; give it when a service writes to a fixed name (Lambda, EKS) so the group exists first.
   * @default - a generated name
   */
  readonly logGroupName?: string;
  readonly removal: RemovalPolicy;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly retention?: logs.RetentionDays;
}

/** A KMS-encrypted log group with a bounded retention. */
export function encryptedLogGroup(scope: Construct, id: string, key: kms.IKey, props: EncryptedLogGroupProps): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    logGroupName: props.logGroupName,
    encryptionKey: key,
    retention: props.retention ?? logs.RetentionDays.THREE_MONTHS,
    removalPolicy: props.removal,
  });
}

/** How a cdk-nag finding ID spells `Fn::GetAtt <resource>.Arn` of a construct's CloudFormation resource: `<LogicalId.Arn>`. */
export function nagArn(construct: Construct): string {
  return `<${Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement)}.Arn>`;
}

/** How a cdk-nag finding ID spells the stack's account: `<AWS::AccountId>` when account-agnostic, else the account ID. */
export function nagAccount(stack: Stack): string {
  return Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
}

/** Acknowledges cdk-nag findings on one construct (the narrowest one that owns them), each with its reason. */
export function acknowledge(construct: Construct, findings: Record<string, string>): void {
  Validations.of(construct).acknowledge(...Object.entries(findings).map(([id, reason]) => ({ id, reason })));
}
