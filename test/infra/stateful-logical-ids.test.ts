/**
 * Nothing that holds data is replaced by the move to declared workloads (issue 21): a resource whose logical ID
 * changes is deleted and created anew by CloudFormation. The IDs below were read from main's synthesized templates
 * (`npm run synth` and `npm run synth -- --config multi-account`) at commit 066872f4b13376583de41638fffd8b0ed76e85f9,
 * before the change; they are literals on purpose: a test that derived them from today's code could not fail.
 */
import { multiAccountPlatform, type Platform, platform, resourcesOfType } from './helpers';

/** Stateful resource types: the database, buckets, KMS keys, the user pool, the cluster and the image repositories. */
const STATEFUL_TYPES = ['AWS::RDS::DBInstance', 'AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Cognito::UserPool', 'AWS::EKS::Cluster', 'AWS::ECR::Repository'] as const;

/** An environment stack: its KMS key, cluster, database and both buckets. */
const ENVIRONMENT = {
  'AWS::KMS::Key': ['Key961B73FD'],
  'AWS::EKS::Cluster': ['EksClusterB2BDED5B'],
  'AWS::RDS::DBInstance': ['Database'],
  'AWS::S3::Bucket': ['StorageAccessLogs96FB524C', 'StorageData6BB23F4E'],
};
/** A regional shared stack: its KMS key and the `platform/web` repository. */
const SHARED_REGION = { 'AWS::KMS::Key': ['Key961B73FD'], 'AWS::ECR::Repository': ['WebRepository0EB245C6'] };
const IDENTITY = { 'AWS::KMS::Key': ['Key961B73FD'], 'AWS::Cognito::UserPool': ['UserPool6BA7E5F2'] };

/** Per configuration and stack, the logical IDs of its stateful resources on main (types absent: none). */
const ON_MAIN: Record<string, Record<string, Partial<Record<(typeof STATEFUL_TYPES)[number], string[]>>>> = {
  default: {
    'platform-dev': ENVIRONMENT,
    'platform-staging': ENVIRONMENT,
    'platform-prod': ENVIRONMENT,
    'platform-identity': IDENTITY,
    'platform-shared-eu-west-1': SHARED_REGION,
    'platform-shared-eu-central-1': SHARED_REGION,
  },
  'multi-account': {
    'platform-dev': ENVIRONMENT,
    'platform-staging': ENVIRONMENT,
    'platform-prod': ENVIRONMENT,
    'platform-identity': IDENTITY,
    'platform-shared-eu-west-1': SHARED_REGION,
    'platform-shared-eu-central-1': SHARED_REGION,
    'platform-dev-eu-west-1': { 'AWS::KMS::Key': ['Key961B73FD'] },
    'platform-staging-eu-west-1': { 'AWS::KMS::Key': ['Key961B73FD'] },
    'platform-prod-eu-central-1': { 'AWS::KMS::Key': ['Key961B73FD'] },
  },
};

const assemblies: Record<string, () => Platform> = { default: platform, 'multi-account': multiAccountPlatform };

describe.each(Object.keys(ON_MAIN))('stateful resources keep their logical IDs (%s configuration)', (configuration) => {
  const assembly = assemblies[configuration]();
  const stacks = Object.keys(ON_MAIN[configuration]);

  test.each(stacks)('%s: the stateful resources are exactly those of main, under the same logical IDs', (stack) => {
    const json = assembly.json(stack);
    const actual = Object.fromEntries(
      STATEFUL_TYPES.map(
        (type) =>
          [
            type,
            resourcesOfType(json, type)
              .map(([id]) => id)
              .sort(),
          ] as const,
      ).filter(([, ids]) => ids.length > 0),
    );
    const expected = Object.fromEntries(Object.entries(ON_MAIN[configuration][stack]).map(([type, ids]) => [type, [...ids!].sort()]));
    expect(actual).toEqual(expected);
  });

  test("`web`'s image repository keeps its name under its logical ID", () => {
    for (const stack of ['platform-shared-eu-west-1', 'platform-shared-eu-central-1']) {
      expect(assembly.json(stack).Resources.WebRepository0EB245C6.Properties.RepositoryName).toBe('platform/web');
    }
  });

  test('no stack with stateful resources on main has disappeared', () => {
    expect(assembly.stackNames).toEqual(expect.arrayContaining(stacks));
  });
});
