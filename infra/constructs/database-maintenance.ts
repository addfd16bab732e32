import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledge } from '../checks/nag';
import { encryptedLogGroup } from './log-groups';

/** Engine logs exported to CloudWatch Logs. */
export const ENGINE_LOG_EXPORTS = ['postgresql', 'upgrade'] as const;
/** Enhanced monitoring granularity. */
export const ENHANCED_MONITORING_INTERVAL = Duration.seconds(60);

/** RDS's own terms (DatabaseInstanceProps, CreateDBInstance) wherever one exists. */
export interface DatabaseMaintenanceProps {
  /** Fixed DB instance identifier, so the engine's log groups (`/aws/rds/instance/<id>/<log>`) can be created first. */
  readonly instanceIdentifier: string;
  /** Weekly maintenance window (UTC), validated in config (production: outside business hours). */
  readonly preferredMaintenanceWindow: string;
  /** Retention of the exported engine logs (DatabaseInstanceProps' `cloudwatchLogsRetention`, in days). */
  readonly cloudwatchLogsRetentionDays: number;
  /** Removal policy of the engine log groups. */
  readonly logsRemovalPolicy: RemovalPolicy;
  /** Statements slower than this are logged with their text. @default 1000 */
  readonly slowStatementMs?: number;
}

/**
 * What keeps the database looked after, as DatabaseInstance props: the engine version exactly as pinned (no automatic
 * minor-version upgrades: see below), maintenance in the configured window, Performance Insights encrypted with the environment key, enhanced monitoring every minute,
 * engine logs into KMS-encrypted log groups with a retention (created here, before the instance), and parameters
 * that log slow statements and every connection and disconnection (TLS stays forced).
 * Call `finishDatabaseMaintenance` on the instance afterwards.
 */
export function databaseMaintenance(scope: Construct, key: kms.IKey, props: DatabaseMaintenanceProps): Partial<rds.DatabaseInstanceProps> {
  const slow = props.slowStatementMs ?? 1000;
  if (!Number.isInteger(slow) || slow < 0)
    throw new Error(`databaseMaintenance ${scope.node.path}: slowStatementMs is ${JSON.stringify(slow)}; expected a whole number of milliseconds (0 logs every statement)`);
  const engineLogs = new Construct(scope, 'EngineLogs');
  for (const log of ENGINE_LOG_EXPORTS) {
    encryptedLogGroup(engineLogs, log, key, {
      logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/${log}`,
      removal: props.logsRemovalPolicy,
      retention: props.cloudwatchLogsRetentionDays as logs.RetentionDays,
    });
  }
  return {
    instanceIdentifier: props.instanceIdentifier,
    // One policy for the engine version: the template's pinned minor (database.ts, POSTGRES_VERSION) is what runs. An
    // automatic minor upgrade would move the instance past the pin, and the next pin bump would then be a downgrade
    // CloudFormation cannot apply ("Cannot upgrade postgres from X to Y"). Minor upgrades are a reviewed pin bump that
    // goes through dev, staging and prod in turn (docs/upgrades.md).
    autoMinorVersionUpgrade: false,
    preferredMaintenanceWindow: props.preferredMaintenanceWindow,
    enablePerformanceInsights: true,
    performanceInsightEncryptionKey: key,
    performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
    monitoringInterval: ENHANCED_MONITORING_INTERVAL,
    cloudwatchLogsExports: [...ENGINE_LOG_EXPORTS],
    parameters: {
      'rds.force_ssl': '1',
      log_min_duration_statement: String(slow),
      log_connections: '1',
      log_disconnections: '1',
    },
  };
}

/** The instance waits for its log groups; the enhanced-monitoring role's AWS-managed policy is acknowledged. */
export function finishDatabaseMaintenance(scope: Construct, instance: rds.DatabaseInstance): void {
  instance.node.addDependency(scope.node.findChild('EngineLogs'));
  const monitoringRole = instance.node.tryFindChild('MonitoringRole');
  if (!monitoringRole) throw new Error(`finishDatabaseMaintenance ${instance.node.path}: no MonitoringRole; aws-cdk-lib changed how it creates the enhanced monitoring role`);
  acknowledge(monitoringRole, {
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]':
      'The role RDS enhanced monitoring assumes (monitoring.rds.amazonaws.com only) to write OS metrics; AWS-managed policy documented for it',
  });
}
