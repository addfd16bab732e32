import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../checks/nag';

export interface BackupProps {
  /** `<project>-<env>`: vault and plan names. */
  readonly prefix: string;
  readonly key: kms.IKey;
  readonly retentionDays: number;
  /**
   * Region whose vault `<prefix>-dr` receives a copy of each recovery point.
   * @default - no copy
   */
  readonly copyToRegion?: string;
  readonly database: rds.IDatabaseInstance;
  readonly buckets: readonly s3.IBucket[];
}

/** Name of the disaster-recovery vault in `copyToRegion` (created there once, see docs/operations.md#backups-and-restoring). */
export function disasterRecoveryVaultName(prefix: string): string {
  return `${prefix}-dr`;
}

/**
 * AWS Backup for a production environment's stateful resources: a vault encrypted with the environment key
 * (retained, so recovery points outlive the stack), a daily plan with the configured retention, optionally copied
 * to a vault in a second region, and a selection naming the database and every bucket explicitly.
 * S3 backups need versioning, which every bucket here has.
 */
export class PlatformBackup extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BackupProps) {
    super(scope, id);
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 7) {
      throw new Error(`PlatformBackup ${this.node.path}: retentionDays is ${JSON.stringify(props.retentionDays)}; expected a whole number of at least 7`);
    }
    const stack = Stack.of(this);
    if (props.copyToRegion !== undefined && props.copyToRegion === stack.region) {
      throw new Error(`PlatformBackup ${this.node.path}: copyToRegion is "${props.copyToRegion}", the stack's own region; a disaster-recovery copy must go elsewhere`);
    }

    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: props.prefix,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, // fixed name: nothing left behind by a rolled-back first create
    });
    const deleteAfter = Duration.days(props.retentionDays);
    const copy = props.copyToRegion
      ? [
          {
            destinationBackupVault: backup.BackupVault.fromBackupVaultArn(
              this,
              'DisasterRecoveryVault',
              stack.formatArn({
                service: 'backup',
                region: props.copyToRegion,
                resource: 'backup-vault',
                resourceName: disasterRecoveryVaultName(props.prefix),
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            ),
            deleteAfter,
          },
        ]
      : undefined;
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupPlanName: props.prefix,
      backupVault: this.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'daily',
          // 04:00 UTC: after the database's own 02:00-03:00 snapshot window and the Sunday maintenance.
          scheduleExpression: events.Schedule.cron({ minute: '0', hour: '4' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(8),
          deleteAfter,
          copyActions: copy,
        }),
      ],
    });
    const selection = this.plan.addSelection('Stateful', {
      backupSelectionName: `${props.prefix}-stateful`,
      resources: [backup.BackupResource.fromRdsDatabaseInstance(props.database), ...props.buckets.map((b) => backup.BackupResource.fromArn(b.bucketArn))],
      allowRestores: true,
    });
    // S3 backups and restores need their own AWS-managed policies, and the objects' key (SSE-KMS).
    const role = selection.grantPrincipal as iam.Role;
    for (const name of ['AWSBackupServiceRolePolicyForS3Backup', 'AWSBackupServiceRolePolicyForS3Restore']) {
      role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName(name));
    }
    props.key.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledge(
      role,
      Object.fromEntries(
        [
          'service-role/AWSBackupServiceRolePolicyForBackup',
          'service-role/AWSBackupServiceRolePolicyForRestores',
          'AWSBackupServiceRolePolicyForS3Backup',
          'AWSBackupServiceRolePolicyForS3Restore',
        ].map((policy) => [
          `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`,
          'The policies AWS documents for the role AWS Backup assumes (backup.amazonaws.com only) to back up and restore RDS and S3; maintained by AWS',
        ]),
      ),
    );
    this.role = role;
  }
}
