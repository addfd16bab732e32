import { ArnFormat, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../checks/nag';

export interface BackupProps {
  /** `<project>-<env>`: plan name, and the vault's name before its per-stack suffix. */
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
 * Name of the stack's vault: `<prefix>-<first 8 hex digits of the stack's ID>`. The vault outlives its stack (its
 * recovery points must), so a fixed name would make the next create of the environment fail with "already exists";
 * the stack ID is new at every create and fixed for the stack's life.
 */
export function vaultName(scope: Construct, prefix: string): string {
  const stackUuid = Fn.select(2, Fn.split('/', Stack.of(scope).stackId));
  return Fn.join('-', [prefix, Fn.select(0, Fn.split('-', stackUuid))]);
}

/**
 * AWS Backup for a production environment's stateful resources: a vault encrypted with the environment key
 * (retained, so recovery points outlive the stack; named per stack, see `vaultName`), a daily plan with the configured retention, optionally copied
 * to a vault in a second region, and a selection naming the database and every bucket explicitly.
 * S3 backups need versioning, which every bucket here has.
 */
export class PlatformBackup extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BackupProps) {
    super(scope, id);
    this.validate(props);
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: vaultName(this, props.prefix),
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.plan = this.addPlan(props);
    this.role = this.addSelection(props);
  }

  private validate(props: BackupProps): void {
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 7) {
      throw new Error(`PlatformBackup ${this.node.path}: retentionDays is ${JSON.stringify(props.retentionDays)}; expected a whole number of at least 7`);
    }
    if (!/^[a-zA-Z0-9_-]{2,41}$/.test(props.prefix)) {
      throw new Error(
        `PlatformBackup ${this.node.path}: prefix is ${JSON.stringify(props.prefix)}; expected 2 to 41 letters, digits, "-" or "_" (the vault name adds "-" and 8 characters, 50 at most)`,
      );
    }
    const stack = Stack.of(this);
    if (props.copyToRegion !== undefined && props.copyToRegion === stack.region) {
      throw new Error(`PlatformBackup ${this.node.path}: copyToRegion is "${props.copyToRegion}", the stack's own region; a disaster-recovery copy must go elsewhere`);
    }
  }

  /** Daily backups, kept `retentionDays`, copied to `copyToRegion` when set. */
  private addPlan(props: BackupProps): backup.BackupPlan {
    const stack = Stack.of(this);
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
    return new backup.BackupPlan(this, 'Plan', {
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
  }

  /** The database and the buckets; the role AWS Backup assumes for them. */
  private addSelection(props: BackupProps): iam.Role {
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
    return role;
  }
}
