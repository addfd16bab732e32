import { Duration, type RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { pascalCase, publicServices, type ResolvedOperations, type Workload } from '../../config';
import { encryptedLogGroup } from './log-groups';

/**
 * Log groups the amazon-cloudwatch-observability add-on writes to (Fluent Bit: the first three; the agent: performance).
 * On Amazon Linux 2023 nodes Fluent Bit feeds neither dataplane nor host (docs/operations.md#where-logs-and-metrics-are).
 */
export const CONTAINER_LOG_GROUP_KINDS = ['application', 'dataplane', 'host', 'performance'] as const;

/** Namespace of the metrics this platform derives from logs (one per environment: `<project>-<env>`). */
/** Metric of a service's request duration (from its request logs), e.g. "WebRequestDuration" for `web`. */
export function requestDurationMetric(workload: string): string {
  return `${pascalCase(workload)}RequestDuration`;
}

export interface ContainerLogsProps {
  readonly clusterName: string;
  readonly key: kms.IKey;
  readonly retentionDays: number;
  readonly removal: RemovalPolicy;
}

/**
 * The Container Insights log groups, created before the add-on so they are KMS-encrypted with the environment key
 * and keep logs for the configured days (Fluent Bit's `auto_create_group` would create them unencrypted, forever).
 */
export class ContainerLogs extends Construct {
  readonly groups: Record<(typeof CONTAINER_LOG_GROUP_KINDS)[number], logs.LogGroup>;

  constructor(scope: Construct, id: string, props: ContainerLogsProps) {
    super(scope, id);
    const retention = props.retentionDays as logs.RetentionDays;
    this.groups = Object.fromEntries(
      CONTAINER_LOG_GROUP_KINDS.map((kind) => [
        kind,
        encryptedLogGroup(this, kind, props.key, { logGroupName: `/aws/containerinsights/${props.clusterName}/${kind}`, removal: props.removal, retention }),
      ]),
    ) as ContainerLogs['groups'];
  }
}

export interface MonitoringProps {
  /** `<project>-<env>`: prefix of the topic, alarm and dashboard names. */
  readonly prefix: string;
  readonly operations: ResolvedOperations;
  /** The environment key: encrypts the topic. */
  readonly key: kms.Key;
  readonly clusterName: string;
  /** Tag on the ALB and target groups that the controller creates (config `loadBalancerTag`). */
  readonly loadBalancerTag: { readonly key: string; readonly value: string };
  /** Container log group of the application (Fluent Bit). */
  readonly applicationLogs: logs.ILogGroup;
  /** Namespace of the workloads. */
  readonly namespace: string;
  /** The environment's workloads: each gets the alarms of its kind. */
  readonly workloads: readonly Workload[];
  readonly api: apigw.HttpApi;
  readonly apiFunction: lambda.IFunction;
  readonly database: rds.DatabaseInstance;
  readonly databaseAllocatedStorageGiB: number;
}

/** Where the alarms' runbook is, from the repository's root: each alarm's description names it. */
const RUNBOOK = 'docs/operations.md#alarms-and-the-first-thing-to-check';

/** What an alarm watches and when it fires; the runbook ({@link RUNBOOK}) has one line per `id`. */
export interface AlarmDefinition {
  readonly id: string;
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: cloudwatch.TreatMissingData;
}

const GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
const GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
const LT = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD;
const { NOT_BREACHING, BREACHING, MISSING } = cloudwatch.TreatMissingData;
const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);
/** An alarm fires when `datapoints` of the last `periods` evaluation periods breach ("M out of N"). */
const breachingIn = (datapoints: number, periods: number) => ({ datapointsToAlarm: datapoints, evaluationPeriods: periods });
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/**
 * One SNS topic per environment (KMS, TLS-only publishers, subscriptions from configuration), the alarms of the
 * environment's ALB, of each workload (by kind), the API and the database (OK and ALARM both notify), and the
 * environment's dashboard.
 *
 * Paging versus notifying: the severity is the environment's (`page` in production, `notify` elsewhere). It is
 * in every alarm's name and description and on the topic's `Severity` tag, and configuration validation allows
 * `pager` subscriptions only in production (and requires one there): a non-production alarm cannot wake anyone.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  /** Names of the alarms, in definition order. */
  readonly alarmNames: string[] = [];
  readonly definitions: AlarmDefinition[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { operations: ops } = props;
    const severity = ops.severity;

    this.topic = new sns.Topic(this, 'Topic', {
      topicName: `${props.prefix}-alarms`,
      displayName: `${props.prefix} alarms (${severity})`,
      masterKey: props.key,
      enforceSSL: true,
    });
    Tags.of(this.topic).add('Severity', severity);
    // CloudWatch publishes alarm state changes to the encrypted topic: it needs the key, for this account's alarms only.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    for (const subscription of ops.notifications) {
      this.topic.addSubscription(
        subscription.kind === 'email'
          ? new subscriptions.EmailSubscription(subscription.endpoint)
          : new subscriptions.UrlSubscription(subscription.endpoint, { protocol: sns.SubscriptionProtocol.HTTPS }),
      );
    }

    this.definitions = [
      ...(publicServices(props.workloads).length > 0 ? this.ingressAlarms(props) : []),
      ...props.workloads.flatMap((workload) => this.workloadAlarms(props, workload)),
      ...this.apiAlarms(props),
      ...this.databaseAlarms(props),
    ];
    // L1 alarms: the L2 Alarm costs ~5 ms each at synth (36 of them); the rendering below is all we use of it.
    for (const definition of this.definitions) {
      const alarmName = `${props.prefix}-${severity}-${definition.id}`;
      new cloudwatch.CfnAlarm(this, definition.id, {
        alarmName,
        alarmDescription: `[${severity}] ${definition.description} Runbook: ${RUNBOOK}, ${definition.id}.`,
        metrics: alarmQueries(definition.metric),
        threshold: definition.threshold,
        comparisonOperator: definition.comparisonOperator,
        evaluationPeriods: definition.evaluationPeriods,
        datapointsToAlarm: definition.datapointsToAlarm,
        treatMissingData: definition.treatMissingData,
        alarmActions: [this.topic.topicArn],
        okActions: [this.topic.topicArn],
      });
      this.alarmNames.push(alarmName);
    }

    this.dashboard = this.createDashboard(props);
  }

  /**
   * The environment's ALB, shared by its public services. Its ARN is unknown at synth (the controller creates it), so
   * its metrics are selected by the tag the Ingresses give it, with Metrics Insights queries.
   */
  private ingressAlarms(props: MonitoringProps): AlarmDefinition[] {
    const t = props.operations.alarms;
    const fiveHundreds = new cloudwatch.MathExpression({
      label: 'ALB 5xx, % of requests',
      expression: '100 * (FILL(targetErrors, 0) + FILL(albErrors, 0)) / requests',
      period: MINUTE,
      usingMetrics: {
        targetErrors: albQuery(props, 'SUM', 'HTTPCode_Target_5XX_Count'),
        albErrors: albQuery(props, 'SUM', 'HTTPCode_ELB_5XX_Count'),
        requests: albQuery(props, 'SUM', 'RequestCount'),
      },
    });
    return [
      {
        id: 'IngressHttp5xxRate',
        description: `More than ${t.loadBalancer5xxPercent}% of the public services' requests at the load balancer answered 5xx in 3 of 5 minutes.`,
        metric: fiveHundreds,
        threshold: t.loadBalancer5xxPercent,
        comparisonOperator: GT,
        ...breachingIn(3, 5),
        treatMissingData: NOT_BREACHING, // no requests, no rate
      },
      {
        id: 'IngressUnhealthyTargets',
        description: `${t.unhealthyTargets} or more of the public services' ALB targets were unhealthy for 3 minutes.`,
        metric: albQuery(props, 'MAX', 'UnHealthyHostCount', 'LoadBalancer, TargetGroup'),
        threshold: t.unhealthyTargets,
        comparisonOperator: GTE,
        ...breachingIn(3, 3),
        treatMissingData: MISSING, // always reported while the ALB exists: no data means no (tagged) ALB yet
      },
      {
        id: 'IngressNoHealthyTargets',
        description: 'A target group of the ALB had no healthy target for 2 minutes: a public service is down.',
        metric: albQuery(props, 'MIN', 'HealthyHostCount', 'LoadBalancer, TargetGroup'),
        threshold: 1,
        comparisonOperator: LT,
        ...breachingIn(2, 2),
        treatMissingData: MISSING,
      },
    ];
  }

  /**
   * The alarms that fit a workload's kind: request latency (from its own request logs; Metrics Insights has no
   * percentiles) and restarts for services, restarts for workers (a stuck worker fails liveness), failed runs for
   * CronJobs (error lines of its pods).
   */
  private workloadAlarms(props: MonitoringProps, workload: Workload): AlarmDefinition[] {
    const t = props.operations.alarms;
    const id = pascalCase(workload.name);
    const logFilter = (suffix: string, metricName: string, ...patterns: logs.JsonPattern[]) =>
      new logs.MetricFilter(this, `${id}${suffix}`, {
        logGroup: props.applicationLogs,
        // Fluent Bit (Merge_Log, Merge_Log_Key log_processed) nests the workload's JSON lines under log_processed.
        filterPattern: logs.FilterPattern.all(
          logs.FilterPattern.stringValue('$.kubernetes.namespace_name', '=', props.namespace),
          logs.FilterPattern.stringValue('$.kubernetes.container_name', '=', workload.name),
          ...patterns,
        ),
        metricNamespace: props.prefix,
        metricName,
        metricValue: metricName.endsWith('Duration') ? '$.log_processed.durationMs' : '1',
        unit: metricName.endsWith('Duration') ? cloudwatch.Unit.MILLISECONDS : cloudwatch.Unit.COUNT,
      });
    const restarts = this.restartsAlarm(props, workload, id);
    if (workload.kind === 'cronJob') {
      const failures = logFilter('FailedRunFilter', `${id}FailedRuns`, logs.FilterPattern.stringValue('$.log_processed.level', '=', 'error'));
      return [
        {
          id: `${id}FailedRuns`,
          description: `A run of CronJob ${workload.name} logged an error in the last hour.`,
          metric: failures.metric({ statistic: 'Sum', period: Duration.hours(1), label: `${workload.name} error lines` }),
          threshold: 1,
          comparisonOperator: GTE,
          ...breachingIn(1, 1),
          treatMissingData: NOT_BREACHING,
        },
      ];
    }
    if (workload.kind === 'worker') return [restarts];
    const requestLogs = logFilter('RequestDurationFilter', requestDurationMetric(workload.name), logs.FilterPattern.stringValue('$.log_processed.msg', '=', 'request'));
    return [
      {
        id: `${id}LatencyP99`,
        description: `p99 of service ${workload.name}'s request duration was above ${t.serviceP99LatencyMs} ms in 3 of 5 minutes.`,
        metric: requestLogs.metric({ statistic: 'p99', period: MINUTE, label: `${workload.name} request duration p99 (ms)` }),
        threshold: t.serviceP99LatencyMs,
        comparisonOperator: GT,
        ...breachingIn(3, 5),
        treatMissingData: NOT_BREACHING,
      },
      restarts,
    ];
  }

  /** A workload's containers restarting (crash loop, failing liveness probe). */
  private restartsAlarm(props: MonitoringProps, workload: Workload, id: string): AlarmDefinition {
    // Container Insights aggregates a Deployment's pods under PodName = the Deployment's name.
    return {
      id: `${id}Restarts`,
      description: `Containers of ${workload.kind} ${workload.name} restarted 3 or more times in 5 minutes (crash loop, or a failing liveness probe).`,
      metric: new cloudwatch.Metric({
        namespace: 'ContainerInsights',
        metricName: 'pod_number_of_container_restarts',
        dimensionsMap: { ClusterName: props.clusterName, Namespace: props.namespace, PodName: workload.name },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      }),
      threshold: 3,
      comparisonOperator: GTE,
      ...breachingIn(1, 1),
      treatMissingData: NOT_BREACHING,
    };
  }

  private apiAlarms(props: MonitoringProps): AlarmDefinition[] {
    const t = props.operations.alarms;
    const fn = props.apiFunction;
    const rate = new cloudwatch.MathExpression({
      label: 'API 5xx, % of requests',
      expression: '100 * FILL(errors, 0) / requests',
      period: MINUTE,
      usingMetrics: {
        errors: props.api.metricServerError({ statistic: 'Sum', period: MINUTE }),
        requests: props.api.metricCount({ statistic: 'Sum', period: MINUTE }),
      },
    });
    return [
      {
        id: 'ApiHttp5xxRate',
        description: `More than ${t.api5xxPercent}% of the upload API's requests answered 5xx in 3 of 5 minutes.`,
        metric: rate,
        threshold: t.api5xxPercent,
        comparisonOperator: GT,
        ...breachingIn(3, 5),
        treatMissingData: NOT_BREACHING,
      },
      {
        id: 'ApiLatencyP99',
        description: `p99 of the upload API's latency was above ${t.apiP99LatencyMs} ms in 3 of 5 minutes.`,
        metric: props.api.metricLatency({ statistic: 'p99', period: MINUTE }),
        threshold: t.apiP99LatencyMs,
        comparisonOperator: GT,
        ...breachingIn(3, 5),
        treatMissingData: NOT_BREACHING,
      },
      {
        id: 'ApiFunctionErrors',
        description: `The upload API's Lambda function failed ${t.lambdaErrors} or more invocations in 5 minutes.`,
        metric: fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
        threshold: t.lambdaErrors,
        comparisonOperator: GTE,
        ...breachingIn(1, 1),
        treatMissingData: NOT_BREACHING,
      },
      {
        id: 'ApiFunctionThrottles',
        description: `The upload API's Lambda function was throttled ${t.lambdaThrottles} or more times in 5 minutes.`,
        metric: fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES }),
        threshold: t.lambdaThrottles,
        comparisonOperator: GTE,
        ...breachingIn(1, 1),
        treatMissingData: NOT_BREACHING,
      },
    ];
  }

  /** RDS publishes these every minute while the instance runs: missing data means it does not, which is breaching. */
  private databaseAlarms(props: MonitoringProps): AlarmDefinition[] {
    const t = props.operations.alarms;
    const db = props.database;
    return [
      {
        id: 'DatabaseCpu',
        description: `Database CPU averaged above ${t.databaseCpuPercent}% for 15 minutes.`,
        metric: db.metricCPUUtilization({ statistic: 'Average', period: FIVE_MINUTES }),
        threshold: t.databaseCpuPercent,
        comparisonOperator: GT,
        ...breachingIn(3, 3),
        treatMissingData: BREACHING,
      },
      {
        id: 'DatabaseFreeStorage',
        description: `Database free storage fell below ${t.databaseFreeStoragePercent}% of the ${props.databaseAllocatedStorageGiB} GiB allocated.`,
        metric: db.metricFreeStorageSpace({ statistic: 'Minimum', period: FIVE_MINUTES }),
        threshold: Math.round((props.databaseAllocatedStorageGiB * GIB * t.databaseFreeStoragePercent) / 100),
        comparisonOperator: LT,
        ...breachingIn(1, 1),
        treatMissingData: BREACHING,
      },
      {
        id: 'DatabaseFreeableMemory',
        description: `Database freeable memory stayed below ${t.databaseFreeableMemoryMiB} MiB for 15 minutes.`,
        metric: db.metricFreeableMemory({ statistic: 'Minimum', period: FIVE_MINUTES }),
        threshold: t.databaseFreeableMemoryMiB * MIB,
        comparisonOperator: LT,
        ...breachingIn(3, 3),
        treatMissingData: BREACHING,
      },
      {
        id: 'DatabaseConnections',
        description: `Database connections reached ${t.databaseConnections} or more for 10 minutes.`,
        metric: db.metricDatabaseConnections({ statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: t.databaseConnections,
        comparisonOperator: GTE,
        ...breachingIn(2, 2),
        treatMissingData: BREACHING,
      },
    ];
  }

  /** Golden signals of the web service (traffic, errors, latency, saturation), the database and the API. */
  private createDashboard(props: MonitoringProps): cloudwatch.Dashboard {
    const byId = new Map(this.definitions.map((d) => [d.id, d.metric]));
    const insights = (metric: string, fn = 'AVG', namespace = 'ContainerInsights', schema = 'ClusterName') =>
      new cloudwatch.MathExpression({
        expression: `SELECT ${fn}(${metric}) FROM SCHEMA(${JSON.stringify(namespace)}, ${schema}) WHERE ClusterName = '${props.clusterName}'`,
        label: `${metric} (${fn})`,
        period: MINUTE,
        usingMetrics: {},
      });
    const requests = new cloudwatch.MathExpression({
      expression: `SELECT SUM(RequestCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer) WHERE tag.${props.loadBalancerTag.key} = '${props.loadBalancerTag.value}'`,
      label: 'ALB requests / min',
      period: MINUTE,
      usingMetrics: {},
    });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 6) => new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    const db = props.database;
    const fn = props.apiFunction;

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.prefix, defaultInterval: Duration.hours(3) });
    const alarms = this.alarmNames.map((name, i) => cloudwatch.Alarm.fromAlarmName(this, `AlarmRef${i}`, name));
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: 3 }));
    const services = props.workloads.filter((w) => w.kind === 'service');
    dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: '### Services: golden signals', width: 24, height: 1 }));
    dashboard.addWidgets(
      graph('Traffic: ALB requests', [requests]),
      graph('Errors: ALB 5xx %', byId.has('IngressHttp5xxRate') ? [byId.get('IngressHttp5xxRate')!] : []),
      graph(
        'Latency: request duration p99 (ms)',
        services.map((w) => byId.get(`${pascalCase(w.name)}LatencyP99`)!),
      ),
      graph('Saturation: node and pod CPU %', [insights('node_cpu_utilization'), insights('pod_cpu_utilization', 'MAX', 'ContainerInsights', 'ClusterName, Namespace')]),
    );
    dashboard.addWidgets(
      graph('Targets: healthy / unhealthy', byId.has('IngressNoHealthyTargets') ? [byId.get('IngressNoHealthyTargets')!, byId.get('IngressUnhealthyTargets')!] : []),
      graph('Nodes and pods', [insights('cluster_node_count', 'MAX'), insights('pod_number_of_container_restarts', 'SUM', 'ContainerInsights', 'ClusterName, Namespace')]),
      graph('Memory %', [insights('node_memory_utilization'), insights('pod_memory_utilization', 'MAX', 'ContainerInsights', 'ClusterName, Namespace')]),
    );
    dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: '### Database', width: 24, height: 1 }));
    dashboard.addWidgets(
      graph('CPU %', [db.metricCPUUtilization()]),
      graph('Connections', [db.metricDatabaseConnections({ statistic: 'Maximum' })]),
      graph('Free storage (bytes)', [db.metricFreeStorageSpace({ statistic: 'Minimum' })]),
      graph('Freeable memory (bytes)', [db.metricFreeableMemory({ statistic: 'Minimum' })]),
    );
    dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: '### Upload API', width: 24, height: 1 }));
    dashboard.addWidgets(
      graph('Requests', [props.api.metricCount({ statistic: 'Sum' })]),
      graph('5xx %', [byId.get('ApiHttp5xxRate')!]),
      graph('Latency p99 (ms)', [byId.get('ApiLatencyP99')!]),
      graph('Lambda errors, throttles, duration p99', [fn.metricErrors({ statistic: 'Sum' }), fn.metricThrottles({ statistic: 'Sum' }), fn.metricDuration({ statistic: 'p99' })]),
    );
    return dashboard;
  }
}

/** A Metrics Insights query over the environment's ALB, selected by the tag its Ingresses give it. */
function albQuery(props: MonitoringProps, fn: string, metric: string, schema = 'LoadBalancer'): cloudwatch.MathExpression {
  const where = `WHERE tag.${props.loadBalancerTag.key} = '${props.loadBalancerTag.value}'`;
  return new cloudwatch.MathExpression({ expression: `SELECT ${fn}(${metric}) FROM SCHEMA("AWS/ApplicationELB", ${schema}) ${where}`, period: MINUTE, usingMetrics: {} });
}

/**
 * An alarm's metric as the `Metrics` queries of AWS::CloudWatch::Alarm: a metric, or a math expression (its first
 * query returns the data) followed by the metrics and Metrics Insights queries it uses, each under its own ID.
 */
export function alarmQueries(metric: cloudwatch.IMetric, id = 'm', returnData = true): cloudwatch.CfnAlarm.MetricDataQueryProperty[] {
  const config = metric.toMetricConfig();
  const label = config.renderingProperties?.label as string | undefined;
  if (config.metricStat) {
    const stat = config.metricStat;
    return [
      {
        id,
        returnData,
        label,
        metricStat: {
          metric: { namespace: stat.namespace, metricName: stat.metricName, dimensions: stat.dimensions?.map((d) => ({ name: d.name, value: String(d.value) })) },
          period: stat.period.toSeconds(),
          stat: stat.statistic,
          unit: stat.unitFilter,
        },
      },
    ];
  }
  const math = config.mathExpression;
  if (!math) throw new Error(`alarmQueries: metric ${metric} is neither a metric nor a math expression (search expressions cannot drive alarms)`);
  const used = Object.entries(math.usingMetrics);
  return [
    // A query without inputs (Metrics Insights) needs its own period; an expression over inputs takes theirs.
    { id, returnData, label, expression: math.expression, period: used.length === 0 ? math.period : undefined },
    ...used.flatMap(([usedId, usedMetric]) => alarmQueries(usedMetric, usedId, false)),
  ];
}
