import { CfnResource, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { encryptedLogGroup } from './log-groups';

/** Log group RDS enhanced monitoring writes every instance's OS metrics to (one per account and region). */
export const ENHANCED_MONITORING_LOG_GROUP = 'RDSOSMetrics';

export interface RegionalOperationsProps {
  /** The region's shared key. */
  readonly key: kms.IKey;
}

/**
 * Per-region (account-wide) operations settings shared by the environments there:
 * - "resource tags on telemetry" (AWS::ObservabilityAdmin::TelemetryEnrichment), which lets CloudWatch Metrics
 *   Insights select vended metrics by resource tag: the web alarms find the controller-created ALB that way;
 * - the enhanced-monitoring log group of RDS, created first so it is KMS-encrypted and expires.
 */
export class RegionalOperations extends Construct {
  constructor(scope: Construct, id: string, props: RegionalOperationsProps) {
    super(scope, id);
    // A plain CfnResource: aws-observabilityadmin's generated module (160 KB) would be parsed on every synth for it.
    new CfnResource(this, 'ResourceTagsOnTelemetry', { type: 'AWS::ObservabilityAdmin::TelemetryEnrichment', properties: { Scope: 'ACCOUNT' } });
    encryptedLogGroup(this, 'EnhancedMonitoringLogs', props.key, {
      logGroupName: ENHANCED_MONITORING_LOG_GROUP,
      removal: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, // fixed name: nothing left behind by a rolled-back first create
      retention: logs.RetentionDays.ONE_MONTH,
    });
  }
}
