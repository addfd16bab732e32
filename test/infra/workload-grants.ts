/**
 * Reading a workload's AWS grants and alarms out of an environment template, and what its declaration says they
 * must be, for the per-workload tests (workloads.test.ts, add-workload.test.ts). The expectations are written from
 * the declaration's meaning (prefix, access, database user), not from the production code's helpers.
 */
import { type EnvironmentConfig, pascalCase, type Workload } from '../../config';
import { resourcesOfType } from './helpers';

type Json = Record<string, any>;

/** An intrinsic as text: `{"Fn::GetAtt": ["Bucket", "Arn"]}` → `<Bucket.Arn>`, joins joined, an `Fn::If` as `<if C: a | b>`. */
export function text(node: unknown): string {
  if (typeof node === 'string') return node;
  const value = node as Json;
  if (value.Ref) return `<${value.Ref}>`;
  if (value['Fn::GetAtt']) return `<${value['Fn::GetAtt'].join('.')}>`;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(text).join(value['Fn::Join'][0]);
  if (value['Fn::If']) return `<if ${value['Fn::If'][0]}: ${text(value['Fn::If'][1])} | ${text(value['Fn::If'][2])}>`;
  return JSON.stringify(node);
}

/** A policy statement reduced to what it allows: sorted actions, resources as text, its condition. */
export interface Grant {
  readonly actions: string[];
  readonly resources: string[];
  readonly condition?: Json;
}

const grant = (actions: string[], resources: string[], condition?: Json): Grant => ({
  actions: [...actions].sort(),
  resources: [...resources].sort(),
  ...(condition ? { condition } : {}),
});

/** The grants of a workload's Pod Identity role (its `<Pascal>PodPolicy`), or undefined when it has no policy. */
export function podGrants(json: Json, workload: string): Grant[] | undefined {
  const id = pascalCase(workload);
  const policies = resourcesOfType(json, 'AWS::IAM::Policy').filter(([logicalId]) => logicalId.startsWith(`${id}PodPolicy`));
  if (policies.length === 0) return undefined;
  expect(policies).toHaveLength(1);
  const [[, policy]] = policies;
  // Attached to its own role only.
  expect(policy.Properties.Roles).toEqual([{ Ref: podRoleId(json, workload) }]);
  return (policy.Properties.PolicyDocument.Statement as Json[]).map((s) => {
    expect(s.Effect).toBe('Allow');
    return grant([s.Action].flat(), [s.Resource].flat().map(text), s.Condition);
  });
}

/** Logical ID of a workload's Pod Identity role. */
export function podRoleId(json: Json, workload: string): string {
  const roles = resourcesOfType(json, 'AWS::IAM::Role').filter(([id]) => id.startsWith(`${pascalCase(workload)}PodRole`));
  expect(roles).toHaveLength(1);
  return roles[0][0];
}

/** What the environment's template names the data bucket, its key and its database instance by. */
export function environmentRefs(json: Json): { bucketArn: string; keyArn: string } {
  const buckets = resourcesOfType(json, 'AWS::S3::Bucket').filter(([id]) => id.startsWith('StorageData'));
  const keys = resourcesOfType(json, 'AWS::KMS::Key');
  expect(buckets).toHaveLength(1);
  expect(keys).toHaveLength(1);
  return { bucketArn: `<${buckets[0][0]}.Arn>`, keyArn: `<${keys[0][0]}.Arn>` };
}

/** The grants a declaration entitles a workload to: its storage prefix (read or readWrite) and its own database user. */
export function declaredGrants(json: Json, env: EnvironmentConfig, workload: Workload): Grant[] {
  const { bucketArn, keyArn } = environmentRefs(json);
  const grants: Grant[] = [];
  if (workload.storage) {
    const prefix = workload.storage.prefix ?? `${workload.name}/`;
    const readWrite = workload.storage.access === 'readWrite';
    grants.push(grant(['s3:ListBucket'], [bucketArn], { StringLike: { 's3:prefix': [`${prefix}*`] } }));
    grants.push(grant(readWrite ? ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] : ['s3:GetObject'], [`${bucketArn}/${prefix}*`]));
    grants.push(grant(readWrite ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'], [keyArn]));
  }
  if (workload.database) {
    const user = workload.name.replace(/-/g, '_');
    const instance = '<if HasRestoredDatabase: <RestoredDatabaseResourceId> | <Database.DbiResourceId>>';
    grants.push(grant(['rds-db:connect'], [`arn:<AWS::Partition>:rds-db:${env.region}:<AWS::AccountId>:dbuser:${instance}/${user}`]));
  }
  return grants;
}

/** A workload's Pod Identity association: namespace and ServiceAccount, and the role it binds. */
export function podIdentity(json: Json, workload: string): { namespace: string; serviceAccount: string; role: string } {
  const found = resourcesOfType(json, 'AWS::EKS::PodIdentityAssociation').filter(([id]) => id.startsWith(`${pascalCase(workload)}PodIdentity`));
  expect(found).toHaveLength(1);
  const p = found[0][1].Properties;
  return { namespace: p.Namespace, serviceAccount: p.ServiceAccount, role: p.RoleArn['Fn::GetAtt'][0] };
}

/** The alarm IDs the kind of a workload calls for (issue 21: latency and restarts, restarts, failed runs). */
export function declaredAlarmIds(workload: Workload): string[] {
  const id = pascalCase(workload.name);
  return { service: [`${id}LatencyP99`, `${id}Restarts`], worker: [`${id}Restarts`], cronJob: [`${id}FailedRuns`] }[workload.kind];
}

/** Alarms once per environment, whatever its workloads. */
export const ENVIRONMENT_ALARM_IDS = [
  'IngressHttp5xxRate',
  'IngressUnhealthyTargets',
  'IngressNoHealthyTargets',
  'ApiHttp5xxRate',
  'ApiLatencyP99',
  'ApiFunctionErrors',
  'ApiFunctionThrottles',
  'DatabaseCpu',
  'DatabaseFreeStorage',
  'DatabaseFreeableMemory',
  'DatabaseConnections',
];

/** The environment's alarms by ID (the part of the name after `<project>-<env>-<severity>-`). */
export function alarmsById(json: Json, project: string, env: EnvironmentConfig): Map<string, Json> {
  const prefix = `${project}-${env.name}-${env.production ? 'page' : 'notify'}-`;
  return new Map(
    resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, a]) => {
      expect(a.Properties.AlarmName.startsWith(prefix)).toBe(true);
      return [a.Properties.AlarmName.slice(prefix.length), a.Properties];
    }),
  );
}

/** The database-role custom resources by role name, with their logical IDs. */
export function databaseRoles(json: Json): Map<string, { id: string; properties: Json; dependsOn: string[] }> {
  return new Map(resourcesOfType(json, 'Custom::DatabaseRole').map(([id, r]) => [r.Properties.RoleName, { id, properties: r.Properties, dependsOn: [r.DependsOn ?? []].flat() }]));
}
