/**
 * The multi-account example (config/examples/multi-account.ts) synthesized offline: where every stack lands, what
 * crosses accounts and how, and who may pull images and read the client secrets.
 */
import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicHosts } from '../../config';
import { MULTI_ACCOUNT_EXAMPLE_ACCOUNTS as ACCOUNTS, identityCenterAdminRoleArn, multiAccountConfig } from '../../config/examples/multi-account';
import { type Finding } from '../../infra/app';
import { deployStacksCommand } from '../../scripts/deploy-stacks';
import { multiAccountPlatform, type Platform } from './helpers';

type Json = Record<string, any>;
let assembly: Platform;
let findings: Finding[];
const templates = new Map<string, Json>();
let environments: Record<string, string>;

beforeAll(() => {
  // The assembly stateful-logical-ids.test.ts reads too: synthesized once for both.
  assembly = multiAccountPlatform();
  findings = assembly.findings;
  const manifest = JSON.parse(readFileSync(join(assembly.dir, 'manifest.json'), 'utf8'));
  environments = Object.fromEntries(
    Object.entries<Json>(manifest.artifacts)
      .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
      .map(([name, artifact]) => [name, artifact.environment]),
  );
  for (const name of Object.keys(environments)) templates.set(name, assembly.json(name));
  expect(manifest.missing).toBeUndefined(); // no context lookup: synth stays offline with explicit accounts
});

const resources = (stack: string, type: string): Json[] => Object.values<Json>(templates.get(stack)!.Resources).filter((r) => r.Type === type);
/** `{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::…"]]}` → "arn:aws:iam::…". */
const arn = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const join = (value as Json)['Fn::Join'];
  return join[1].map((part: unknown) => (typeof part === 'string' ? part : (part as Json).Ref === 'AWS::Partition' ? 'aws' : JSON.stringify(part))).join('');
};
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

describe('multi-account example', () => {
  test("each cluster's admin entry names its account's IAM Identity Center role by its full ARN, path included", () => {
    for (const env of ['dev', 'staging', 'prod'] as const) {
      const principals = resources(`platform-${env}`, 'AWS::EKS::AccessEntry').map((e) => e.Properties.PrincipalArn);
      expect(principals).toContain(identityCenterAdminRoleArn(ACCOUNTS[env]));
      expect(identityCenterAdminRoleArn(ACCOUNTS[env])).toContain(`:${ACCOUNTS[env]}:role/aws-reserved/sso.amazonaws.com/`);
    }
  });

  test('every stack is pinned to its account and region', () => {
    const shared = ACCOUNTS.shared;
    expect(environments).toEqual({
      'platform-identity': `aws://${shared}/eu-west-1`,
      'platform-github': `aws://${shared}/eu-west-1`,
      'platform-shared-eu-west-1': `aws://${shared}/eu-west-1`,
      'platform-shared-eu-central-1': `aws://${shared}/eu-central-1`,
      'platform-github-dev': `aws://${ACCOUNTS.dev}/eu-west-1`,
      'platform-github-staging': `aws://${ACCOUNTS.staging}/eu-west-1`,
      'platform-github-prod': `aws://${ACCOUNTS.prod}/eu-central-1`,
      'platform-dev-eu-west-1': `aws://${ACCOUNTS.dev}/eu-west-1`,
      'platform-staging-eu-west-1': `aws://${ACCOUNTS.staging}/eu-west-1`,
      'platform-prod-eu-central-1': `aws://${ACCOUNTS.prod}/eu-central-1`,
      'platform-dev': `aws://${ACCOUNTS.dev}/eu-west-1`,
      'platform-staging': `aws://${ACCOUNTS.staging}/eu-west-1`,
      'platform-prod': `aws://${ACCOUNTS.prod}/eu-central-1`,
      'platform-dev-runner': `aws://${ACCOUNTS.dev}/eu-west-1`,
      'platform-staging-runner': `aws://${ACCOUNTS.staging}/eu-west-1`,
      'platform-prod-runner': `aws://${ACCOUNTS.prod}/eu-central-1`,
    });
  });

  test('cdk-nag and our EKS checks find nothing unacknowledged', () => {
    expect(findings).toEqual([]);
  });

  test('no Fn::ImportValue anywhere: values cross accounts as Fn::GetStackOutput with a role of the producer account', () => {
    for (const template of templates.values()) expect(JSON.stringify(template)).not.toContain('Fn::ImportValue');
    const prod = JSON.stringify(templates.get('platform-prod'));
    const reads = [...prod.matchAll(/"Fn::GetStackOutput":\{"StackName":"([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(reads)).toEqual(new Set(['platform-identity', 'platform-prod-eu-central-1']));
    // The identity stack's reader role trusts exactly the environment stacks' CloudFormation execution roles.
    const [reader] = resources('platform-identity', 'AWS::IAM::Role').filter((r) => String(r.Properties.RoleName).includes('GetStackOutputRole'));
    const trusted = list(reader.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS).map((p: Json) => p['Fn::Sub']);
    expect(trusted.sort()).toEqual(
      (['dev', 'staging', 'prod'] as const)
        .map((env) => {
          const region = env === 'prod' ? 'eu-central-1' : 'eu-west-1';
          return `arn:\${AWS::Partition}:iam::${ACCOUNTS[env]}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNTS[env]}-${region}`;
        })
        .sort(),
    );
  });

  test('environment outputs never hold Fn::GetStackOutput (CloudFormation refuses it there): relayed through an SSM parameter', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const template = templates.get(`platform-${env}`)!;
      expect(JSON.stringify(template.Outputs)).not.toContain('GetStackOutput');
      expect(resources(`platform-${env}`, 'AWS::SSM::Parameter').map((r) => r.Properties.Name)).toContain(`/platform/${env}/shared-values`);
      expect(template.Outputs.imageRepositoryUri.Value['Fn::Join'][1][0]).toMatch(new RegExp(`^${ACCOUNTS.shared}\\.dkr\\.ecr\\.`));
    }
  });

  test("each shared repository (source and replica) lets exactly the accounts of its region's environments pull", () => {
    const pullers = (stack: string) => {
      const [repository] = resources(stack, 'AWS::ECR::Repository');
      const statements = repository.Properties.RepositoryPolicyText.Statement;
      expect(statements.every((s: Json) => s.Effect === 'Allow' && !s.Action.some((a: string) => /Put|Upload|Delete|\*/.test(a)))).toBe(true);
      return statements.flatMap((s: Json) => list(s.Principal.AWS).map(arn)).sort();
    };
    expect(pullers('platform-shared-eu-west-1')).toEqual([`arn:aws:iam::${ACCOUNTS.dev}:root`, `arn:aws:iam::${ACCOUNTS.staging}:root`]);
    expect(pullers('platform-shared-eu-central-1')).toEqual([`arn:aws:iam::${ACCOUNTS.prod}:root`]);
    // Replication stays inside the shared-services registry.
    const [replication] = resources('platform-shared-eu-west-1', 'AWS::ECR::ReplicationConfiguration');
    expect(replication.Properties.ReplicationConfiguration.Rules[0].Destinations).toEqual([{ Region: 'eu-central-1', RegistryId: ACCOUNTS.shared }]);
  });

  test("each client secret is readable only by its environment's deploy role (secret policy and key policy)", () => {
    const secrets = resources('platform-identity', 'AWS::SecretsManager::Secret');
    const policies = resources('platform-identity', 'AWS::SecretsManager::ResourcePolicy');
    expect(policies).toHaveLength(3);
    const logicalIdOf = (secret: Json) => Object.entries<Json>(templates.get('platform-identity')!.Resources).find(([, r]) => r === secret)![0];
    for (const env of ['dev', 'staging', 'prod'] as const) {
      const role = `arn:aws:iam::${ACCOUNTS[env]}:role/platform-${env}-github-deploy`;
      const secret = secrets.find((s) => s.Properties.Name === `platform/${env}/alb-oidc-client`)!;
      const policy = policies.find((p) => p.Properties.SecretId.Ref === logicalIdOf(secret))!;
      const [allow, deny] = policy.Properties.ResourcePolicy.Statement;
      expect(allow).toMatchObject({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] });
      expect(arn(allow.Principal.AWS)).toBe(role);
      expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'secretsmanager:GetSecretValue' });
      expect(arn(deny.Condition.StringNotEquals['aws:PrincipalArn'])).toBe(role);
    }
    const [key] = resources('platform-identity', 'AWS::KMS::Key');
    const decrypters = key.Properties.KeyPolicy.Statement.filter((s: Json) => String(s.Sid).startsWith('DeployRoleDecrypts'));
    expect(decrypters.map((s: Json) => [arn(s.Principal.AWS), s.Condition.StringLike['kms:EncryptionContext:SecretARN']])).toEqual(
      (['dev', 'staging', 'prod'] as const).map((env) => [
        `arn:aws:iam::${ACCOUNTS[env]}:role/platform-${env}-github-deploy`,
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:eu-west-1:${ACCOUNTS.shared}:secret:platform/${env}/alb-oidc-client-*`]] },
      ]),
    );
  });

  test("one GitHub OIDC provider per account, each holding only that account's roles", () => {
    const rolesIn = (stack: string) =>
      resources(stack, 'AWS::IAM::Role')
        .map((r) => r.Properties.RoleName)
        .filter(Boolean)
        .sort();
    const byAccount = new Map<string, string[]>();
    for (const name of Object.keys(environments)) {
      const account = assembly.stack(name).account!;
      for (const _ of resources(name, 'AWS::IAM::OIDCProvider').filter((p) => p.Properties.Url === 'https://token.actions.githubusercontent.com'))
        byAccount.set(account, [...(byAccount.get(account) ?? []), name]);
    }
    expect(Object.fromEntries(byAccount)).toEqual({
      [ACCOUNTS.shared]: ['platform-github'],
      [ACCOUNTS.dev]: ['platform-github-dev'],
      [ACCOUNTS.staging]: ['platform-github-staging'],
      [ACCOUNTS.prod]: ['platform-github-prod'],
    });
    // Besides CI's roles, the shared account's IAM holds the records role of each environment's external-dns.
    expect(rolesIn('platform-github')).toEqual([
      'platform-dev-dns-records',
      'platform-github-image-push',
      'platform-github-shared-deploy',
      'platform-prod-dns-records',
      'platform-staging-dns-records',
    ]);
    for (const env of ['dev', 'staging', 'prod']) expect(rolesIn(`platform-github-${env}`)).toEqual([`platform-${env}-github-deploy`]);
  });

  test("a deploy role assumes only its own account's CDK bootstrap roles, in its own region, and reads only its own secret", () => {
    for (const env of ['dev', 'staging', 'prod'] as const) {
      const region = env === 'prod' ? 'eu-central-1' : 'eu-west-1';
      const [policy] = resources(`platform-github-${env}`, 'AWS::IAM::Policy');
      const statement = (sid: string) => policy.Properties.PolicyDocument.Statement.find((s: Json) => s.Sid === sid);
      expect(list(statement('CdkBootstrapRoles').Resource).map(arn)).toEqual([`arn:aws:iam::${ACCOUNTS[env]}:role/cdk-*-${ACCOUNTS[env]}-${region}`]);
      expect(arn(statement('ReadAlbClientSecret').Resource)).toBe(`arn:aws:secretsmanager:eu-west-1:${ACCOUNTS.shared}:secret:platform/${env}/alb-oidc-client-*`);
      expect(arn(statement('InspectImage').Resource)).toBe(`arn:aws:ecr:${region}:${ACCOUNTS.shared}:repository/platform/web`);
      const [role] = resources(`platform-github-${env}`, 'AWS::IAM::Role');
      expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']).toEqual([
        `repo:example-org/platform:environment:${env}`,
      ]);
    }
  });

  test("external-dns changes its records in the shared account's zone through a records role there, trusted by exactly its environment's role", () => {
    const zone = `arn:aws:route53:::hostedzone/${multiAccountConfig.dns.hostedZoneId}`;
    for (const env of multiAccountConfig.environments) {
      const stack = `platform-${env.name}`;
      const source = `arn:aws:iam::${env.account}:role/platform-${env.name}-external-dns`;
      const target = `arn:aws:iam::${ACCOUNTS.shared}:role/platform-${env.name}-dns-records`;
      // The environment side: Pod Identity hands external-dns the target role's credentials; its own role may only assume it.
      const [association] = resources(stack, 'AWS::EKS::PodIdentityAssociation').filter((a) => a.Properties.ServiceAccount === 'external-dns');
      expect(arn(association.Properties.TargetRoleArn)).toBe(target);
      const roleId = association.Properties.RoleArn['Fn::GetAtt'][0];
      expect(templates.get(stack)!.Resources[roleId].Properties.RoleName).toBe(`platform-${env.name}-external-dns`);
      const sourcePolicies = resources(stack, 'AWS::IAM::Policy').filter((p) => p.Properties.Roles.some((r: Json) => r.Ref === roleId));
      expect(sourcePolicies.flatMap((p) => p.Properties.PolicyDocument.Statement).map((st: Json) => [st.Action, arn(st.Resource)])).toEqual([
        [['sts:AssumeRole', 'sts:TagSession'], target],
      ]);
      expect(JSON.stringify(templates.get(stack))).not.toContain('route53:ChangeResourceRecordSets');
      // The shared side: trusted by that one role of that one account; only that environment's hostname records.
      const [records] = resources('platform-github', 'AWS::IAM::Role').filter((r) => r.Properties.RoleName === `platform-${env.name}-dns-records`);
      const trust = list(records.Properties.AssumeRolePolicyDocument.Statement);
      expect(trust.map((st: Json) => [st.Action, arn(st.Principal.AWS), arn(st.Condition.ArnEquals['aws:PrincipalArn'])])).toEqual([
        ['sts:AssumeRole', `arn:aws:iam::${env.account}:root`, source],
        ['sts:TagSession', `arn:aws:iam::${env.account}:root`, source],
      ]);
      const recordsId = Object.entries<Json>(templates.get('platform-github')!.Resources).find(([, r]) => r === records)![0];
      const [policy] = resources('platform-github', 'AWS::IAM::Policy').filter((p) => p.Properties.Roles.some((r: Json) => r.Ref === recordsId));
      const change = policy.Properties.PolicyDocument.Statement.find((st: Json) => st.Action === 'route53:ChangeResourceRecordSets');
      expect(arn(change.Resource)).toBe(zone);
      expect(change.Condition['ForAllValues:StringLike']['route53:ChangeResourceRecordSetsNormalizedRecordNames']).toEqual(
        publicHosts(env.workloads).flatMap((host) => [host, `*-${host}`]),
      );
    }
  });

  test("certificates live in each environment account (an ALB cannot use another account's), none in the shared account", () => {
    expect(resources('platform-shared-eu-west-1', 'AWS::CertificateManager::Certificate')).toHaveLength(0);
    for (const stack of ['platform-dev-eu-west-1', 'platform-staging-eu-west-1', 'platform-prod-eu-central-1']) {
      expect(resources(stack, 'AWS::CertificateManager::Certificate')).toHaveLength(1);
      expect(resources(stack, 'AWS::ObservabilityAdmin::TelemetryEnrichment')).toHaveLength(1);
    }
  });
});

describe('workflows in the multi-account layout', () => {
  // The same workflows serve both layouts: each job's role comes from its GitHub Environment, whose variable names a
  // role in that Environment's account (docs/multi-account.md, setup step 5).
  const workflow = (file: string): Json => load(readFileSync(join(__dirname, '..', '..', '.github', 'workflows', file), 'utf8')) as Json;
  const credentials = (job: Json) => job.steps.find((s: Json) => String(s.uses).startsWith('aws-actions/configure-aws-credentials@'))?.with;

  test("the environment deploy assumes its own Environment's role and pulls from the registry account", () => {
    const job = workflow('deploy.yml').jobs.deploy;
    expect(job.environment.name).toBe('${{ inputs.environment }}');
    expect(credentials(job)['role-to-assume']).toBe('${{ vars.DEPLOY_ROLE_ARN }}');
    const deploy = job.steps.find((s: Json) => String(s.run).startsWith('exec npm run deploy:built -- '));
    expect(deploy.env.REGISTRY).toMatch(/^\$\{\{ vars\.IMAGE_REGISTRY_ACCOUNT \|\| steps\.aws\.outputs\.aws-account-id \}\}\.dkr\.ecr\./);
  });

  /**
   * The one role a GitHub Environment may assume (the roles whose trust names `environment:<name>`), where it lives and
   * which regions' CDK bootstrap roles of its own account it may use.
   */
  const roleOfEnvironment = (environment: string) => {
    const found = [...templates.entries()].flatMap(([stack, template]) =>
      Object.entries<Json>(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::IAM::Role')
        .filter(([, r]) =>
          list(r.Properties.AssumeRolePolicyDocument.Statement).some((st: Json) =>
            list(st.Condition?.StringEquals?.['token.actions.githubusercontent.com:sub'] ?? []).includes(`repo:example-org/platform:environment:${environment}`),
          ),
        )
        .map(([id, r]) => ({ stack, id, name: r.Properties.RoleName as string })),
    );
    expect([environment, found.length]).toEqual([environment, 1]);
    const [{ stack, id, name }] = found;
    const policies = resources(stack, 'AWS::IAM::Policy').filter((p) => p.Properties.Roles.some((r: Json) => r.Ref === id));
    const bootstrap = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((st: Json) => st.Sid === 'CdkBootstrapRoles')
      .flatMap((st: Json) => list(st.Resource).map(arn));
    return { stack, name, account: assembly.stack(stack).account, bootstrap };
  };
  /** The stacks a `deploy:stacks` command line deploys. */
  const deployedBy = (args: string[]) => deployStacksCommand(['--config', 'multi-account', ...args]).filter((a) => a.startsWith('platform-'));

  test.each(['dev', 'staging', 'prod'] as const)(
    "%s: the deploy job's Environment role is the environment's deploy role in its own account, and it can deploy every stack the job deploys",
    (env) => {
      const role = roleOfEnvironment(env);
      expect(role).toMatchObject({ stack: `platform-github-${env}`, name: `platform-${env}-github-deploy`, account: ACCOUNTS[env] });
      const stacks = deployedBy(['--env', env]);
      expect(stacks.slice(-2)).toEqual([`platform-${env}`, `platform-${env}-runner`]);
      for (const stack of stacks) {
        const { account, region } = assembly.stack(stack);
        expect([stack, account]).toEqual([stack, ACCOUNTS[env]]);
        expect([stack, role.bootstrap]).toEqual([stack, [`arn:aws:iam::${account}:role/cdk-*-${account}-${region}`]]);
      }
    },
  );

  test('deploy-shared: the "shared" Environment role is the shared account\'s, and it can deploy every shared stack', () => {
    const role = roleOfEnvironment('shared');
    expect(role).toMatchObject({ stack: 'platform-github', name: 'platform-github-shared-deploy', account: ACCOUNTS.shared });
    const stacks = deployedBy(['--shared']);
    expect(stacks.sort()).toEqual(['platform-github', 'platform-identity', 'platform-shared-eu-central-1', 'platform-shared-eu-west-1']);
    for (const stack of stacks) {
      const { account, region } = assembly.stack(stack);
      expect([stack, account]).toEqual([stack, ACCOUNTS.shared]);
      expect(role.bootstrap).toContain(`arn:aws:iam::${ACCOUNTS.shared}:role/cdk-*-${ACCOUNTS.shared}-${region}`);
    }
    expect(role.bootstrap.every((r) => r.includes(`::${ACCOUNTS.shared}:`))).toBe(true);
  });

  test('the deploy and shared jobs run in those Environments and assume their DEPLOY_ROLE_ARN', () => {
    const deploy = workflow('deploy.yml').jobs.deploy;
    const shared = workflow('deploy-shared.yml').jobs.deploy;
    expect([deploy.environment.name, credentials(deploy)['role-to-assume']]).toEqual(['${{ inputs.environment }}', '${{ vars.DEPLOY_ROLE_ARN }}']);
    expect([shared.environment.name, credentials(shared)['role-to-assume']]).toEqual(['shared', '${{ vars.DEPLOY_ROLE_ARN }}']);
    for (const env of ['dev', 'staging', 'prod']) expect(workflow(`deploy-${env}.yml`).jobs.deploy.with.environment).toBe(env);
  });

  test('the image push runs in the "images" Environment with the shared account\'s push role', () => {
    expect(roleOfEnvironment('images')).toMatchObject({ stack: 'platform-github', name: 'platform-github-image-push', account: ACCOUNTS.shared });
    const job = workflow('build-scan.yml').jobs.push;
    expect(job.environment).toBe('images');
    expect(credentials(job)['role-to-assume']).toBe('${{ vars.ECR_PUSH_ROLE_ARN }}');
  });
});
