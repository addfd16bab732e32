import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

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
