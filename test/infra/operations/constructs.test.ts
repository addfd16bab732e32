/** Construct-level rules of the operations constructs (their inputs and the variants the default config does not use). */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PlatformBackup } from '../../../infra/constructs/backup';
import { clusterAutoscalerStatements, ClusterOperations } from '../../../infra/constructs/cluster-operations';
import { SUPPORTED_KUBERNETES_VERSIONS } from '../../../config';
import { databaseMaintenance } from '../../../infra/constructs/database-maintenance';
import { alarmQueries } from '../../../infra/constructs/monitoring';

function backupStack(copyToRegion?: string, retentionDays = 35) {
  const stack = new Stack(new App(), 'Test', { env: { region: 'eu-central-1', account: '111122223333' } });
  const key = new kms.Key(stack, 'Key');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const database = new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_9 }),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
  });
  const bucket = new s3.Bucket(stack, 'Bucket', { versioned: true });
  new PlatformBackup(stack, 'Backup', { prefix: 'platform-prod', key, retentionDays, copyToRegion, database, buckets: [bucket] });
  return stack;
}

describe('PlatformBackup', () => {
  test('copies each recovery point to the disaster-recovery vault of the configured region, kept as long', () => {
    const template = Template.fromStack(backupStack('eu-west-1'));
    const plan = Object.values(template.findResources('AWS::Backup::BackupPlan'))[0] as any;
    expect(plan.Properties.BackupPlan.BackupPlanRule[0].CopyActions).toEqual([
      {
        DestinationBackupVaultArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':backup:eu-west-1:111122223333:backup-vault:platform-prod-dr']] },
        Lifecycle: { DeleteAfterDays: 35 },
      },
    ]);
  });

  test('fails when the retention is under a week', () => {
    expect(() => backupStack(undefined, 3)).toThrow(/retentionDays is 3; expected a whole number of at least 7/);
  });

  test('fails when the copy goes to its own region', () => {
    expect(() => backupStack('eu-central-1')).toThrow(/copyToRegion is "eu-central-1", the stack's own region/);
  });
});

describe('ClusterOperations', () => {
  test('fails for a Kubernetes minor without pinned add-ons and Cluster Autoscaler image, naming the pinned ones', () => {
    const stack = new Stack(new App(), 'Test', { env: { region: 'eu-west-1' } });
    expect(() => new ClusterOperations(stack, 'Ops', { cluster: {} as never, clusterName: 'c', kubernetesVersion: '1.33', dependsOn: [] })).toThrow(
      new RegExp(`Kubernetes version "1.33" has no row in config/kubernetes.ts.*pinned: ${SUPPORTED_KUBERNETES_VERSIONS.join(', ')}`),
    );
  });

  test("the autoscaler's mutating permissions name the given cluster, never another", () => {
    const stack = new Stack(new App(), 'Test', { env: { region: 'eu-west-1', account: '111122223333' } });
    const statements = clusterAutoscalerStatements(stack, 'platform-dev').map((s) => s.toStatementJson());
    const text = JSON.stringify(statements.filter((s) => s.Sid !== 'Discover'));
    expect(text).toContain('k8s.io/cluster-autoscaler/platform-dev');
    expect(text).toContain('nodegroup/platform-dev/*/*');
    expect(text).not.toMatch(/platform-(staging|prod)/);
    expect(statements.find((s) => s.Sid === 'Discover')!.Action.every((a: string) => /^(autoscaling|ec2):(Describe|Get)/.test(a))).toBe(true);
  });
});

describe('databaseMaintenance', () => {
  test('fails when the slow-statement threshold is negative', () => {
    const stack = new Stack();
    expect(() =>
      databaseMaintenance(stack, new kms.Key(stack, 'Key'), {
        instanceIdentifier: 'x',
        preferredMaintenanceWindow: 'sun:03:30-sun:04:30',
        cloudwatchLogsRetentionDays: 30,
        logsRemovalPolicy: RemovalPolicy.DESTROY,
        slowStatementMs: -1,
      }),
    ).toThrow(/slowStatementMs is -1; expected a whole number of milliseconds/);
  });
});

describe('alarmQueries', () => {
  test('a Metrics Insights query gets its own period; an expression over inputs lists them after it', () => {
    const query = new cloudwatch.MathExpression({ expression: 'SELECT SUM(RequestCount) FROM "AWS/ApplicationELB"', period: Duration.minutes(1), usingMetrics: {} });
    const metric = new cloudwatch.Metric({ namespace: 'N', metricName: 'M', statistic: 'p99', period: Duration.minutes(5) });
    // The expression's period applies to its inputs (aws-cdk-lib overrides theirs), as the alarm evaluates it.
    const rate = new cloudwatch.MathExpression({ expression: 'a / b', period: Duration.minutes(1), usingMetrics: { a: metric, b: query } });
    expect(alarmQueries(rate)).toEqual([
      { id: 'm', returnData: true, label: undefined, expression: 'a / b', period: undefined },
      {
        id: 'a',
        returnData: false,
        label: undefined,
        metricStat: { metric: { namespace: 'N', metricName: 'M', dimensions: undefined }, period: 60, stat: 'p99', unit: undefined },
      },
      { id: 'b', returnData: false, label: undefined, expression: 'SELECT SUM(RequestCount) FROM "AWS/ApplicationELB"', period: 60 },
    ]);
  });
});
