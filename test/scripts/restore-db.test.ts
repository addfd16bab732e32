/**
 * `npm run restore:db` against moto_server's RDS and CloudFormation: the restored instance carries every setting of
 * the current one (IAM authentication, parameter and option groups, subnet and security groups, Multi-AZ, log
 * exports, deletion protection, storage, key, tags), `--switch` renames it into the stack's place and writes its
 * DbiResourceId into the stack parameter the workload's grant reads, and every refusal happens before any change.
 */
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  CreateDBSubnetGroupCommand,
  CreateOptionGroupCommand,
  type DBInstance,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { RESTORED_DATABASE_PARAMETER } from '../../infra/names';
import { describeInstance, parseRestoreTime, RESTORED_FROM_TAG, restoredIdentifier, RestoreError, restoreRequest, settingsAfterRestore } from '../../scripts/database-restore';
import { parseRestoreCommand, runRestoreCommand, UsageError } from '../../scripts/restore-db';
import { motoForThisFile } from '../support/moto';

jest.setTimeout(60_000);

const REGION = 'eu-central-1'; // prod's region in the default configuration
const IDENTIFIER = 'platform-prod';
const STACK = 'platform-prod';
const KEY = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const MONITORING_ROLE = 'arn:aws:iam::123456789012:role/platform-prod-monitoring';
const moto = motoForThisFile();
const waiting = { intervalMs: 0, timeoutMs: 10_000 };

let rds: RDSClient;
let cloudFormation: CloudFormationClient;
let securityGroup: string;
const clients = () => ({ rds, cloudFormation });

/** The stack's grant, reduced to what matters here: the parameter, its condition and a resource that reads it. */
const STACK_TEMPLATE = {
  Parameters: {
    [RESTORED_DATABASE_PARAMETER]: { Type: 'String', Default: '' },
    Unrelated: { Type: 'String', Default: 'kept' },
  },
  Conditions: { HasRestoredDatabase: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: RESTORED_DATABASE_PARAMETER }, ''] }] } },
  Resources: {
    Grant: {
      Type: 'AWS::SSM::Parameter',
      Properties: { Name: '/platform/prod/grant', Type: 'String', Value: { 'Fn::If': ['HasRestoredDatabase', { Ref: RESTORED_DATABASE_PARAMETER }, 'own'] } },
    },
  },
};

const NETWORK_TEMPLATE = {
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.30.0.0/16' } },
    SubnetA: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.30.0.0/24', AvailabilityZone: `${REGION}a` } },
    SubnetB: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.30.1.0/24', AvailabilityZone: `${REGION}b` } },
    SecurityGroup: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'database', VpcId: { Ref: 'Vpc' } } },
  },
  Outputs: { SubnetA: { Value: { Ref: 'SubnetA' } }, SubnetB: { Value: { Ref: 'SubnetB' } }, SecurityGroup: { Value: { 'Fn::GetAtt': ['SecurityGroup', 'GroupId'] } } },
};

beforeAll(async () => {
  const endpoint = moto().endpoint;
  rds = new RDSClient({ region: REGION, endpoint });
  cloudFormation = new CloudFormationClient({ region: REGION, endpoint });
  // The network the database lives in, created through moto's CloudFormation (no EC2 client needed).
  await cloudFormation.send(new CreateStackCommand({ StackName: 'network', TemplateBody: JSON.stringify(NETWORK_TEMPLATE) }));
  const outputs = Object.fromEntries(
    ((await cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }))).Stacks![0].Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue!]),
  );
  const subnets = [outputs.SubnetA, outputs.SubnetB];
  securityGroup = outputs.SecurityGroup;
  await rds.send(new CreateDBSubnetGroupCommand({ DBSubnetGroupName: 'platform-prod-subnets', DBSubnetGroupDescription: 'isolated', SubnetIds: subnets }));
  await rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'platform-prod-params', DBParameterGroupFamily: 'postgres17', Description: 'force_ssl, logging' }));
  // moto knows option groups up to PostgreSQL 13 only; the name is what the restore must carry over.
  await rds.send(new CreateOptionGroupCommand({ OptionGroupName: 'platform-prod-options', EngineName: 'postgres', MajorEngineVersion: '13', OptionGroupDescription: 'options' }));
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: IDENTIFIER,
      DBInstanceClass: 'db.m7g.large',
      Engine: 'postgres',
      EngineVersion: '17.9',
      DBName: 'app',
      MasterUsername: 'postgres',
      MasterUserPassword: 'not-a-real-password-1',
      AllocatedStorage: 100,
      MaxAllocatedStorage: 200,
      StorageType: 'gp3',
      StorageEncrypted: true,
      KmsKeyId: KEY,
      DBSubnetGroupName: 'platform-prod-subnets',
      VpcSecurityGroupIds: [securityGroup],
      DBParameterGroupName: 'platform-prod-params',
      OptionGroupName: 'platform-prod-options',
      MultiAZ: true,
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      BackupRetentionPeriod: 14,
      PreferredBackupWindow: '02:00-03:00',
      PreferredMaintenanceWindow: 'sun:03:30-sun:04:30',
      Port: 5432,
      Tags: [{ Key: 'Project', Value: 'platform' }],
    }),
  );
  // Both parameters given explicitly: moto keeps only given values for UsePreviousValue (CloudFormation keeps defaults too).
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: STACK,
      TemplateBody: JSON.stringify(STACK_TEMPLATE),
      Parameters: [
        { ParameterKey: RESTORED_DATABASE_PARAMETER, ParameterValue: '' },
        { ParameterKey: 'Unrelated', ParameterValue: 'kept' },
      ],
    }),
  );
});

afterAll(() => {
  rds?.destroy();
  cloudFormation?.destroy();
});

const instanceNames = async () => ((await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).map((i) => i.DBInstanceIdentifier).sort();
const stackParameters = async () =>
  Object.fromEntries(((await cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0].Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]));
/** The settings the stack gave its instance and a restore must keep. */
const settings = (i: DBInstance) => ({
  class: i.DBInstanceClass,
  port: i.Endpoint?.Port,
  subnetGroup: i.DBSubnetGroup?.DBSubnetGroupName,
  securityGroups: i.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId),
  parameterGroup: i.DBParameterGroups?.[0]?.DBParameterGroupName,
  optionGroup: i.OptionGroupMemberships?.[0]?.OptionGroupName,
  multiAz: i.MultiAZ,
  iamAuthentication: i.IAMDatabaseAuthenticationEnabled,
  logExports: i.EnabledCloudwatchLogsExports,
  deletionProtection: i.DeletionProtection,
  storage: [i.StorageType, i.AllocatedStorage, i.MaxAllocatedStorage],
  encrypted: [i.StorageEncrypted, i.KmsKeyId],
  copyTagsToSnapshot: i.CopyTagsToSnapshot,
  backups: [i.BackupRetentionPeriod, i.PreferredBackupWindow],
  maintenanceWindow: i.PreferredMaintenanceWindow,
});

describe('the command line', () => {
  test('reads the environment, its region, instance identifier and stack from the configuration', () => {
    expect(parseRestoreCommand(['--env', 'prod', '--to', '2026-12-01T10:00:00Z'])).toEqual({
      region: REGION,
      target: { identifier: IDENTIFIER, stackName: STACK },
      action: { kind: 'restore', to: '2026-12-01T10:00:00Z' },
    });
    expect(parseRestoreCommand(['--env', 'staging', '--switch', 'platform-staging-restored-202612011000']).action).toEqual({
      kind: 'switch',
      restored: 'platform-staging-restored-202612011000',
    });
  });

  test.each([
    [['--to', '2026-12-01T10:00:00Z'], /--env is required/],
    [['--env', 'prod'], /exactly one of --to and --switch/],
    [['--env', 'prod', '--to', 'x', '--switch', 'y'], /exactly one of --to and --switch/],
    [['--env', 'qa', '--to', '2026-12-01T10:00:00Z'], /unknown environment "qa".*allowed: "dev", "staging", "prod"/],
    [['--env', 'prod', '--at', 'now'], /Unknown option '--at'/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseRestoreCommand(argv)).toThrow(UsageError);
    expect(() => parseRestoreCommand(argv)).toThrow(message);
  });

  test('--to must be an ISO time with a zone, not in the future', () => {
    const now = new Date('2026-12-07T00:00:00Z');
    expect(parseRestoreTime('2026-12-06T23:30:00+01:00', now).toISOString()).toBe('2026-12-06T22:30:00.000Z');
    expect(() => parseRestoreTime('2026-12-06 10:00', now)).toThrow('--to "2026-12-06 10:00" is not an ISO 8601 time with a zone; expected e.g. 2026-12-01T10:00:00Z');
    expect(() => parseRestoreTime('2026-12-07T00:01:00Z', now)).toThrow('--to 2026-12-07T00:01:00Z is in the future');
  });

  test('the restored name carries the restore time and stays within 63 characters', () => {
    expect(restoredIdentifier('platform-prod', new Date('2026-12-01T10:05:30Z'))).toBe('platform-prod-restored-202612011005');
    expect(() => restoredIdentifier('p'.repeat(45), new Date())).toThrow(/characters; RDS allows 63/);
  });
});

describe('what the restore asks for', () => {
  const source: DBInstance = {
    DBInstanceIdentifier: IDENTIFIER,
    DBParameterGroups: [{ DBParameterGroupName: 'params' }],
    DBSubnetGroup: { DBSubnetGroupName: 'subnets' },
    IAMDatabaseAuthenticationEnabled: false,
    MonitoringInterval: 60,
    MonitoringRoleArn: MONITORING_ROLE,
    PerformanceInsightsEnabled: true,
    PerformanceInsightsKMSKeyId: KEY,
    PerformanceInsightsRetentionPeriod: 7,
    PreferredMaintenanceWindow: 'sun:03:30-sun:04:30',
    TagList: [
      { Key: 'aws:cloudformation:stack-name', Value: STACK },
      { Key: 'Project', Value: 'platform' },
    ],
  };

  test('IAM authentication is always on, tags carry over except the reserved aws: ones, and name the source', () => {
    const request = restoreRequest(source, 'target', new Date('2026-12-01T10:00:00Z'));
    expect(request.EnableIAMDatabaseAuthentication).toBe(true);
    expect(request.Tags).toEqual([
      { Key: 'Project', Value: 'platform' },
      { Key: RESTORED_FROM_TAG, Value: IDENTIFIER },
      { Key: 'platform:restored-to', Value: '2026-12-01T10:00:00.000Z' },
    ]);
  });

  test('enhanced monitoring, Performance Insights and the maintenance window follow in a ModifyDBInstance', () => {
    expect(settingsAfterRestore(source, 'target')).toEqual({
      DBInstanceIdentifier: 'target',
      ApplyImmediately: true,
      MonitoringInterval: 60,
      MonitoringRoleArn: MONITORING_ROLE,
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: KEY,
      PerformanceInsightsRetentionPeriod: 7,
      PreferredMaintenanceWindow: 'sun:03:30-sun:04:30',
    });
  });

  test('an instance without its groups is not taken for the stack database', () => {
    expect(() => restoreRequest({ ...source, DBSubnetGroup: undefined }, 't', new Date())).toThrow(`instance ${IDENTIFIER} reports no subnet group; is it the stack's database?`);
  });
});

describe('against moto_server', () => {
  const restoreCommand = (to: string) => ({ region: REGION, target: { identifier: IDENTIFIER, stackName: STACK }, action: { kind: 'restore' as const, to } });
  const switchCommand = (restored: string) => ({ region: REGION, target: { identifier: IDENTIFIER, stackName: STACK }, action: { kind: 'switch' as const, restored } });
  let restoredName: string;

  test("the request itself names every setting of the described instance (moto's restore copies the source anyway; RDS's does not)", async () => {
    const source = (await describeInstance(rds, IDENTIFIER))!;
    const to = new Date('2026-12-01T10:00:00Z');
    expect(restoreRequest(source, 'target', to)).toEqual({
      SourceDBInstanceIdentifier: IDENTIFIER,
      TargetDBInstanceIdentifier: 'target',
      RestoreTime: to,
      DBInstanceClass: 'db.m7g.large',
      Port: 5432,
      DBSubnetGroupName: 'platform-prod-subnets',
      VpcSecurityGroupIds: [securityGroup],
      DBParameterGroupName: 'platform-prod-params',
      OptionGroupName: 'platform-prod-options',
      MultiAZ: true,
      PubliclyAccessible: source.PubliclyAccessible,
      AutoMinorVersionUpgrade: source.AutoMinorVersionUpgrade,
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      StorageType: 'gp3',
      AllocatedStorage: 100,
      MaxAllocatedStorage: 200,
      BackupRetentionPeriod: 14,
      PreferredBackupWindow: '02:00-03:00',
      ...(source.CACertificateIdentifier ? { CACertificateIdentifier: source.CACertificateIdentifier } : {}),
      ...(source.NetworkType ? { NetworkType: source.NetworkType } : {}),
      ...(source.EngineLifecycleSupport ? { EngineLifecycleSupport: source.EngineLifecycleSupport } : {}),
      Tags: [
        { Key: 'Project', Value: 'platform' },
        { Key: RESTORED_FROM_TAG, Value: IDENTIFIER },
        { Key: 'platform:restored-to', Value: '2026-12-01T10:00:00.000Z' },
      ],
    });
    expect(settingsAfterRestore(source, 'target')).toMatchObject({ PreferredMaintenanceWindow: 'sun:03:30-sun:04:30', ApplyImmediately: true });
  });

  test('refuses a time outside the backup retention before any call that changes something', async () => {
    const before = await instanceNames();
    const now = new Date();
    const old = new Date(now.getTime() - 15 * 86_400_000).toISOString();
    await expect(runRestoreCommand(restoreCommand(old), clients(), now, waiting)).rejects.toThrow(new RegExp(`is before .*: instance ${IDENTIFIER} keeps 14 days of backups`));
    expect(await instanceNames()).toEqual(before);
  });

  test('restores into a new instance with every setting of the current one; the current one keeps serving', async () => {
    const now = new Date();
    const to = new Date(now.getTime() - 60_000);
    const lines = await runRestoreCommand(restoreCommand(to.toISOString()), clients(), now, waiting);
    restoredName = restoredIdentifier(IDENTIFIER, to);
    expect(lines[0]).toContain(`into ${restoredName}`);
    expect(lines[1]).toContain(`--switch ${restoredName}`);
    const source = (await describeInstance(rds, IDENTIFIER))!;
    const restored = (await describeInstance(rds, restoredName))!;
    expect(settings(restored)).toEqual(settings(source));
    expect(settings(restored)).toMatchObject({ iamAuthentication: true, multiAz: true, parameterGroup: 'platform-prod-params', optionGroup: 'platform-prod-options' });
    expect(restored.TagList).toEqual(
      expect.arrayContaining([
        { Key: 'Project', Value: 'platform' },
        { Key: RESTORED_FROM_TAG, Value: IDENTIFIER },
      ]),
    );
    expect(source.DBInstanceStatus).toBe('available');
    expect(await stackParameters()).toEqual({ [RESTORED_DATABASE_PARAMETER]: '', Unrelated: 'kept' });
  });

  test('a second restore to the same minute is refused', async () => {
    const to = (await describeInstance(rds, restoredName))!.TagList!.find((t) => t.Key === 'platform:restored-to')!.Value!;
    await expect(runRestoreCommand(restoreCommand(to), clients(), new Date(), waiting)).rejects.toThrow(`instance ${restoredName} already exists`);
  });

  test('--switch refuses an instance this command did not restore from the stack database, renaming nothing', async () => {
    const before = await instanceNames();
    await expect(runRestoreCommand(switchCommand('unrelated-instance'), clients(), new Date(), waiting)).rejects.toThrow('restored instance unrelated-instance does not exist');
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'stranger',
        DBInstanceClass: 'db.t4g.micro',
        Engine: 'postgres',
        MasterUsername: 'postgres',
        MasterUserPassword: 'not-a-real-password-2',
        AllocatedStorage: 20,
      }),
    );
    await expect(runRestoreCommand(switchCommand('stranger'), clients(), new Date(), waiting)).rejects.toThrow(
      `instance stranger was not restored from ${IDENTIFIER} by this command (tag ${RESTORED_FROM_TAG}: absent); refusing to switch to it`,
    );
    expect(await instanceNames()).toEqual([...before, 'stranger'].sort());
  });

  test('--switch refuses a stack without the parameter before renaming anything', async () => {
    const other = { ...switchCommand(restoredName), target: { identifier: IDENTIFIER, stackName: 'platform-old' } };
    await cloudFormation.send(
      new CreateStackCommand({
        StackName: 'platform-old',
        TemplateBody: JSON.stringify({ Resources: STACK_TEMPLATE.Resources })
          .replace('/platform/prod/grant', '/platform/old/grant')
          .replace(/\{"Fn::If".*?\]\}/, '"own"'),
      }),
    );
    const before = await instanceNames();
    await expect(runRestoreCommand(other, clients(), new Date(), waiting)).rejects.toThrow(
      `stack platform-old has no parameter ${RESTORED_DATABASE_PARAMETER}; deploy the current version of the platform (npm run deploy:stacks) before switching`,
    );
    expect(await instanceNames()).toEqual(before);
  });

  test("--switch puts the restored instance under the stack's identifier and its resource ID into the grant's parameter", async () => {
    const restored = (await describeInstance(rds, restoredName))!;
    const now = new Date('2026-12-07T01:02:00Z');
    const lines = await runRestoreCommand(switchCommand(restoredName), clients(), now, waiting);
    const replaced = `${IDENTIFIER}-replaced-202612070102`;
    expect(lines[0]).toBe(`${restoredName} now serves as ${IDENTIFIER}; the former instance is ${replaced} (deletion protection unchanged).`);
    const names = await instanceNames();
    expect(names).toEqual(expect.arrayContaining([IDENTIFIER, replaced]));
    expect(names).not.toContain(restoredName);
    const serving = (await describeInstance(rds, IDENTIFIER))!;
    expect(serving.DbiResourceId).toBe(restored.DbiResourceId);
    expect(serving.TagList).toEqual(expect.arrayContaining([{ Key: RESTORED_FROM_TAG, Value: IDENTIFIER }]));
    expect((await describeInstance(rds, replaced))!.DeletionProtection).toBe(true);
    // The workload's grant reads this parameter (test/infra/database-restore-grant.test.ts); the other keeps its value.
    expect(await stackParameters()).toEqual({ [RESTORED_DATABASE_PARAMETER]: restored.DbiResourceId, Unrelated: 'kept' });
  });

  test('errors of the restore are RestoreErrors (exit 1), not crashes', async () => {
    await expect(
      runRestoreCommand({ ...restoreCommand('2026-12-01T10:00:00Z'), target: { identifier: 'absent', stackName: STACK } }, clients(), new Date(), waiting),
    ).rejects.toThrow(RestoreError);
  });
});
