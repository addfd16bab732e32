/**
 * Restoring an environment's database to a point in time so that the stack and the workload accept the result as
 * their own (the steps of `npm run restore:db`, scripts/restore-db.ts):
 *
 * 1. `restore`: RestoreDBInstanceToPointInTime into a new instance `<identifier>-restored-<yyyymmddhhmm>` with every
 *    setting of the current instance (DescribeDBInstances): IAM authentication, parameter group (rds.force_ssl,
 *    logging), option group, subnet group, security groups, Multi-AZ, log exports, deletion protection, storage,
 *    backups, tags; then ModifyDBInstance for what the restore call does not take (enhanced monitoring, Performance
 *    Insights, maintenance window). The storage stays encrypted with the source's KMS key (a restore in the same
 *    region keeps it); both that and IAM authentication are checked on the result.
 * 2. `switchTo`: once checked, the current instance is renamed away and the restored one renamed to the stack's
 *    identifier (the endpoint, the log groups, the alarms and the backup selection follow the name), and the stack is
 *    updated with its previous template and the restored instance's DbiResourceId in the parameter
 *    RestoredDatabaseResourceId: the workload's `rds-db:connect` grant then names the restored instance.
 *
 * Every check runs before the first change; a step that fails later says what was done and what is left.
 */
import { DescribeStacksCommand, type CloudFormationClient, type Parameter as StackParameter, type Stack as CfnStack, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  type DBInstance,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  type ModifyDBInstanceCommandInput,
  type RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
  type RestoreDBInstanceToPointInTimeCommandInput,
} from '@aws-sdk/client-rds';
import { RESTORED_DATABASE_PARAMETER } from '../infra/names';

/** A restore the command refuses or cannot finish; the message names the value and what to do. */
export class RestoreError extends Error {}

/** Tag on a restored instance naming the instance it was restored from: `--switch` accepts only such an instance. */
export const RESTORED_FROM_TAG = 'platform:restored-from';
export const RESTORED_TO_TAG = 'platform:restored-to';

export interface DatabaseTarget {
  /** The stack's fixed instance identifier (`<project>-<env>`). */
  readonly identifier: string;
  /** The environment stack whose parameter names the serving instance. */
  readonly stackName: string;
}

export interface Clients {
  readonly rds: RDSClient;
  readonly cloudFormation: CloudFormationClient;
}

export interface Waiting {
  /** Time between two polls. */
  readonly intervalMs: number;
  /** Longest wait for one state (a restore of a large instance takes hours). */
  readonly timeoutMs: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

/** Longest RDS DB instance identifier. */
const MAX_IDENTIFIER = 63;

/** `<identifier>-restored-<yyyymmddhhmm>` of the restore time (UTC). */
export function restoredIdentifier(identifier: string, to: Date): string {
  const stamp = to.toISOString().slice(0, 16).replace(/[-:T]/g, '');
  const name = `${identifier}-restored-${stamp}`;
  if (name.length > MAX_IDENTIFIER) throw new RestoreError(`restored instance name ${name} is ${name.length} characters; RDS allows ${MAX_IDENTIFIER}`);
  return name;
}

/** The restore time from `--to`: an ISO 8601 time with a zone (Z or ±hh:mm), not in the future. */
export function parseRestoreTime(value: string, now: Date): Date {
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? new Date(value) : undefined;
  if (!time || Number.isNaN(time.getTime())) {
    throw new RestoreError(`--to ${JSON.stringify(value)} is not an ISO 8601 time with a zone; expected e.g. 2026-12-01T10:00:00Z`);
  }
  if (time.getTime() > now.getTime()) throw new RestoreError(`--to ${value} is in the future (now ${now.toISOString()})`);
  return time;
}

/** Checks the time against the source's restorable window: its backup retention, up to its latest restorable time. */
export function checkRestorable(source: DBInstance, to: Date, now: Date): void {
  const id = source.DBInstanceIdentifier;
  const days = source.BackupRetentionPeriod ?? 0;
  if (days < 1) throw new RestoreError(`instance ${id} keeps no automated backups (BackupRetentionPeriod ${days}); no point in time can be restored`);
  const earliest = new Date(now.getTime() - days * 86_400_000);
  if (to < earliest) throw new RestoreError(`--to ${to.toISOString()} is before ${earliest.toISOString()}: instance ${id} keeps ${days} days of backups`);
  if (source.LatestRestorableTime && to > source.LatestRestorableTime) {
    throw new RestoreError(`--to ${to.toISOString()} is after instance ${id}'s latest restorable time ${source.LatestRestorableTime.toISOString()}; choose an earlier time`);
  }
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Every setting of `source` the restore call takes, so the new instance is configured as the stack configured it. */
export function restoreRequest(source: DBInstance, target: string, to: Date): RestoreDBInstanceToPointInTimeCommandInput {
  const parameterGroup = source.DBParameterGroups?.[0]?.DBParameterGroupName;
  const subnetGroup = source.DBSubnetGroup?.DBSubnetGroupName;
  if (!parameterGroup || !subnetGroup) {
    throw new RestoreError(`instance ${source.DBInstanceIdentifier} reports no ${parameterGroup ? 'subnet' : 'parameter'} group; is it the stack's database?`);
  }
  const tags = (source.TagList ?? []).filter((t) => t.Key && !t.Key.startsWith('aws:') && t.Key !== RESTORED_FROM_TAG && t.Key !== RESTORED_TO_TAG);
  return defined({
    SourceDBInstanceIdentifier: source.DBInstanceIdentifier,
    TargetDBInstanceIdentifier: target,
    RestoreTime: to,
    DBInstanceClass: source.DBInstanceClass,
    Port: source.Endpoint?.Port ?? source.DbInstancePort,
    DBSubnetGroupName: subnetGroup,
    VpcSecurityGroupIds: (source.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).filter(Boolean),
    DBParameterGroupName: parameterGroup,
    OptionGroupName: source.OptionGroupMemberships?.[0]?.OptionGroupName,
    MultiAZ: source.MultiAZ,
    PubliclyAccessible: source.PubliclyAccessible,
    AutoMinorVersionUpgrade: source.AutoMinorVersionUpgrade,
    EnableIAMDatabaseAuthentication: true, // the workload logs in by IAM only; never restore without it
    EnableCloudwatchLogsExports: source.EnabledCloudwatchLogsExports,
    DeletionProtection: source.DeletionProtection,
    CopyTagsToSnapshot: source.CopyTagsToSnapshot,
    StorageType: source.StorageType,
    AllocatedStorage: source.AllocatedStorage,
    Iops: source.StorageType === 'gp3' && (source.AllocatedStorage ?? 0) < 400 ? undefined : source.Iops, // gp3 below 400 GiB: baseline, not settable
    StorageThroughput: source.StorageType === 'gp3' && (source.AllocatedStorage ?? 0) < 400 ? undefined : source.StorageThroughput,
    MaxAllocatedStorage: source.MaxAllocatedStorage,
    BackupRetentionPeriod: source.BackupRetentionPeriod,
    PreferredBackupWindow: source.PreferredBackupWindow,
    CACertificateIdentifier: source.CACertificateIdentifier,
    NetworkType: source.NetworkType,
    EngineLifecycleSupport: source.EngineLifecycleSupport,
    Tags: [...tags, { Key: RESTORED_FROM_TAG, Value: source.DBInstanceIdentifier }, { Key: RESTORED_TO_TAG, Value: to.toISOString() }],
  });
}

/** What the restore call cannot set: enhanced monitoring, Performance Insights, the maintenance window. */
export function settingsAfterRestore(source: DBInstance, target: string): ModifyDBInstanceCommandInput {
  const monitoring = (source.MonitoringInterval ?? 0) > 0;
  return defined({
    DBInstanceIdentifier: target,
    ApplyImmediately: true,
    MonitoringInterval: monitoring ? source.MonitoringInterval : undefined,
    MonitoringRoleArn: monitoring ? source.MonitoringRoleArn : undefined,
    EnablePerformanceInsights: source.PerformanceInsightsEnabled,
    PerformanceInsightsKMSKeyId: source.PerformanceInsightsEnabled ? source.PerformanceInsightsKMSKeyId : undefined,
    PerformanceInsightsRetentionPeriod: source.PerformanceInsightsEnabled ? source.PerformanceInsightsRetentionPeriod : undefined,
    PreferredMaintenanceWindow: source.PreferredMaintenanceWindow,
  });
}

export async function describeInstance(rds: RDSClient, identifier: string): Promise<DBInstance | undefined> {
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances?.[0];
  } catch (e) {
    if ((e as Error).name === 'DBInstanceNotFoundFault' || (e as Error).name === 'DBInstanceNotFound') return undefined;
    throw e;
  }
}

async function requireInstance(rds: RDSClient, identifier: string, what: string): Promise<DBInstance> {
  const instance = await describeInstance(rds, identifier);
  if (!instance) throw new RestoreError(`${what} ${identifier} does not exist in this account and region`);
  return instance;
}

/** Polls until the instance named `identifier` is available (and, when given, is the one with `resourceId`). */
async function waitAvailable(rds: RDSClient, identifier: string, waiting: Waiting, resourceId?: string): Promise<DBInstance> {
  const sleep = waiting.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + waiting.timeoutMs;
  for (;;) {
    const instance = await describeInstance(rds, identifier);
    const status = instance?.DBInstanceStatus ?? 'absent';
    if (status === 'available' && (!resourceId || instance?.DbiResourceId === resourceId)) return instance!;
    if (/fail|incompatible|storage-full/.test(status))
      throw new RestoreError(`instance ${identifier} is ${status}; see its events: aws rds describe-events --source-identifier ${identifier}`);
    if (Date.now() > deadline) throw new RestoreError(`instance ${identifier} is still ${status} after ${Math.round(waiting.timeoutMs / 60_000)} minutes`);
    waiting.log?.(`waiting for ${identifier}: ${status}`);
    await sleep(waiting.intervalMs);
  }
}

/** Step 1: the restored instance, available, with the source's settings; the source is not touched. */
export async function restore(clients: Clients, target: DatabaseTarget, to: Date, now: Date, waiting: Waiting): Promise<DBInstance> {
  const source = await requireInstance(clients.rds, target.identifier, 'database');
  checkRestorable(source, to, now);
  const name = restoredIdentifier(target.identifier, to);
  if (await describeInstance(clients.rds, name)) throw new RestoreError(`instance ${name} already exists (a restore to the same minute); delete it or choose another --to`);
  await clients.rds.send(new RestoreDBInstanceToPointInTimeCommand(restoreRequest(source, name, to)));
  await waitAvailable(clients.rds, name, waiting);
  await clients.rds.send(new ModifyDBInstanceCommand(settingsAfterRestore(source, name)));
  const restored = await waitAvailable(clients.rds, name, waiting);
  if (!restored.IAMDatabaseAuthenticationEnabled) throw new RestoreError(`restored instance ${name} has IAM authentication off; the workload could not log in`);
  if (restored.KmsKeyId !== source.KmsKeyId) throw new RestoreError(`restored instance ${name} is encrypted with ${restored.KmsKeyId}, not the stack's key ${source.KmsKeyId}`);
  return restored;
}

async function describeStack(cloudFormation: CloudFormationClient, stackName: string): Promise<CfnStack> {
  try {
    const stack = (await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    if (stack) return stack;
  } catch (e) {
    if (!/does not exist/.test((e as Error).message)) throw e;
  }
  throw new RestoreError(`stack ${stackName} does not exist in this account and region`);
}

/** The stack's parameters with RestoredDatabaseResourceId set to `resourceId`, every other one unchanged. */
export function switchedParameters(stack: CfnStack, resourceId: string): StackParameter[] {
  const keys = (stack.Parameters ?? []).map((p) => p.ParameterKey!);
  if (!keys.includes(RESTORED_DATABASE_PARAMETER)) {
    throw new RestoreError(
      `stack ${stack.StackName} has no parameter ${RESTORED_DATABASE_PARAMETER}; deploy the current version of the platform (npm run deploy:stacks) before switching`,
    );
  }
  return keys.map((key) => (key === RESTORED_DATABASE_PARAMETER ? { ParameterKey: key, ParameterValue: resourceId } : { ParameterKey: key, UsePreviousValue: true }));
}

async function waitStackUpdated(cloudFormation: CloudFormationClient, stackName: string, waiting: Waiting): Promise<void> {
  const sleep = waiting.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + waiting.timeoutMs;
  for (;;) {
    const status = (await describeStack(cloudFormation, stackName)).StackStatus ?? 'UNKNOWN';
    if (status === 'UPDATE_COMPLETE') return;
    if (/ROLLBACK|FAILED/.test(status))
      throw new RestoreError(`stack ${stackName} is ${status}; its events say why (aws cloudformation describe-stack-events --stack-name ${stackName})`);
    if (Date.now() > deadline) throw new RestoreError(`stack ${stackName} is still ${status}`);
    waiting.log?.(`waiting for stack ${stackName}: ${status}`);
    await sleep(waiting.intervalMs);
  }
}

export interface SwitchResult {
  /** The former instance's new identifier (kept, deletion protection as it was). */
  readonly replaced: string;
  /** The restored instance's DbiResourceId, now in the stack parameter. */
  readonly resourceId: string;
}

/** Step 2: the restored instance takes the stack's identifier, and the stack's grant its resource ID. */
export async function switchTo(clients: Clients, target: DatabaseTarget, restoredName: string, now: Date, waiting: Waiting): Promise<SwitchResult> {
  const restored = await requireInstance(clients.rds, restoredName, 'restored instance');
  const origin = restored.TagList?.find((t) => t.Key === RESTORED_FROM_TAG)?.Value;
  if (origin !== target.identifier) {
    throw new RestoreError(
      `instance ${restoredName} was not restored from ${target.identifier} by this command (tag ${RESTORED_FROM_TAG}: ${origin ?? 'absent'}); refusing to switch to it`,
    );
  }
  if (restored.DBInstanceStatus !== 'available') throw new RestoreError(`instance ${restoredName} is ${restored.DBInstanceStatus}; wait until it is available`);
  const current = await requireInstance(clients.rds, target.identifier, 'database');
  const stack = await describeStack(clients.cloudFormation, target.stackName);
  const parameters = switchedParameters(stack, restored.DbiResourceId!);
  const replaced = `${target.identifier}-replaced-${now.toISOString().slice(0, 16).replace(/[-:T]/g, '')}`;
  if (replaced.length > MAX_IDENTIFIER) throw new RestoreError(`name ${replaced} is longer than ${MAX_IDENTIFIER} characters`);

  const rename = async (from: string, to: string, resourceId: string) => {
    await clients.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: from, NewDBInstanceIdentifier: to, ApplyImmediately: true }));
    await waitAvailable(clients.rds, to, waiting, resourceId);
  };
  await rename(target.identifier, replaced, current.DbiResourceId!);
  try {
    await rename(restoredName, target.identifier, restored.DbiResourceId!);
  } catch (e) {
    throw new RestoreError(
      `${(e as Error).message}. The former instance is now ${replaced}; finish with: aws rds modify-db-instance --db-instance-identifier ${restoredName} --new-db-instance-identifier ${target.identifier} --apply-immediately (or rename ${replaced} back)`,
    );
  }
  try {
    await clients.cloudFormation.send(
      new UpdateStackCommand({
        StackName: target.stackName,
        UsePreviousTemplate: true,
        Parameters: parameters,
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        RoleARN: stack.RoleARN,
      }),
    );
    await waitStackUpdated(clients.cloudFormation, target.stackName, waiting);
  } catch (e) {
    throw new RestoreError(
      `${(e as Error).message}. The restored instance already serves as ${target.identifier}; the workload's grant still names the former one until stack ${target.stackName} gets ${RESTORED_DATABASE_PARAMETER}=${restored.DbiResourceId} (rerun --switch is not needed: aws cloudformation update-stack --use-previous-template with that parameter)`,
    );
  }
  return { replaced, resourceId: restored.DbiResourceId! };
}
