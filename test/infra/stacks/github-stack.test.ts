import { Match } from 'aws-cdk-lib/assertions';
import { platformConfig } from '../../../config';
import { githubSubjects } from '../../../infra/names';
import { platform, resourcesOfType } from '../helpers';

const template = platform().template('platform-github');
const json = platform().json('platform-github');
const repo = `${platformConfig.github.owner}/${platformConfig.github.repository}`;

describe('GitHub OIDC stack', () => {
  test('one GitHub OIDC provider for sts.amazonaws.com', () => {
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] });
  });

  test.each(platformConfig.environments)('deploy role of $name trusts only this repository and its GitHub Environment, audience sts', (env) => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: `platform-${env.name}-github-deploy`,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRoleWithWebIdentity',
            Effect: 'Allow',
            Principal: { Federated: { Ref: Match.stringLikeRegexp('^GitHubOidc') } },
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': [`repo:${repo}:environment:${env.name}`],
              },
            },
          },
        ],
      },
    });
    expect(githubSubjects(platformConfig, env)).toEqual([`repo:${repo}:environment:${env.name}`]);
  });

  test('the image push role trusts only the "images" GitHub Environment and may push only to the primary repository', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'platform-github-image-push',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': [`repo:${repo}:environment:images`],
              },
            },
          }),
        ],
      },
    });
    const push = resourcesOfType(json, 'AWS::IAM::Policy').find(([id]) => id.startsWith('ImagePushPolicy'))![1];
    const text = JSON.stringify(push.Properties.PolicyDocument);
    expect(text).toContain(`:ecr:eu-west-1:`);
    expect(text).toContain(`:repository/${platformConfig.imageRepositoryName}`);
    expect(text).not.toMatch(/eks:|lambda:|sts:AssumeRole"|secretsmanager:/);
    template.hasOutput('imagePushRoleArn', {});
  });

  test('the shared-stacks deploy role trusts only the "shared" GitHub Environment and may only use the CDK bootstrap roles of the platform regions', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'platform-github-shared-deploy',
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': [`repo:${repo}:environment:shared`] } } })],
      },
    });
    const [, policy] = resourcesOfType(json, 'AWS::IAM::Policy').find(([id]) => id.startsWith('SharedDeployPolicy'))!;
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    expect(statements.map((s) => s.Action)).toEqual(['sts:AssumeRole']);
    const regions = statements[0].Resource.map((r: any) => JSON.stringify(r).match(/-([a-z]+-[a-z]+-\d)"\]\]\}$/)?.[1]);
    expect(regions.sort()).toEqual(['eu-central-1', 'eu-west-1']);
    template.hasOutput('sharedDeployRoleArn', {});
  });

  test('no trust uses StringLike wildcards on sub', () => {
    for (const [, role] of resourcesOfType(json, 'AWS::IAM::Role')) {
      expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).not.toContain('StringLike');
    }
  });

  test('deploy permissions are scoped to the environment (cluster, repository, function, CDK roles)', () => {
    const policies = resourcesOfType(json, 'AWS::IAM::Policy');
    const prod = policies.find(([id]) => id.includes('prod'))![1];
    const text = JSON.stringify(prod.Properties.PolicyDocument);
    expect(text).toContain(':eks:eu-central-1:');
    expect(text).toContain(':cluster/platform-prod');
    expect(text).toContain(':function:platform-prod-api');
    expect(text).toContain(`:repository/${platformConfig.imageRepositoryName}`);
    expect(text).toContain(':role/cdk-*-');
    // `cdk deploy --exclusively` of its own stack: the bootstrap roles of its own region only (shared stacks are
    // deploy-shared.yml's, with the shared deploy role).
    expect(text).toContain('-eu-central-1"');
    expect(text).not.toContain('-eu-west-1"');
    expect(text).not.toMatch(/role\/cdk-\*-[^"]*-\*"/);
    expect(text).not.toContain('platform-dev');
    expect(text).not.toContain('ecr:PutImage'); // pushing is the image push role's job
    expect(text).not.toMatch(/"Action":"(\w+:)?\*"/);
  });
});
