import { Duration, ReferenceStrength, RemovalPolicy, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { apiClientCallbackUrl, publicHosts, type EnvironmentConfig, type PlatformConfig, type ThreatProtection, threatProtection } from '../../config';
import { names } from '../names';
import { acknowledge } from '../checks/nag';
import { createPlatformKey } from '../constructs/keys';

const THREAT_PROTECTION_MODE: Readonly<Record<ThreatProtection, cognito.StandardThreatProtectionMode | undefined>> = {
  full: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
  audit: cognito.StandardThreatProtectionMode.AUDIT_ONLY,
  off: undefined,
};

export interface IdentityStackProps extends StackProps {
  readonly config: PlatformConfig;
  /**
   * Multi-account layout: each client secret names, in its resource policy and its key's policy, the one principal
   * that may read it, its environment's deploy role in the environment's account (and denies reading to any other).
   * @default false (single account: the deploy roles' own IAM policies grant the read)
   */
  readonly crossAccountReaders?: boolean;
  /**
   * The stack is being created: the user pool without deletion protection, so a failed create can roll back (delete
   * it) instead of ending in ROLLBACK_FAILED. `npm run deploy:stacks` turns it on right after a successful create.
   * @default false
   */
  readonly creating?: boolean;
}

/** What an environment needs from the central user pool. */
export interface EnvironmentIdentity {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  /** Public app client (no secret, code flow with PKCE) of the browser app that calls the upload API. */
  readonly apiClient: cognito.UserPoolClient;
  /** Secrets Manager secret `{ clientID, clientSecret }` of the environment's ALB app client. */
  readonly clientSecret: secretsmanager.Secret;
}

/**
 * Centralized sign-in in `config.identity.region`: one user pool (strong passwords, MFA with TOTP, threat
 * protection), one hosted domain and, per environment, a confidential ALB app client and a public app client for the
 * browser app that calls the upload API.
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
    const protection = threatProtection(config);
    // The users are data: kept on deletion and replacement, not when the stack's own first create rolls back.
    const removal = anyProduction ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY;

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
      // Threat protection needs the Plus plan (billed per monthly active user); off, the pool uses Essentials.
      featurePlan: protection === 'off' ? cognito.FeaturePlan.ESSENTIALS : cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: THREAT_PROTECTION_MODE[protection],
      deletionProtection: anyProduction && !props.creating,
      removalPolicy: removal,
    });
    acknowledge(this.userPool, {
      ...(protection === 'full'
        ? {}
        : {
            'AwsSolutions-COG3': `Threat protection is "${protection}" by configuration (identity.threatProtection): no production environment, or the Plus plan's per-user price declined`,
          }),
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
    // Every public service's host: the ALB signs in on each (config validation requires at least one).
    const hosts = publicHosts(env.workloads);
    const client = this.userPool.addClient(`AlbClient-${env.name}`, {
      userPoolClientName: `${config.project}-${env.name}-alb`,
      generateSecret: true,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: hosts.map((host) => `https://${host}/oauth2/idpresponse`),
        logoutUrls: hosts.map((host) => `https://${host}/`),
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
      'AwsSolutions-SMG4':
        'The value is owned by Cognito (the app client secret); it changes only by rotating the app client secret in Cognito, which updates this secret on the next deploy',
    });
    const apiClient = this.addApiClient(config, env, hosts);
    // A replaced app client or secret (new ID/ARN) must not be blocked by the environment stack that reads it: weak
    // references (Fn::GetStackOutput) instead of Exports; the environment stack picks the new value up on its next
    // deploy. The user pool itself stays a strong reference: replacing it loses every user, so being blocked is right.
    client.applyCrossStackReferenceStrength(ReferenceStrength.WEAK);
    clientSecret.applyCrossStackReferenceStrength(ReferenceStrength.WEAK);
    apiClient.applyCrossStackReferenceStrength(ReferenceStrength.WEAK);
    if (crossAccountReaders) this.allowOnlyDeployRole(config, env, clientSecret);
    this.clients.set(env.name, { userPool: this.userPool, client, apiClient, clientSecret });
  }

  private addApiClient(config: PlatformConfig, env: EnvironmentConfig, hosts: string[]): cognito.UserPoolClient {
    // The browser app's client: a public client (a browser cannot keep a secret) on the hosted sign-in's
    // authorization code flow, with PKCE on the app's side (RFC 7636; Cognito verifies the code_verifier of a
    // code_challenge it was given). No implicit flow, no password flows: tokens only through the code exchange.
    const apiClient = this.userPool.addClient(`ApiClient-${env.name}`, {
      userPoolClientName: `${config.project}-${env.name}-web`,
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: hosts.map(apiClientCallbackUrl),
        logoutUrls: hosts.map((host) => `https://${host}/`),
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
    });
    // Without ExplicitAuthFlows Cognito also allows SRP and custom auth (password sign-in outside the hosted UI,
    // without MFA prompts of the managed login): only token refresh besides the code flow.
    (apiClient.node.defaultChild as cognito.CfnUserPoolClient).explicitAuthFlows = ['ALLOW_REFRESH_TOKEN_AUTH'];
    return apiClient;
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
