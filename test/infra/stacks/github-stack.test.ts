import { Match } from 'aws-cdk-lib/assertions';
import { platformConfig } from '../../../config';
import { githubSubjects } from '../../../infra/names';
import { platform, resourcesOfType } from '../helpers';

const template = platform().template('platform-github');
const json = platform().json('platform-github');
const repo = `${platformConfig.github.owner}/${platformConfig.github.repository}`;
const gitlab = platformConfig.delivery!.gitlab!;
const bitbucket = platformConfig.delivery!.bitbucket!;
const bitbucketHost = `api.bitbucket.org/2.0/workspaces/${bitbucket.workspace}/pipelines-config/identity/oidc`;
const bitbucketAud = `ari:cloud:bitbucket::workspace/${bitbucket.workspaceUuid.slice(1, -1)}`;
const escape = (text: string) => text.replace(/[{}.*+?^$()|[\]\\]/g, '\\$&');
/** The trust statements of a role by RoleName. */
const trustOf = (roleName: string): any[] => {
  const role = resourcesOfType(json, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === roleName);
  expect(role).toBeDefined();
  return role![1].Properties.AssumeRolePolicyDocument.Statement;
};
const federatedBy = (statements: any[], provider: string) => statements.filter((st) => String(st.Principal?.Federated?.Ref ?? '').startsWith(provider));

describe('GitHub OIDC stack', () => {
  test('one GitHub OIDC provider for sts.amazonaws.com', () => {
    expect(resourcesOfType(json, 'AWS::IAM::OIDCProvider').filter(([, p]) => p.Properties.Url.includes('githubusercontent'))).toHaveLength(1);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] });
  });

  test.each(platformConfig.environments)('deploy role of $name trusts only this repository and its GitHub Environment, audience sts', (env) => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: `platform-${env.name}-github-deploy`,
      AssumeRolePolicyDocument: {
        Statement: Match.arrayWith([
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
        ]),
      },
    });
    expect(federatedBy(trustOf(`platform-${env.name}-github-deploy`), 'GitHubOidc')).toHaveLength(1);
    expect(githubSubjects(platformConfig, env)).toEqual([`repo:${repo}:environment:${env.name}`]);
  });

  test('the image push role trusts only the "images" GitHub Environment and may push only to the primary repository', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'platform-github-image-push',
      AssumeRolePolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': [`repo:${repo}:environment:images`],
              },
            },
          }),
        ]),
      },
    });
    const push = resourcesOfType(json, 'AWS::IAM::Policy').find(([id]) => id.startsWith('ImagePushPolicy'))![1];
    const text = JSON.stringify(push.Properties.PolicyDocument);
    expect(text).toContain(`:ecr:eu-west-1:`);
    for (const image of platformConfig.images) expect(text).toContain(`:repository/${image.repositoryName}`);
    expect(text).not.toMatch(/eks:|lambda:|sts:AssumeRole"|secretsmanager:/);
    template.hasOutput('imagePushRoleArn', {});
  });

  test('the shared-stacks deploy role trusts only the "shared" GitHub Environment and may only use the CDK bootstrap roles of the platform regions', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'platform-github-shared-deploy',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: {
              StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': [`repo:${repo}:environment:shared`] },
            },
          }),
        ],
      },
    });
    const [, policy] = resourcesOfType(json, 'AWS::IAM::Policy').find(([id]) => id.startsWith('SharedDeployPolicy'))!;
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    expect(statements.map((s) => s.Action)).toEqual(['sts:AssumeRole', 'cloudformation:DescribeStacks']);
    // deploy:stacks reads the identity stack's state (its user pool is protected once created): that stack only.
    expect(JSON.stringify(statements[1].Resource)).toMatch(/:stack\/platform-identity\/\*"\]\]\}$/);
    const regions = statements[0].Resource.map((r: any) => JSON.stringify(r).match(/-([a-z]+-[a-z]+-\d)"\]\]\}$/)?.[1]);
    expect(regions.sort()).toEqual(['eu-central-1', 'eu-west-1']);
    template.hasOutput('sharedDeployRoleArn', {});
  });

  test('StringLike on sub only where the claim has a run-specific part: GitLab release tags, Bitbucket step UUIDs', () => {
    const likes = resourcesOfType(json, 'AWS::IAM::Role').flatMap(([, role]) =>
      (role.Properties.AssumeRolePolicyDocument.Statement as any[]).flatMap((st) => Object.entries(st.Condition?.StringLike ?? {})),
    );
    expect(likes.length).toBeGreaterThan(0);
    for (const [key, values] of likes) {
      for (const value of values as string[]) {
        // The only "*" is the last character: after the exact project and tag prefix, or after the exact repository + environment.
        expect(value.indexOf('*')).toBe(value.length - 1);
        if (key === 'gitlab.com:sub') expect(value).toBe(`project_path:${gitlab.projectPath}:ref_type:tag:ref:v*`);
        else expect([key, value]).toEqual([`${bitbucketHost}:sub`, expect.stringMatching(new RegExp(`^${escape(bitbucket.repositoryUuid)}\\{[0-9a-f-]{36}\\}:\\*$`))]);
      }
    }
    for (const [, role] of resourcesOfType(json, 'AWS::IAM::Role')) {
      expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).not.toContain('token.actions.githubusercontent.com:sub":"repo:*');
    }
  });

  test('deploy permissions are scoped to the environment (cluster, repository, function, CDK roles)', () => {
    const policies = resourcesOfType(json, 'AWS::IAM::Policy');
    const prod = policies.find(([id]) => id.includes('prod'))![1];
    const text = JSON.stringify(prod.Properties.PolicyDocument);
    expect(text).toContain(':eks:eu-central-1:');
    expect(text).toContain(':cluster/platform-prod');
    expect(text).toContain(':function:platform-prod-api');
    for (const image of platformConfig.images) expect(text).toContain(`:repository/${image.repositoryName}`);
    expect(text).toContain(':role/cdk-*-');
    // `cdk deploy --exclusively` of its own stack: the bootstrap roles of its own region only (shared stacks are
    // deploy-shared.yml's, with the shared deploy role).
    expect(text).toContain('-eu-central-1"');
    expect(text).not.toContain('-eu-west-1"');
    expect(text).not.toMatch(/role\/cdk-\*-[^"]*-\*"/);
    expect(text).not.toContain('platform-dev');
    expect(text).not.toContain('ecr:PutImage'); // pushing is the image push role's job
    expect(text).not.toMatch(/"Action":"(\w+:)?\*"/);
    // The one action on "*": deploy:stacks checks the runner's GitHub source credential (no resource-level permission).
    const onAnything = (prod.Properties.PolicyDocument.Statement as any[]).filter((st) => st.Resource === '*');
    expect(onAnything.map((st) => st.Action)).toEqual(['codebuild:ListSourceCredentials']);
  });

  test('one GitLab OIDC provider (the configured instance) and one Bitbucket provider (the workspace issuer and audience)', () => {
    template.resourceCountIs('AWS::IAM::OIDCProvider', 3);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: gitlab.url, ClientIdList: ['sts.amazonaws.com'] });
    template.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: `https://${bitbucketHost}`, ClientIdList: [bitbucketAud] });
  });

  test.each(platformConfig.environments)('deploy role of $name trusts GitLab only for this project on its branch (or the release tags)', (env) => {
    const statements = federatedBy(trustOf(`platform-${env.name}-github-deploy`), 'GitLabOidc');
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    expect(statement.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(statement.Condition.StringEquals['gitlab.com:aud']).toBe('sts.amazonaws.com');
    if (env.deployFrom.kind === 'branch') {
      expect(statement.Condition).toEqual({
        StringEquals: { 'gitlab.com:aud': 'sts.amazonaws.com', 'gitlab.com:sub': [`project_path:${gitlab.projectPath}:ref_type:branch:ref:${env.deployFrom.branch}`] },
      });
    } else {
      expect(statement.Condition).toEqual({
        StringEquals: { 'gitlab.com:aud': 'sts.amazonaws.com' },
        StringLike: { 'gitlab.com:sub': [`project_path:${gitlab.projectPath}:ref_type:tag:ref:${platformConfig.delivery!.releaseTagPattern}`] },
      });
    }
  });

  test.each(platformConfig.environments)('deploy role of $name trusts Bitbucket only for this repository in the deployment environment of the same name', (env) => {
    const statements = federatedBy(trustOf(`platform-${env.name}-github-deploy`), 'BitbucketOidc');
    expect(statements).toHaveLength(1);
    expect(statements[0].Condition).toEqual({
      StringEquals: { [`${bitbucketHost}:aud`]: bitbucketAud },
      StringLike: { [`${bitbucketHost}:sub`]: [`${bitbucket.repositoryUuid}${bitbucket.deploymentEnvironmentUuids[env.name]}:*`] },
    });
  });

  test.each(platformConfig.environments)('deploy role of $name trusts only the Jenkins agent role of that environment', (env) => {
    const statements = trustOf(`platform-${env.name}-github-deploy`).filter((st) => st.Principal?.AWS);
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toBe('sts:AssumeRole');
    expect(JSON.stringify(statements[0].Principal.AWS)).toMatch(new RegExp(`:role/${platformConfig.delivery!.jenkins!.agentRoleNames[env.name]}"\\]\\]\\}$`));
    for (const other of platformConfig.environments.filter((o) => o.name !== env.name)) {
      expect(JSON.stringify(statements)).not.toContain(platformConfig.delivery!.jenkins!.agentRoleNames[other.name]);
    }
  });

  test('the image push role trusts GitLab on the deploying refs and Bitbucket only in its "images" deployment environment', () => {
    const statements = trustOf('platform-github-image-push');
    const gitlabRefs = federatedBy(statements, 'GitLabOidc');
    expect(gitlabRefs.map((st) => st.Condition)).toEqual([
      {
        StringEquals: { 'gitlab.com:aud': 'sts.amazonaws.com', 'gitlab.com:sub': ['develop', 'staging'].map((b) => `project_path:${gitlab.projectPath}:ref_type:branch:ref:${b}`) },
      },
      { StringEquals: { 'gitlab.com:aud': 'sts.amazonaws.com' }, StringLike: { 'gitlab.com:sub': [`project_path:${gitlab.projectPath}:ref_type:tag:ref:v*`] } },
    ]);
    expect(federatedBy(statements, 'BitbucketOidc').map((st) => st.Condition)).toEqual([
      {
        StringEquals: { [`${bitbucketHost}:aud`]: bitbucketAud },
        StringLike: { [`${bitbucketHost}:sub`]: [`${bitbucket.repositoryUuid}${bitbucket.deploymentEnvironmentUuids.images}:*`] },
      },
    ]);
    // Jenkins: only the image agent's role, none of the environments' agents.
    const agents = statements.filter((st) => st.Principal?.AWS);
    expect(agents).toHaveLength(1);
    expect(JSON.stringify(agents[0].Principal.AWS)).toContain(`:role/${platformConfig.delivery!.jenkins!.agentRoleNames.images}"`);
    expect(agents[0].Action).toBe('sts:AssumeRole');
  });

  test('every web-identity trust pins the audience', () => {
    for (const [, role] of resourcesOfType(json, 'AWS::IAM::Role')) {
      for (const st of role.Properties.AssumeRolePolicyDocument.Statement as any[]) {
        if (st.Action !== 'sts:AssumeRoleWithWebIdentity') continue;
        expect(Object.keys(st.Condition.StringEquals).filter((k) => k.endsWith(':aud'))).toHaveLength(1);
        expect(Object.keys({ ...st.Condition.StringEquals, ...st.Condition.StringLike }).filter((k) => k.endsWith(':sub'))).toHaveLength(1);
      }
    }
  });
});
