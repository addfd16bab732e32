import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EnvironmentConfig, PlatformConfig } from '../../config';
import { BITBUCKET_IMAGES_ENVIRONMENT, IMAGES_PUSHER } from '../../config';
import {
  bitbucketAudience,
  bitbucketIssuer,
  bitbucketSubjects,
  environmentRegions,
  githubSubjects,
  gitlabImagePushSubjects,
  gitlabSubjects,
  imagePushSubjects,
  names,
  primaryImageRegion,
  SHARED_DEPLOY_ENVIRONMENT,
  sharedDeploySubjects,
  STS_AUDIENCE,
  type SubjectMatch,
} from '../names';
import { acknowledge, nagAccount } from '../checks/nag';

export interface GitHubStackProps extends StackProps {
  readonly config: PlatformConfig;
  /**
   * Key of the app client secrets (identity stack, same account and region as this stack). Without it (an
   * environment account of the multi-account layout) the deploy roles may decrypt with the shared-services account's
   * keys only for their own client secret (KMS encryption context), and that key's policy names them.
   * @default - the shared-services account's key, by encryption context
   */
  readonly identityKey?: kms.IKey;
  /**
   * The environments whose deploy roles live here (every environment of the stack's account).
   * @default - every environment
   */
  readonly environments?: readonly EnvironmentConfig[];
  /**
   * The image push role (the account of the image repository).
   * @default true
   */
  readonly imagePush?: boolean;
  /**
   * Account of the shared services (user pool and its client secrets, image repository) when it is not this
   * stack's account (multi-account layout).
   * @default - this stack's account
   */
  readonly sharedServicesAccount?: string;
}

const GITHUB_ISSUER = 'token.actions.githubusercontent.com';

/**
 * CI → AWS: the account's OIDC providers and one deploy role per environment plus the image push role.
 * - GitHub Actions: only this repository's jobs in the GitHub Environment of the same name (see `githubSubjects`).
 * - GitLab CI/CD (`delivery.gitlab`): only this project's pipelines on the environment's branch, or on release tags
 *   for a release-triggered environment (see `gitlabSubjects`); GitLab's protected branches, tags and environments
 *   decide who may run them.
 * - Bitbucket Pipelines (`delivery.bitbucket`): only this repository's steps in the Bitbucket deployment environment
 *   of the same name (see `bitbucketSubjects`).
 * - Jenkins (`delivery.jenkins`): only the environment's agent role (an agent inside that environment's VPC).
 * IAM is global; the stack lives in the identity region so it can reference the identity key directly.
 */
export class GitHubStack extends Stack {
  readonly provider: iam.OidcProviderNative;
  /** GitLab's OIDC provider, when `delivery.gitlab` is configured. */
  readonly gitlabProvider?: iam.OidcProviderNative;
  /** Bitbucket's OIDC provider (one per workspace), when `delivery.bitbucket` is configured. */
  readonly bitbucketProvider?: iam.OidcProviderNative;
  readonly deployRoles = new Map<string, iam.Role>();
  /** Pushes scanned images to the primary ECR repository (ECR replicates them to the other regions). */
  readonly imagePushRole?: iam.Role;
  /** Deploys the shared stacks (identity, GitHub, shared-<region>) from deploy-shared.yml (the shared services' account). */
  readonly sharedDeployRole?: iam.Role;

  constructor(scope: Construct, id: string, props: GitHubStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.provider = new iam.OidcProviderNative(this, 'GitHubOidc', {
      url: `https://${GITHUB_ISSUER}`,
      clientIds: ['sts.amazonaws.com'],
    });
    const { gitlab, bitbucket } = config.delivery ?? {};
    if (gitlab) this.gitlabProvider = new iam.OidcProviderNative(this, 'GitLabOidc', { url: gitlab.url, clientIds: [STS_AUDIENCE] });
    if (bitbucket) {
      this.bitbucketProvider = new iam.OidcProviderNative(this, 'BitbucketOidc', {
        url: `https://${bitbucketIssuer(bitbucket.workspace)}`,
        clientIds: [bitbucketAudience(bitbucket.workspaceUuid)],
      });
    }
    for (const env of props.environments ?? config.environments) {
      const role = this.addDeployRole(config, env, props);
      if (gitlab) this.trustGitLab(role, gitlab.url, gitlabSubjects(config, env));
      if (bitbucket) this.trustBitbucket(role, bitbucket.workspace, bitbucketAudience(bitbucket.workspaceUuid), bitbucketSubjects(config, env.name));
      this.trustJenkinsAgent(role, config.delivery?.jenkins?.agentRoleNames[env.name]);
      this.deployRoles.set(env.name, role);
    }
    if (props.imagePush ?? true) {
      this.imagePushRole = this.addImagePushRoleWithTrusts(config);
      this.sharedDeployRole = this.addSharedDeployRole(config);
    }
  }

  /** The image push role, trusted by GitHub's "images" Environment and the configured GitLab/Bitbucket/Jenkins pushers. */
  private addImagePushRoleWithTrusts(config: PlatformConfig): iam.Role {
    const { gitlab, bitbucket } = config.delivery ?? {};
    const role = this.addImagePushRole(config);
    this.trustJenkinsAgent(role, config.delivery?.jenkins?.agentRoleNames[IMAGES_PUSHER]);
    if (gitlab) this.trustGitLab(role, gitlab.url, gitlabImagePushSubjects(config));
    if (bitbucket) {
      this.trustBitbucket(role, bitbucket.workspace, bitbucketAudience(bitbucket.workspaceUuid), bitbucketSubjects(config, BITBUCKET_IMAGES_ENVIRONMENT));
    }
    return role;
  }

  /** The Jenkins agent role (instance or pod role of an agent inside the environment's VPC) of one environment only. */
  private trustJenkinsAgent(role: iam.Role, agentRoleName: string | undefined): void {
    if (!agentRoleName) return;
    role.assumeRolePolicy!.addStatements(
      new iam.PolicyStatement({
        sid: 'JenkinsAgent',
        actions: ['sts:AssumeRole'],
        principals: [new iam.ArnPrincipal(this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: agentRoleName }))],
      }),
    );
  }

  /** GitLab `id_tokens` (aud sts.amazonaws.com) of this project on the given refs only. */
  private trustGitLab(role: iam.Role, url: string, subjects: SubjectMatch): void {
    const issuer = url.replace(/^https:\/\//, '');
    this.addWebIdentityTrust(role, 'GitLab', this.gitlabProvider!, issuer, STS_AUDIENCE, subjects);
  }

  /** Bitbucket deployment steps of this repository in one deployment environment only. */
  private trustBitbucket(role: iam.Role, workspace: string, audience: string, subjects: SubjectMatch): void {
    this.addWebIdentityTrust(role, 'Bitbucket', this.bitbucketProvider!, bitbucketIssuer(workspace), audience, subjects);
  }

  private addWebIdentityTrust(role: iam.Role, sid: string, provider: iam.OidcProviderNative, issuer: string, audience: string, subjects: SubjectMatch): void {
    const statement = (suffix: string, sub: Record<string, Record<string, string[]>>) =>
      new iam.PolicyStatement({
        sid: `${sid}${suffix}`,
        actions: ['sts:AssumeRoleWithWebIdentity'],
        principals: [new iam.FederatedPrincipal(provider.oidcProviderArn)],
        conditions: { ...sub, StringEquals: { [`${issuer}:aud`]: audience, ...(sub.StringEquals ?? {}) } },
      });
    if (subjects.exact.length > 0) role.assumeRolePolicy!.addStatements(statement('Refs', { StringEquals: { [`${issuer}:sub`]: subjects.exact } }));
    if (subjects.like.length > 0) role.assumeRolePolicy!.addStatements(statement('Patterns', { StringLike: { [`${issuer}:sub`]: subjects.like } }));
  }

  /** Deploys the shared stacks (deploy-shared.yml): the CDK bootstrap roles of the identity and environment regions. */
  private addSharedDeployRole(config: PlatformConfig): iam.Role {
    const role = new iam.Role(this, 'SharedDeployRole', {
      roleName: names.sharedDeployRole(config),
      description: `GitHub Actions deploys the shared stacks (${config.github.owner}/${config.github.repository}, GitHub Environment "${SHARED_DEPLOY_ENVIRONMENT}")`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: this.webIdentity(sharedDeploySubjects(config)),
    });
    const regions = [...new Set([config.identity.region, ...environmentRegions(config)])];
    const policy = new iam.Policy(this, 'SharedDeployPolicy', {
      statements: [
        new iam.PolicyStatement({
          sid: 'CdkBootstrapRoles',
          actions: ['sts:AssumeRole'],
          resources: regions.map((r) => `arn:${this.partition}:iam::${this.account}:role/cdk-*-${this.account}-${r}`),
        }),
        // npm run deploy:stacks reads the identity stack's state: its user pool is protected once created, not before.
        new iam.PolicyStatement({
          sid: 'ReadIdentityStackState',
          actions: ['cloudformation:DescribeStacks'],
          resources: [`arn:${this.partition}:cloudformation:${config.identity.region}:${this.account}:stack/${names.identityStack(config)}/*`],
        }),
      ],
    });
    role.attachInlinePolicy(policy);
    acknowledge(
      policy,
      Object.fromEntries(
        regions.map((r) => [
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::${nagAccount(this)}:role/cdk-*-${nagAccount(this)}-${r}]`,
          `The shared stacks deploy through the CDK bootstrap roles of ${r} (deploy, file/image publishing, lookup; "*" is the bootstrap qualifier and role kind)`,
        ]),
      ),
    );
    acknowledge(policy, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:${config.identity.region}:${nagAccount(this)}:stack/${names.identityStack(config)}/*]`]:
        'A stack ARN ends with its generated stack ID; the stack name is exact',
    });
    new CfnOutput(this, 'sharedDeployRoleArn', { value: role.roleArn, description: `Set as DEPLOY_ROLE_ARN on the GitHub Environment "${SHARED_DEPLOY_ENVIRONMENT}"` });
    return role;
  }

  private webIdentity(subjects: string[]): iam.WebIdentityPrincipal {
    return new iam.WebIdentityPrincipal(this.provider.oidcProviderArn, {
      StringEquals: { [`${GITHUB_ISSUER}:aud`]: 'sts.amazonaws.com', [`${GITHUB_ISSUER}:sub`]: subjects },
    });
  }

  private addImagePushRole(config: PlatformConfig): iam.Role {
    const role = new iam.Role(this, 'ImagePushRole', {
      roleName: names.imagePushRole(config),
      description: `CI pushes scanned images: GitHub Actions (${config.github.owner}/${config.github.repository}, GitHub Environment "images")${config.delivery ? ', and the GitLab/Bitbucket trusts of config delivery' : ''}`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: this.webIdentity(imagePushSubjects(config)),
    });
    // Exactly the declared images' repositories.
    const repositories = config.images.map((image) => `arn:${this.partition}:ecr:${primaryImageRegion(config)}:${this.account}:repository/${image.repositoryName}`);
    const policy = new iam.Policy(this, 'ImagePushPolicy', {
      statements: [
        new iam.PolicyStatement({ sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'PushImage',
          actions: [
            'ecr:BatchCheckLayerAvailability',
            'ecr:InitiateLayerUpload',
            'ecr:UploadLayerPart',
            'ecr:CompleteLayerUpload',
            'ecr:PutImage',
            'ecr:BatchGetImage',
            'ecr:DescribeImages',
          ],
          resources: repositories,
        }),
      ],
    });
    role.attachInlinePolicy(policy);
    acknowledge(policy, {
      'AwsSolutions-IAM5[Resource::*]': 'ecr:GetAuthorizationToken has no resource-level permissions (AWS requires "*"); every other ECR action is limited to the repository',
    });
    new CfnOutput(this, 'imagePushRoleArn', { value: role.roleArn, description: 'Set as ECR_PUSH_ROLE_ARN on the GitHub Environment "images"' });
    return role;
  }

  private addDeployRole(config: PlatformConfig, env: EnvironmentConfig, props: GitHubStackProps): iam.Role {
    const role = new iam.Role(this, `DeployRole-${env.name}`, {
      roleName: names.deployRole(config, env),
      description: `CI deploys ${env.name}: GitHub Actions (${config.github.owner}/${config.github.repository}, GitHub Environment "${env.name}")${config.delivery ? ', and the GitLab/Bitbucket/Jenkins trusts of config delivery' : ''}`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: this.webIdentity(githubSubjects(config, env)),
    });

    const statements = this.deployStatements(config, env, props);
    const policy = new iam.Policy(this, `DeployPolicy-${env.name}`, { statements });
    role.attachInlinePolicy(policy);
    this.acknowledgeDeployPolicy(policy, config, env, props);
    return role;
  }

  /** What a deploy of `env` may do: read its cluster, images, outputs and client secret; assume its CDK bootstrap roles. */
  private deployStatements(config: PlatformConfig, env: EnvironmentConfig, props: GitHubStackProps): iam.PolicyStatement[] {
    const { partition, account } = this;
    const region = env.region;
    const sharedAccount = props.sharedServicesAccount ?? account;
    // Images are pushed by the image push role; a deploy only checks that the image (replicated to the environment's
    // region) exists and passed its scan before it rolls out.
    // `cdk deploy --exclusively <env stack>` deploys that stack alone (the shared stacks are deploy-shared.yml's,
    // with their own role): the bootstrap roles of the environment's region only, in its own account.
    const deployRegions = [region];
    const envRepositories = config.images.map((image) => `arn:${partition}:ecr:${region}:${sharedAccount}:repository/${image.repositoryName}`);
    const clientSecretArn = `arn:${partition}:secretsmanager:${config.identity.region}:${sharedAccount}:secret:${names.clientSecret(config, env)}-*`;
    return [
      new iam.PolicyStatement({
        sid: 'DescribeOwnCluster',
        actions: ['eks:DescribeCluster'],
        resources: [`arn:${partition}:eks:${region}:${account}:cluster/${names.cluster(config, env)}`],
      }),
      new iam.PolicyStatement({
        sid: 'InspectImage',
        actions: ['ecr:DescribeImages', 'ecr:DescribeImageScanFindings'],
        resources: envRepositories,
      }),
      new iam.PolicyStatement({
        sid: 'CdkBootstrapRoles',
        actions: ['sts:AssumeRole'],
        resources: deployRegions.map((r) => `arn:${partition}:iam::${account}:role/cdk-*-${account}-${r}`),
      }),
      new iam.PolicyStatement({
        sid: 'UpdateApiFunction',
        actions: ['lambda:GetFunction', 'lambda:UpdateFunctionCode', 'lambda:PublishVersion'],
        resources: [`arn:${partition}:lambda:${region}:${account}:function:${names.apiFunction(config, env)}`],
      }),
      new iam.PolicyStatement({
        sid: 'ReadStackOutputs',
        actions: ['cloudformation:DescribeStacks'],
        resources: [`arn:${partition}:cloudformation:${region}:${account}:stack/${names.environmentStack(config, env)}/*`],
      }),
      // npm run deploy:stacks checks, before it deploys the runner stack, that CodeBuild has a GitHub source credential.
      new iam.PolicyStatement({ sid: 'CheckRunnerConnection', actions: ['codebuild:ListSourceCredentials'], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'ReadAlbClientSecret',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [clientSecretArn],
      }),
      this.decryptClientSecret(config, props, clientSecretArn),
    ];
  }

  /** kms:Decrypt of the ALB client secret through Secrets Manager: the identity stack's key, or (another account's) any key, for this secret only. */
  private decryptClientSecret(config: PlatformConfig, props: GitHubStackProps, clientSecretArn: string): iam.PolicyStatement {
    const sharedAccount = props.sharedServicesAccount ?? this.account;
    const partition = this.partition;
    return props.identityKey
      ? new iam.PolicyStatement({
          sid: 'DecryptAlbClientSecret',
          actions: ['kms:Decrypt'],
          resources: [props.identityKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${config.identity.region}.amazonaws.com` } },
        })
      : new iam.PolicyStatement({
          // The key is the shared-services account's: named by what it decrypts, this environment's client secret.
          sid: 'DecryptAlbClientSecret',
          actions: ['kms:Decrypt'],
          resources: [`arn:${partition}:kms:${config.identity.region}:${sharedAccount}:key/*`],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${config.identity.region}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:SecretARN': clientSecretArn },
          },
        });
  }

  private acknowledgeDeployPolicy(policy: iam.Policy, config: PlatformConfig, env: EnvironmentConfig, props: GitHubStackProps): void {
    const region = env.region;
    const deployRegions = [region];
    // How cdk-nag spells this stack's account (a token when account-agnostic) and the shared-services account.
    const ownAccount = nagAccount(this);
    const nagShared = props.sharedServicesAccount ?? ownAccount;
    acknowledge(policy, {
      ...Object.fromEntries(
        deployRegions.map((r) => [
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::${ownAccount}:role/cdk-*-${ownAccount}-${r}]`,
          `The pipeline deploys through the CDK bootstrap roles of ${r} (deploy, file/image publishing, lookup; "*" is the bootstrap qualifier and role kind)`,
        ]),
      ),
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:${config.identity.region}:${nagShared}:secret:${names.clientSecret(config, env)}-*]`]:
        'Secrets Manager appends a random 6-character suffix to the ARN; the name before it is exact',
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:${region}:${ownAccount}:stack/${names.environmentStack(config, env)}/*]`]:
        'A stack ARN ends with its generated stack ID; the stack name is exact',
      'AwsSolutions-IAM5[Resource::*]': 'codebuild:ListSourceCredentials has no resource-level permissions (it lists names and types, never a token)',
      ...(props.identityKey
        ? {}
        : {
            [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${config.identity.region}:${nagShared}:key/*]`]:
              "The key ID of another account is unknown at synth; Decrypt is limited to Secrets Manager and to this environment's client secret by the encryption context (and that key's policy names this role)",
          }),
    });
  }
}
