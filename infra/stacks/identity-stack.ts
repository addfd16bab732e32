import { Duration, RemovalPolicy, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig, PlatformConfig } from '../../config';
import { names } from '../names';
import { acknowledge, createPlatformKey } from '../constructs/keys';

export interface IdentityStackProps extends StackProps {
  readonly config: PlatformConfig;
  /**
   * Multi-account layout: each client secret names, in its resource policy and its key's policy, the one principal
   * that may read it, its environment's deploy role in the environment's account (and denies reading to any other).
   * @default false (single account: the deploy roles' own IAM policies grant the read)
   */
  readonly crossAccountReaders?: boolean;
}

/** What an environment needs from the central user pool. */
export interface EnvironmentIdentity {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  /** Secrets Manager secret `{ clientID, clientSecret }` of the environment's ALB app client. */
  readonly clientSecret: secretsmanager.Secret;
}

/**
 * Centralized sign-in in `config.identity.region`: one user pool (strong passwords, MFA with TOTP, threat
 * protection), one hosted domain and one confidential ALB app client per environment.
 */
export class IdentityStack extends Stack {
  readonly key: kms.Key;
  readonly userPool: cognito.UserPool;
  readonly domain: cognito.UserPoolDomain;
  private readonly clients = new Map<string, EnvironmentIdentity>();

  constructor(scope: Construct, id: string, props: IdentityStackProps) {
    super(scope, id, props);
    const { config } = props;
    const anyProduction = config.environments.some((e) => e.production);
    const removal = anyProduction ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = createPlatformKey(this, 'Key', `${config.project} identity: app client secrets`);

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${config.project}-users`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: config.identity.mfa === 'required' ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: anyProduction,
      removalPolicy: removal,
    });
    acknowledge(this.userPool, {
      'AwsSolutions-COG2': `MFA is ${config.identity.mfa} (TOTP) by configuration (identity.mfa); set it to "required" to enforce it for every user`,
    });

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: config.identity.domainPrefix },
      managedLoginVersion: cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
    });

    for (const env of config.environments) this.addEnvironmentClient(config, env, props.crossAccountReaders ?? false);
  }

  /** The app client and its secret for one environment. */
  clientFor(name: string): EnvironmentIdentity {
    const found = this.clients.get(name);
    if (!found) throw new Error(`IdentityStack: no app client for environment "${name}" (have: ${[...this.clients.keys()].join(', ')})`);
    return found;
  }

  private addEnvironmentClient(config: PlatformConfig, env: EnvironmentConfig, crossAccountReaders: boolean): void {
    const host = env.workload.hostname;
    const client = this.userPool.addClient(`AlbClient-${env.name}`, {
      userPoolClientName: `${config.project}-${env.name}-alb`,
      generateSecret: true,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [`https://${host}/oauth2/idpresponse`],
        logoutUrls: [`https://${host}/`],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
    });
    // The client secret as a CloudFormation attribute (Fn::GetAtt ClientSecret): never a literal in the template,
    // and no DescribeUserPoolClient custom resource Lambda (what `client.userPoolClientSecret` would add).
    const cfnClient = client.node.defaultChild as cognito.CfnUserPoolClient;
    const clientSecret = new secretsmanager.Secret(this, `AlbClientSecret-${env.name}`, {
      secretName: names.clientSecret(config, env),
      description: `OIDC client of the ${env.name} ALB (JSON clientID/clientSecret); read by the deploy command to create the Kubernetes Secret`,
      encryptionKey: this.key,
      secretObjectValue: {
        clientID: SecretValue.unsafePlainText(client.userPoolClientId),
        clientSecret: SecretValue.resourceAttribute(cfnClient.attrClientSecret),
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(clientSecret, {
      'AwsSolutions-SMG4': 'The value is owned by Cognito (the app client secret); it changes only by rotating the app client secret in Cognito, which updates this secret on the next deploy',
    });
    if (crossAccountReaders) this.allowOnlyDeployRole(config, env, clientSecret);
    this.clients.set(env.name, { userPool: this.userPool, client, clientSecret });
  }

  /**
   * The environment's deploy role (another account) may read its client secret, and nothing else may: an explicit
   * deny for every other principal, so no policy of this account can grant it either. The key policy lets that role
   * decrypt through Secrets Manager for this secret only (encryption context). Both policies name a role of the
   * environment account, which must exist first: that account's GitHub stack deploys before this one.
   */
  private allowOnlyDeployRole(config: PlatformConfig, env: EnvironmentConfig, secret: secretsmanager.Secret): void {
    const reader = `arn:${this.partition}:iam::${env.account}:role/${names.deployRole(config, env)}`;
    secret.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EnvironmentDeployRoleReads',
        principals: [new iam.ArnPrincipal(reader)],
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: ['*'],
      }),
    );
    secret.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'NoOtherReader',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['*'],
        conditions: { StringNotEquals: { 'aws:PrincipalArn': reader } },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `DeployRoleDecrypts${env.name}`,
        principals: [new iam.ArnPrincipal(reader)],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:SecretARN': `arn:${this.partition}:secretsmanager:${this.region}:${this.account}:secret:${names.clientSecret(config, env)}-*` },
        },
      }),
    );
  }
}
