/**
 * One ECR repository per declared image (issue 21), and CI may push to and inspect exactly those: read from the
 * shipped configuration (one image) and from a test configuration that declares a second image.
 */
import { platformConfig, type PlatformConfig } from '../../../config';
import { type Platform, platform, resourcesOfType, synthesizeConfig } from '../helpers';
import { text } from '../workload-grants';

type Json = Record<string, any>;

const withSecondImage: PlatformConfig = {
  ...platformConfig,
  images: [...platformConfig.images, { name: 'jobs', context: 'app', dockerfile: 'app/Dockerfile', repositoryName: 'platform/jobs' }],
};

const configurations: [string, PlatformConfig, () => Platform][] = [
  ['shipped (one image)', platformConfig, platform],
  ['with a second image', withSecondImage, () => synthesizeConfig(withSecondImage, 'second-image')],
];

const PRIMARY = 'eu-west-1'; // the first environment's region: CI pushes there, ECR replicates to the others
const REPLICA = 'eu-central-1';

/** Repositories named by the ECR statements of a policy (every ECR action but the account-wide login token). */
function ecrRepositories(policy: Json): string[] {
  return (policy.Properties.PolicyDocument.Statement as Json[])
    .filter((s) => [s.Action].flat().some((a: string) => a.startsWith('ecr:') && a !== 'ecr:GetAuthorizationToken'))
    .flatMap((s) => [s.Resource].flat().map(text))
    .sort();
}

describe.each(configurations)('%s', (_name, config, assembly) => {
  const repositoryArn = (region: string, name: string) => `arn:<AWS::Partition>:ecr:${region}:<AWS::AccountId>:repository/${name}`;
  const declared = config.images.map((i) => i.repositoryName).sort();

  test.each([PRIMARY, REPLICA])('%s: one repository per declared image, named as declared', (region) => {
    const json = assembly().json(`${config.project}-shared-${region}`);
    expect(
      resourcesOfType(json, 'AWS::ECR::Repository')
        .map(([, r]) => r.Properties.RepositoryName)
        .sort(),
    ).toEqual(declared);
  });

  test('cdk-nag has no unacknowledged finding', () => {
    expect(assembly().findings).toEqual([]);
  });

  test('the primary region replicates exactly the declared repositories', () => {
    const json = assembly().json(`${config.project}-shared-${PRIMARY}`);
    const [[, replication]] = resourcesOfType(json, 'AWS::ECR::ReplicationConfiguration');
    const filters = replication.Properties.ReplicationConfiguration.Rules.flatMap((r: Json) => r.RepositoryFilters.map((f: Json) => f.Filter));
    expect(filters.sort()).toEqual(declared);
  });

  test('no IAM policy of any stack names an ECR repository that is not declared (every CI system, every role)', () => {
    const named = assembly().stackNames.flatMap((stack) => resourcesOfType(assembly().json(stack), 'AWS::IAM::Policy').flatMap(([, policy]) => ecrRepositories(policy)));
    expect(named.length).toBeGreaterThan(0);
    for (const arn of named) expect(declared.map((name) => `:repository/${name}`)).toContain(arn.slice(arn.indexOf(':repository/')));
  });

  test("the image push role's ECR statements cover exactly the declared repositories in the primary region", () => {
    const json = assembly().json(`${config.project}-github`);
    const [[, push]] = resourcesOfType(json, 'AWS::IAM::Policy').filter(([id]) => id.startsWith('ImagePushPolicy'));
    expect([...new Set(ecrRepositories(push))]).toEqual(declared.map((name) => repositoryArn(PRIMARY, name)));
  });

  test.each(config.environments.map((e) => [e.name, e.region] as const))(
    '%s deploy role: its ECR statements cover exactly the declared repositories in its region',
    (env, region) => {
      const json = assembly().json(`${config.project}-github`);
      const [[, deploy]] = resourcesOfType(json, 'AWS::IAM::Policy').filter(([id]) => id.startsWith(`DeployPolicy${env}`));
      expect([...new Set(ecrRepositories(deploy))]).toEqual(declared.map((name) => repositoryArn(region, name)));
    },
  );
});

test("the second image gets its own repository (a logical ID from its name) beside web's, which keeps its ID", () => {
  const json = configurations[1][2]().json(`${platformConfig.project}-shared-${PRIMARY}`);
  expect(
    resourcesOfType(json, 'AWS::ECR::Repository')
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))
      .sort(),
  ).toEqual(['JobsRepository', 'WebRepository']);
  expect(json.Resources.WebRepository0EB245C6.Properties.RepositoryName).toBe('platform/web');
});
