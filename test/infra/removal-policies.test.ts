/**
 * Which resources outlive their stack. Data (database, buckets, keys, the database secret, logs, the production image
 * repository, the user pool) is kept with retain-on-update-or-delete semantics; everything else (cluster, node
 * group, roles, functions, the kubectl provider) is deleted with the stack. An environment whose data may be
 * destroyed keeps nothing (its key included); outside production, log groups whose names a service fixes are
 * deleted too (test/infra/teardown.test.ts: a kept one would block the next create).
 *
 * Why not plain "Retain": a create that fails rolls back, and CloudFormation leaves every "Retain" resource behind.
 * Resources with fixed names (the cluster, its log group, the ECR repository, ...) then make the retry fail with
 * "already exists". "RetainExceptOnCreate" deletes them when the stack's own creation rolls back, and retains them
 * on every later delete; UpdateReplacePolicy "Retain" keeps the old copy when an update replaces it.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatereplacepolicy.html
 */
import { environmentStackName, platformConfig } from '../../config';
import { platform } from './helpers';

type Policy = { DeletionPolicy: string; UpdateReplacePolicy: string };
const KEPT: Policy = { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' };
const DELETED: Policy = { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' };
const SNAPSHOT: Policy = { DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' };

/** Resource types that hold data; anything else is recreated from the template and must never be retained. */
const DATA_TYPES = [
  'AWS::KMS::Key',
  'AWS::S3::Bucket',
  'AWS::Logs::LogGroup',
  'AWS::RDS::DBInstance',
  'AWS::SecretsManager::Secret',
  'AWS::ECR::Repository',
  'AWS::Cognito::UserPool',
  'AWS::Backup::BackupVault',
] as const;
type DataType = (typeof DATA_TYPES)[number];

/** The policy each data type must carry, per stack, from the configuration. */
function expectedPolicies(): Map<string, Partial<Record<DataType, Policy>>> {
  const expected = new Map<string, Partial<Record<DataType, Policy>>>();
  const anyProduction = platformConfig.environments.some((e) => e.production);
  expected.set(`${platformConfig.project}-identity`, { 'AWS::KMS::Key': KEPT, 'AWS::Cognito::UserPool': anyProduction ? KEPT : DELETED, 'AWS::SecretsManager::Secret': DELETED });
  expected.set(`${platformConfig.project}-github`, {});
  for (const region of new Set(platformConfig.environments.map((e) => e.region))) {
    const production = platformConfig.environments.some((e) => e.region === region && e.production);
    // The account's RDS enhanced-monitoring log group (regional operations) is kept too.
    expected.set(`${platformConfig.project}-shared-${region}`, { 'AWS::KMS::Key': KEPT, 'AWS::ECR::Repository': production ? KEPT : DELETED, 'AWS::Logs::LogGroup': KEPT });
  }
  for (const env of platformConfig.environments) {
    const keep = env.production || env.dataRetention.removal !== 'destroy';
    const database = { destroy: DELETED, snapshot: SNAPSHOT, retain: KEPT }[env.dataRetention.removal];
    expected.set(environmentStackName(platformConfig.project, env.name), {
      'AWS::KMS::Key': keep ? KEPT : DELETED,
      'AWS::S3::Bucket': keep ? KEPT : DELETED,
      'AWS::Logs::LogGroup': keep ? KEPT : DELETED,
      'AWS::RDS::DBInstance': database,
      'AWS::SecretsManager::Secret': env.dataRetention.removal === 'destroy' ? DELETED : KEPT,
      'AWS::Backup::BackupVault': KEPT,
    });
    // The runner's build logs follow the environment's data (a generated name: a kept group never blocks a new one).
    expected.set(`${platformConfig.project}-${env.name}-runner`, { 'AWS::Logs::LogGroup': keep ? KEPT : DELETED });
  }
  return expected;
}

const p = platform();
const policyOf = (resource: { DeletionPolicy?: string; UpdateReplacePolicy?: string }): Policy => ({
  DeletionPolicy: resource.DeletionPolicy ?? 'Delete',
  UpdateReplacePolicy: resource.UpdateReplacePolicy ?? 'Delete',
});
const resources = (stack: string) =>
  Object.entries(p.json(stack).Resources as Record<string, { Type: string; Properties?: { LogGroupName?: unknown }; DeletionPolicy?: string; UpdateReplacePolicy?: string }>);
const nonProductionStacks = new Set(platformConfig.environments.filter((e) => !e.production).map((e) => environmentStackName(platformConfig.project, e.name)));

describe('deletion and replacement policies', () => {
  const expected = expectedPolicies();

  test('every stack is covered', () => {
    expect([...expected.keys()].sort()).toEqual([...p.stackNames].sort());
  });

  test.each([...expected.keys()])('%s: data types carry their policy, every other resource is deleted with the stack', (stack) => {
    const byType = expected.get(stack)!;
    for (const [id, resource] of resources(stack)) {
      const fixedNameLogs = resource.Type === 'AWS::Logs::LogGroup' && typeof resource.Properties?.LogGroupName === 'string' && nonProductionStacks.has(stack);
      const want = fixedNameLogs ? DELETED : (DATA_TYPES as readonly string[]).includes(resource.Type) ? byType[resource.Type as DataType] : DELETED;
      expect({ id, type: resource.Type, ...policyOf(resource) }).toEqual({ id, type: resource.Type, ...(want ?? DELETED) });
    }
  });

  test('nothing anywhere is plain "Retain" on deletion (it survives a rolled-back first create and blocks the retry)', () => {
    const retained = p.stackNames.flatMap((stack) =>
      resources(stack)
        .filter(([, r]) => r.DeletionPolicy === 'Retain')
        .map(([id, r]) => `${stack}/${id} (${r.Type})`),
    );
    expect(retained).toEqual([]);
  });

  test('production keeps its data: database snapshot or retained, buckets and logs retained', () => {
    const prod = platformConfig.environments.find((e) => e.production)!;
    const stack = environmentStackName(platformConfig.project, prod.name);
    const policies = (type: string) =>
      resources(stack)
        .filter(([, r]) => r.Type === type)
        .map(([, r]) => policyOf(r).DeletionPolicy);
    expect(policies('AWS::RDS::DBInstance')).toEqual([expect.stringMatching(/^(Snapshot|RetainExceptOnCreate)$/)]);
    expect(new Set(policies('AWS::S3::Bucket'))).toEqual(new Set(['RetainExceptOnCreate']));
    expect(new Set(policies('AWS::EKS::Cluster'))).toEqual(new Set(['Delete']));
  });
});
