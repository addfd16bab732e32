import { RemovalPolicy, Stack } from 'aws-cdk-lib';
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

/**
 * Outside production, every log group under `scope` whose name is fixed (by EKS `/aws/eks/<cluster>/cluster`, RDS
 * `/aws/rds/instance/<id>/<log>`, Container Insights, Lambda, CodeBuild) is deleted with the stack, whatever the data
 * removal: a kept group with a fixed name makes the next create of the same environment fail with "already exists".
 * Groups with generated names follow the data removal (kept ones never collide). Production keeps them (audit trail);
 * its recreate imports them (`npm run recreate:import`, docs/operations.md). Returns the groups it changed.
 */
export function destroyFixedNameLogGroups(scope: Construct): logs.CfnLogGroup[] {
  // A generated name is a token that resolves to nothing (the L2's physical name); a fixed one resolves to a value.
  const fixed = scope.node.findAll().filter((c): c is logs.CfnLogGroup => c instanceof logs.CfnLogGroup && Stack.of(c).resolve(c.logGroupName) !== undefined);
  for (const group of fixed) group.applyRemovalPolicy(RemovalPolicy.DESTROY);
  return fixed;
}
