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
    // Bootstrap roles of the regions it deploys to (its own, and the identity/primary image region), not any region.
    expect(text).toContain('-eu-central-1"');
    expect(text).toContain('-eu-west-1"');
    expect(text).not.toMatch(/role\/cdk-\*-[^"]*-\*"/);
    expect(text).not.toContain('platform-dev');
    expect(text).not.toContain('ecr:PutImage'); // pushing is the image push role's job
    expect(text).not.toMatch(/"Action":"(\w+:)?\*"/);
  });
});
