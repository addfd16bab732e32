import { readFileSync } from 'node:fs';
import { join } from 'node:path';
/** Operations resources of every environment stack: topic, alarms, dashboard, add-ons, autoscaler, backups, database maintenance. */
import { environmentStackName, platformConfig } from '../../../config';
import { POSTGRES_VERSION } from '../../../infra/constructs/database';
import { platform, resourcesOfType } from '../helpers';
import { githubSlug, headingAnchors } from '../../docs/markdown-links';

const p = platform();
const prod = p.json('platform-prod');
const dev = p.json('platform-dev');
const resources = (json: Record<string, any>, type: string) => resourcesOfType(json, type).map(([, r]) => r);
const logicalIdOf = (json: Record<string, any>, type: string, match: (r: any) => boolean) => resourcesOfType(json, type).find(([, r]) => match(r))![0];
const topicOf = (json: Record<string, any>) => logicalIdOf(json, 'AWS::SNS::Topic', (r) => /-alarms$/.test(r.Properties.TopicName));
const envKeyOf = (json: Record<string, any>) => logicalIdOf(json, 'AWS::KMS::Key', (r) => /EKS secrets/.test(r.Properties.Description));

describe('alarm topic', () => {
  test.each([
    ['platform-prod', 'page'],
    ['platform-dev', 'notify'],
    ['platform-staging', 'notify'],
  ])('%s: one topic, encrypted with the environment key, TLS-only, severity %s', (stack, severity) => {
    const json = p.json(stack);
    const topics = resources(json, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    expect(topics[0].Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [envKeyOf(json), 'Arn'] });
    expect(topics[0].Properties.Tags).toContainEqual({ Key: 'Severity', Value: severity });
    const policy = resources(json, 'AWS::SNS::TopicPolicy')[0];
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    // CloudWatch may use the key, for this account's alarms only.
    const keyStatements = resources(json, 'AWS::KMS::Key').flatMap((k) => k.Properties.KeyPolicy.Statement);
    expect(keyStatements).toContainEqual(
      expect.objectContaining({
        Sid: 'AllowCloudWatchAlarmsToEncryptedTopic',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
  });

  test('subscriptions come from configuration: prod pages (HTTPS pager) and mails, dev only mails', () => {
    const topic = topicOf(prod);
    expect(resources(prod, 'AWS::SNS::Subscription').map((s) => s.Properties)).toEqual([
      { Protocol: 'https', Endpoint: 'https://events.pagerduty.com/integration/REPLACE-WITH-INTEGRATION-KEY/enqueue', TopicArn: { Ref: topic } },
      { Protocol: 'email', Endpoint: 'platform-prod-alarms@example.com', TopicArn: { Ref: topic } },
    ]);
    expect(resources(dev, 'AWS::SNS::Subscription').map((s) => [s.Properties.Protocol, s.Properties.Endpoint])).toEqual([['email', 'platform-dev-alarms@example.com']]);
  });
});

/** An alarm's metric: namespace, name, statistic, period in seconds. */
const metric = (namespace: string, name: string, stat: string, period: number) => ({ namespace, name, stat, period });
const albQuery = (stat: 'MAX' | 'MIN', name: string) =>
  new RegExp(`^SELECT ${stat}\\(${name}\\) FROM SCHEMA\\("AWS/ApplicationELB", LoadBalancer, TargetGroup\\) WHERE tag\\.PlatformService = 'platform-prod-ingress'$`);

/**
 * Expected alarms of prod (prod's thresholds: defaults except databaseConnections 400; 100 GiB allocated).
 * `breaching`: [datapoints, evaluation periods], i.e. M out of N.
 */
const EXPECTED: Record<string, { threshold: number; op: string; breaching: [number, number]; missing: string; metric: RegExp | ReturnType<typeof metric> }> = {
  IngressHttp5xxRate: {
    threshold: 1,
    op: 'GreaterThanThreshold',
    breaching: [3, 5],
    missing: 'notBreaching',
    metric: /^100 \* \(FILL\(targetErrors, 0\) \+ FILL\(albErrors, 0\)\) \/ requests$/,
  },
  IngressUnhealthyTargets: { threshold: 1, op: 'GreaterThanOrEqualToThreshold', breaching: [3, 3], missing: 'missing', metric: albQuery('MAX', 'UnHealthyHostCount') },
  IngressNoHealthyTargets: { threshold: 1, op: 'LessThanThreshold', breaching: [2, 2], missing: 'missing', metric: albQuery('MIN', 'HealthyHostCount') },
  WebLatencyP99: { threshold: 1000, op: 'GreaterThanThreshold', breaching: [3, 5], missing: 'notBreaching', metric: metric('platform-prod', 'WebRequestDuration', 'p99', 60) },
  // Per workload, by kind: restarts for the service and the worker, failed runs for the CronJob.
  WebRestarts: {
    threshold: 3,
    op: 'GreaterThanOrEqualToThreshold',
    breaching: [1, 1],
    missing: 'notBreaching',
    metric: metric('ContainerInsights', 'pod_number_of_container_restarts', 'Sum', 300),
  },
  WorkerRestarts: {
    threshold: 3,
    op: 'GreaterThanOrEqualToThreshold',
    breaching: [1, 1],
    missing: 'notBreaching',
    metric: metric('ContainerInsights', 'pod_number_of_container_restarts', 'Sum', 300),
  },
  PruneFailedRuns: {
    threshold: 1,
    op: 'GreaterThanOrEqualToThreshold',
    breaching: [1, 1],
    missing: 'notBreaching',
    metric: metric('platform-prod', 'PruneFailedRuns', 'Sum', 3600),
  },
  ApiHttp5xxRate: { threshold: 1, op: 'GreaterThanThreshold', breaching: [3, 5], missing: 'notBreaching', metric: /^100 \* FILL\(errors, 0\) \/ requests$/ },
  ApiLatencyP99: { threshold: 2000, op: 'GreaterThanThreshold', breaching: [3, 5], missing: 'notBreaching', metric: metric('AWS/ApiGateway', 'Latency', 'p99', 60) },
  ApiFunctionErrors: { threshold: 5, op: 'GreaterThanOrEqualToThreshold', breaching: [1, 1], missing: 'notBreaching', metric: metric('AWS/Lambda', 'Errors', 'Sum', 300) },
  ApiFunctionThrottles: { threshold: 1, op: 'GreaterThanOrEqualToThreshold', breaching: [1, 1], missing: 'notBreaching', metric: metric('AWS/Lambda', 'Throttles', 'Sum', 300) },
  DatabaseCpu: { threshold: 80, op: 'GreaterThanThreshold', breaching: [3, 3], missing: 'breaching', metric: metric('AWS/RDS', 'CPUUtilization', 'Average', 300) },
  DatabaseFreeStorage: {
    threshold: 10 * 1024 ** 3,
    op: 'LessThanThreshold',
    breaching: [1, 1],
    missing: 'breaching',
    metric: metric('AWS/RDS', 'FreeStorageSpace', 'Minimum', 300),
  },
  DatabaseFreeableMemory: {
    threshold: 128 * 1024 ** 2,
    op: 'LessThanThreshold',
    breaching: [3, 3],
    missing: 'breaching',
    metric: metric('AWS/RDS', 'FreeableMemory', 'Minimum', 300),
  },
  DatabaseConnections: {
    threshold: 400,
    op: 'GreaterThanOrEqualToThreshold',
    breaching: [2, 2],
    missing: 'breaching',
    metric: metric('AWS/RDS', 'DatabaseConnections', 'Maximum', 300),
  },
};

describe('alarms', () => {
  const alarms = new Map(resources(prod, 'AWS::CloudWatch::Alarm').map((a) => [a.Properties.AlarmName.replace('platform-prod-page-', ''), a.Properties]));

  test('prod has exactly the expected alarms, all named and described as paging', () => {
    expect([...alarms.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const alarm of alarms.values()) expect(alarm.AlarmDescription).toMatch(/^\[page\] .*Runbook: docs\/operations\.md#\S+, \w+\.$/);
    const devNames = resources(dev, 'AWS::CloudWatch::Alarm').map((a) => a.Properties.AlarmName);
    expect(devNames).toHaveLength(Object.keys(EXPECTED).length);
    for (const name of devNames) expect(name).toMatch(/^platform-dev-notify-/);
  });

  test('each description names the runbook: a heading of that file, with a row for that alarm', () => {
    for (const [id, alarm] of alarms) {
      const [, file, anchor, named] = /Runbook: ([^#\s]+)#(\S+), (\w+)\.$/.exec(alarm.AlarmDescription) ?? [];
      expect(named).toBe(id);
      const runbook = readFileSync(join(__dirname, '../../..', file), 'utf8');
      expect(headingAnchors(runbook)).toContain(anchor);
      // The text from that heading to the next one.
      const section = runbook.split(/^#+ /m).find((s) => githubSlug(s.split('\n')[0]) === anchor);
      expect(section).toContain(`| \`${id}\` |`);
    }
  });

  test.each(Object.entries(EXPECTED))('%s: metric, statistic, threshold, period, datapoints, missing data, ALARM and OK actions', (id, e) => {
    const alarm = alarms.get(id)!;
    const topic = { Ref: topicOf(prod) };
    expect(alarm).toMatchObject({
      Threshold: e.threshold,
      ComparisonOperator: e.op,
      DatapointsToAlarm: e.breaching[0],
      EvaluationPeriods: e.breaching[1],
      TreatMissingData: e.missing,
    });
    expect(alarm.AlarmActions).toEqual([topic]);
    expect(alarm.OKActions).toEqual([topic]);
    if (e.metric instanceof RegExp) {
      const primary = alarm.Metrics.find((m: any) => m.ReturnData);
      expect(primary.Expression).toMatch(e.metric);
    } else if (alarm.Metrics) {
      const [m] = alarm.Metrics;
      expect(m.MetricStat).toMatchObject({ Metric: { Namespace: e.metric.namespace, MetricName: e.metric.name }, Stat: e.metric.stat, Period: e.metric.period });
    } else {
      expect(alarm).toMatchObject({ Namespace: e.metric.namespace, MetricName: e.metric.name, Period: e.metric.period });
      expect(alarm.Statistic ?? alarm.ExtendedStatistic).toBe(e.metric.stat);
    }
  });

  test("the ingress 5xx rate sums target and load balancer 5xx over requests, each selected by the environment's Ingress tag every minute", () => {
    const queries = alarms.get('IngressHttp5xxRate')!.Metrics.filter((m: any) => !m.ReturnData);
    expect(queries.map((q: any) => [q.Id, q.Period, q.Expression])).toEqual([
      ['targetErrors', 60, `SELECT SUM(HTTPCode_Target_5XX_Count) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer) WHERE tag.PlatformService = 'platform-prod-ingress'`],
      ['albErrors', 60, `SELECT SUM(HTTPCode_ELB_5XX_Count) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer) WHERE tag.PlatformService = 'platform-prod-ingress'`],
      ['requests', 60, `SELECT SUM(RequestCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer) WHERE tag.PlatformService = 'platform-prod-ingress'`],
    ]);
  });

  test('the tag the alarms select by is the one the prod Ingress gives its ALB', () => {
    const manifest = readFileSync(join(__dirname, '../../../manifests/prod/web.k8s.yaml'), 'utf8');
    expect(manifest).toContain('alb.ingress.kubernetes.io/tags: PlatformService=platform-prod-ingress');
  });

  test("the p99 latency metric is extracted from the web container's request logs in its KMS-encrypted log group", () => {
    const filter = resources(prod, 'AWS::Logs::MetricFilter').find((f) => f.Properties.MetricTransformations[0].MetricName === 'WebRequestDuration')!;
    expect(filter.Properties.FilterPattern).toBe('{ ($.kubernetes.namespace_name = "web") && ($.kubernetes.container_name = "web") && ($.log_processed.msg = "request") }');
    expect(filter.Properties.MetricTransformations).toEqual([
      { MetricNamespace: 'platform-prod', MetricName: 'WebRequestDuration', MetricValue: '$.log_processed.durationMs', Unit: 'Milliseconds' },
    ]);
    const group = prod.Resources[filter.Properties.LogGroupName.Ref];
    expect(group.Properties.LogGroupName).toBe('/aws/containerinsights/platform-prod/application');
  });
});

describe('dashboard', () => {
  test('one per environment with golden signals, database and API widgets', () => {
    const [dashboard] = resources(prod, 'AWS::CloudWatch::Dashboard');
    expect(dashboard.Properties.DashboardName).toBe('platform-prod');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of [
      'Alarms',
      'Traffic: ALB requests',
      'Errors: ALB 5xx %',
      'Latency: request duration p99 (ms)',
      'Saturation: node and pod CPU %',
      'Targets: healthy / unhealthy',
      'CPU %',
      'Connections',
      'Free storage (bytes)',
      'Freeable memory (bytes)',
      'Latency p99 (ms)',
      'Lambda errors, throttles, duration p99',
    ]) {
      expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    }
    for (const section of ['### Services: golden signals', '### Database', '### Upload API']) expect(body).toContain(section);
    expect(body).toContain("WHERE ClusterName = 'platform-prod'");
  });
});

describe('cluster telemetry and capacity', () => {
  test("amazon-cloudwatch-observability and metrics-server add-ons at pinned versions; the agent's role through Pod Identity", () => {
    const addons = new Map(resources(prod, 'AWS::EKS::Addon').map((a) => [a.Properties.AddonName, a.Properties]));
    const observability = addons.get('amazon-cloudwatch-observability')!;
    expect(observability.AddonVersion).toMatch(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
    expect(addons.get('metrics-server')!.AddonVersion).toMatch(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
    expect(observability.PodIdentityAssociations).toHaveLength(1);
    const [association] = observability.PodIdentityAssociations;
    expect(association.ServiceAccount).toBe('cloudwatch-agent');
    const role = prod.Resources[association.RoleArn['Fn::GetAtt'][0]];
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('pods.eks.amazonaws.com');
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('CloudWatchAgentServerPolicy');
  });

  test('container logs go to KMS-encrypted groups with the configured retention, created before the add-on', () => {
    const groups = resources(prod, 'AWS::Logs::LogGroup').filter((g) => String(g.Properties.LogGroupName).startsWith('/aws/containerinsights/platform-prod/'));
    expect(groups.map((g) => g.Properties.LogGroupName).sort()).toEqual(
      ['application', 'dataplane', 'host', 'performance'].map((k) => `/aws/containerinsights/platform-prod/${k}`),
    );
    for (const g of groups) {
      expect(g.Properties.RetentionInDays).toBe(90);
      expect(g.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [envKeyOf(prod), 'Arn'] });
    }
    const devGroups = resources(dev, 'AWS::Logs::LogGroup').filter((g) => String(g.Properties.LogGroupName).startsWith('/aws/containerinsights/'));
    for (const g of devGroups) expect(g.Properties.RetentionInDays).toBe(14);
    const [addonId, addon] = resourcesOfType(prod, 'AWS::EKS::Addon').find(([, a]) => a.Properties.AddonName === 'amazon-cloudwatch-observability')!;
    expect(addonId).toBeDefined();
    expect(addon.DependsOn).toEqual(
      expect.arrayContaining(
        resourcesOfType(prod, 'AWS::Logs::LogGroup')
          .filter(([, g]) => String(g.Properties.LogGroupName).startsWith('/aws/containerinsights/'))
          .map(([id]) => id),
      ),
    );
  });

  test.each(['platform-dev', 'platform-staging', 'platform-prod'])("%s: Cluster Autoscaler may resize only its own cluster's node groups", (stack) => {
    const json = p.json(stack);
    const cluster = stack;
    const [, policy] = resourcesOfType(json, 'AWS::IAM::Policy').find(([id]) => id.startsWith('ClusterOperationsAutoscalerPolicy'))!;
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    const mutating = statements.filter((s) => [s.Action].flat().some((a: string) => !/^(autoscaling|ec2):(Describe|Get)/.test(a)));
    expect(mutating.map((s) => s.Sid).sort()).toEqual(['DescribeOwnNodeGroups', 'ResizeOwnNodeGroups']);
    const resize = mutating.find((s) => s.Sid === 'ResizeOwnNodeGroups');
    expect(resize.Action).toEqual(['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup']);
    expect(resize.Condition).toEqual({ StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${cluster}`]: 'owned' } });
    expect(JSON.stringify(resize.Resource)).toContain(':autoScalingGroup:*:autoScalingGroupName/eks-*');
    expect(JSON.stringify(mutating.find((s) => s.Sid === 'DescribeOwnNodeGroups').Resource)).toContain(`:nodegroup/${cluster}/*/*`);
    // The role is bound to kube-system/cluster-autoscaler, the ServiceAccount the Helm release creates.
    const role = json.Resources[policy.Properties.Roles[0].Ref];
    const association = resources(json, 'AWS::EKS::PodIdentityAssociation').find((a) => a.Properties.RoleArn['Fn::GetAtt'][0] === policy.Properties.Roles[0].Ref)!;
    expect(association.Properties).toMatchObject({ Namespace: 'kube-system', ServiceAccount: 'cluster-autoscaler' });
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('pods.eks.amazonaws.com');
    const chart = resources(json, 'Custom::AWSCDK-EKS-HelmChart').find((c) => c.Properties.Chart === 'cluster-autoscaler')!;
    // Values is a Fn::Join (it holds the cluster name token): compare its text without JSON escaping.
    const values = JSON.stringify(chart.Properties.Values).replace(/\\"/g, '"');
    expect(values).toContain('"serviceAccount":{"create":true,"name":"cluster-autoscaler"}');
    expect(values).toContain('"image":{"tag":"v1.35.');
  });
});

describe('backups', () => {
  const production = platformConfig.environments.filter((e) => e.production);
  test.each(production.map((e) => e.name))('%s: the plan covers every stateful resource (databases and buckets) by reference', (name) => {
    const json = p.json(`platform-${name}`);
    const stateful = [
      ...resourcesOfType(json, 'AWS::RDS::DBInstance'),
      ...resourcesOfType(json, 'AWS::S3::Bucket'),
      ...resourcesOfType(json, 'AWS::RDS::DBCluster'),
      ...resourcesOfType(json, 'AWS::DynamoDB::Table'),
      ...resourcesOfType(json, 'AWS::EFS::FileSystem'),
    ].map(([id]) => id);
    expect(stateful.length).toBeGreaterThanOrEqual(3);
    const selections = resources(json, 'AWS::Backup::BackupSelection');
    const covered = JSON.stringify(selections.map((s) => s.Properties.BackupSelection.Resources));
    for (const id of stateful) expect(covered).toContain(`"${id}"`);
  });

  test('prod: daily rule kept for the configured days, in a vault encrypted with the environment key and retained', () => {
    const [plan] = resources(prod, 'AWS::Backup::BackupPlan');
    const [rule] = plan.Properties.BackupPlan.BackupPlanRule;
    expect(rule.Lifecycle).toEqual({ DeleteAfterDays: 35 });
    expect(rule.ScheduleExpression).toBe('cron(0 4 * * ? *)');
    const [vaultId, vault] = resourcesOfType(prod, 'AWS::Backup::BackupVault')[0];
    expect(rule.TargetBackupVault).toEqual({ 'Fn::GetAtt': [vaultId, 'BackupVaultName'] });
    expect(vault.Properties.EncryptionKeyArn).toEqual({ 'Fn::GetAtt': [envKeyOf(prod), 'Arn'] });
    expect(vault.DeletionPolicy).toBe('RetainExceptOnCreate'); // retained, except when its own first create rolls back (test/infra/removal-policies.test.ts)
    expect(rule.CopyActions).toBeUndefined();
  });

  test('non-production environments have no backup plan', () => {
    expect(resources(dev, 'AWS::Backup::BackupPlan')).toHaveLength(0);
    expect(resources(p.json('platform-staging'), 'AWS::Backup::BackupPlan')).toHaveLength(0);
  });
});

describe('database maintenance', () => {
  test.each([
    ['platform-prod', 90],
    ['platform-dev', 14],
  ])('%s: maintenance in the window, Performance Insights with KMS, enhanced monitoring, engine logs into KMS groups first', (stack, days) => {
    const json = p.json(stack);
    const [[dbId, db]] = resourcesOfType(json, 'AWS::RDS::DBInstance');
    const key = { 'Fn::GetAtt': [envKeyOf(json), 'Arn'] };
    expect(db.Properties).toMatchObject({
      DBInstanceIdentifier: stack,
      PreferredMaintenanceWindow: 'sun:03:30-sun:04:30',
      PreferredBackupWindow: '02:00-03:00',
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: key,
      PerformanceInsightsRetentionPeriod: 7,
      MonitoringInterval: 60,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
    const logGroups = resourcesOfType(json, 'AWS::Logs::LogGroup').filter(([, g]) => String(g.Properties.LogGroupName).startsWith(`/aws/rds/instance/${stack}/`));
    expect(logGroups.map(([, g]) => g.Properties.LogGroupName).sort()).toEqual([`/aws/rds/instance/${stack}/postgresql`, `/aws/rds/instance/${stack}/upgrade`]);
    for (const [id, g] of logGroups) {
      expect(g.Properties).toMatchObject({ RetentionInDays: days, KmsKeyId: key });
      expect(json.Resources[dbId].DependsOn).toContain(id);
    }
    const params = json.Resources[db.Properties.DBParameterGroupName.Ref].Properties.Parameters;
    expect(params).toEqual({ 'rds.force_ssl': '1', log_min_duration_statement: '1000', log_connections: '1', log_disconnections: '1' });
  });

  test.each(platformConfig.environments.map((e) => environmentStackName(platformConfig.project, e.name)))(
    '%s: the engine version is exactly the pinned minor, never moved by automatic minor upgrades (a later pin bump would be a downgrade CloudFormation refuses)',
    (stack) => {
      const [[, db]] = resourcesOfType(p.json(stack), 'AWS::RDS::DBInstance');
      expect(db.Properties.EngineVersion).toBe(POSTGRES_VERSION.postgresFullVersion);
      expect(db.Properties.EngineVersion).toMatch(/^\d+\.\d+$/);
      expect(db.Properties.AutoMinorVersionUpgrade).toBe(false);
    },
  );

  test('the shared regional stacks create the encrypted enhanced-monitoring log group and turn on resource tags for telemetry', () => {
    for (const region of ['eu-west-1', 'eu-central-1']) {
      const json = p.json(`platform-shared-${region}`);
      const group = resources(json, 'AWS::Logs::LogGroup').find((g) => g.Properties.LogGroupName === 'RDSOSMetrics')!;
      expect(group.Properties.KmsKeyId).toBeDefined();
      expect(group.Properties.RetentionInDays).toBe(30);
      expect(resources(json, 'AWS::ObservabilityAdmin::TelemetryEnrichment').map((r) => r.Properties)).toEqual([{ Scope: 'ACCOUNT' }]);
    }
  });
});
