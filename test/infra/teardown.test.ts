/**
 * Tearing an environment down and creating it again (issue 23, item 8), read from every environment's template:
 * - an environment whose data may be destroyed (`dataRetention.removal: "destroy"`) keeps nothing: its buckets are
 *   emptied by aws-cdk-lib's auto-delete custom resource (CloudFormation cannot delete a versioned bucket that holds
 *   objects or versions: DELETE_FAILED "The bucket you tried to delete is not empty"), its log groups and its key go;
 * - a resource kept after a delete never carries a fixed name in a non-production environment, so the next create
 *   cannot fail with "already exists"; in production the only kept fixed names are the log groups whose names the
 *   services fix (documented: the recreate imports them), and the backup vault's name is new for every stack.
 */
import { environmentStackName, platformConfig } from '../../config';
import { fixedName, isKept } from '../../scripts/recreate-import';
import { names } from '../../infra/names';
import { platform } from './helpers';

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string };

/** Log group names that EKS, RDS, Container Insights, Lambda and CodeBuild write to: they cannot be chosen. */
const SERVICE_FIXED_LOG_GROUP = /^\/aws\/(eks\/[^/]+\/cluster|rds\/instance\/[^/]+\/(postgresql|upgrade)|containerinsights\/[^/]+\/[a-z]+|lambda\/[^/]+|codebuild\/[^/]+)$/;
// The same rule `npm run recreate:import` uses to find what a recreate must adopt.
const kept = isKept;
const resources = (env: string) => Object.entries(platform().json(environmentStackName(platformConfig.project, env)).Resources as Record<string, Resource>);

describe.each(platformConfig.environments.map((e) => [e.name, e] as const))('%s', (name, env) => {
  const destroyable = env.dataRetention.removal === 'destroy';

  test('kept resources never carry a fixed name outside production; in production only service-fixed log group names', () => {
    const fixedKept = resources(name)
      .filter(([, r]) => kept(r) && fixedName(r) !== undefined)
      .map(([id, r]) => `${id} ${r.Type} ${fixedName(r)}`);
    if (!env.production) expect(fixedKept).toEqual([]);
    else for (const entry of fixedKept) expect(entry).toMatch(new RegExp(`^\\S+ AWS::Logs::LogGroup \\/aws\\/`));
    for (const entry of fixedKept) expect(entry.split(' ')[2]).toMatch(SERVICE_FIXED_LOG_GROUP);
  });

  test('a destroyable environment keeps nothing (buckets, logs, key, database, secrets go with the stack)', () => {
    const survivors = resources(name)
      .filter(([, r]) => kept(r) || r.DeletionPolicy === 'Snapshot')
      .map(([id, r]) => `${id} (${r.Type})`);
    if (destroyable) expect(survivors).toEqual([]);
    else expect(survivors.length).toBeGreaterThan(0);
  });

  test('every destroyed bucket is emptied first by the auto-delete custom resource; kept buckets never are', () => {
    const all = resources(name);
    const buckets = all.filter(([, r]) => r.Type === 'AWS::S3::Bucket');
    expect(buckets.length).toBeGreaterThanOrEqual(2); // the data bucket and its access-log bucket
    const emptied = new Set(all.filter(([, r]) => r.Type === 'Custom::S3AutoDeleteObjects').map(([, r]) => JSON.stringify(r.Properties?.BucketName)));
    for (const [id, bucket] of buckets) {
      const auto = emptied.has(JSON.stringify({ Ref: id }));
      expect({ id, deleted: !kept(bucket), emptiedFirst: auto }).toEqual({ id, deleted: destroyable, emptiedFirst: destroyable });
    }
  });

  test('no log group with a service-fixed name is kept outside production', () => {
    const logGroups = resources(name).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup' && fixedName(r) !== undefined);
    expect(logGroups.length).toBeGreaterThanOrEqual(8); // cluster, 2 RDS, 4 Container Insights, Lambda (the CodeBuild runner's is in the runner stack)
    for (const [id, group] of logGroups) expect({ id, kept: kept(group) }).toEqual({ id, kept: env.production });
  });
});

test("production's backup vault is kept under a name new for every stack (the stack ID's first block)", () => {
  const prod = platformConfig.environments.find((e) => e.production)!;
  const vaults = resources(prod.name).filter(([, r]) => r.Type === 'AWS::Backup::BackupVault');
  expect(vaults).toHaveLength(1);
  const [, vault] = vaults[0];
  expect(kept(vault)).toBe(true);
  expect(JSON.stringify(vault.Properties!.BackupVaultName)).toContain('"Ref":"AWS::StackId"');
  expect(vault.Properties!.BackupVaultName).toEqual({
    'Fn::Join': [
      '-',
      [`${platformConfig.project}-${prod.name}`, { 'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] }],
    ],
  });
});

describe.each(platformConfig.environments.map((e) => [e.name, e] as const))('%s runner stack', (_name, env) => {
  test('kept resources never carry a fixed name: the runner stack is recreated without an import (its log group name is generated)', () => {
    const json = platform().json(names.runnerStack(platformConfig, env));
    const all = Object.entries(json.Resources as Record<string, Resource>);
    expect(all.some(([, r]) => r.Type === 'AWS::Logs::LogGroup')).toBe(true);
    expect(all.filter(([, r]) => kept(r) && fixedName(r) !== undefined).map(([id]) => id)).toEqual([]);
  });
});
