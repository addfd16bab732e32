/**
 * The stacks of the app, one builder per account layout: single account (account-agnostic, strong references) and
 * multi-account (shared services plus environment accounts, weak references). Both add the stacks in the same order
 * (identity, CI, account CI, regional, account regional, environments, runners): the cloud assembly lists them so.
 */
import type { App, Stack } from 'aws-cdk-lib';
import { dnsZoneInAnotherAccount, type EnvironmentConfig, environmentsInAccount, type PlatformConfig, publicHosts } from '../config';
import { DnsRecordsRole } from './constructs/dns';
import { environmentRegions, names, primaryImageRegion } from './names';
import { EnvironmentStack } from './stacks/environment-stack';
import { GitHubStack } from './stacks/github-stack';
import { IdentityStack } from './stacks/identity-stack';
import { RegionalStack } from './stacks/regional-stack';
import { RunnerStack } from './stacks/runner-stack';

export interface InfraApp {
  readonly app: App;
  readonly stacks: Stack[];
  readonly identity: IdentityStack;
  readonly github: GitHubStack;
  /** Multi-account layout: the GitHub stack of each environment account other than the shared-services account. */
  readonly accountGithub: ReadonlyMap<string, GitHubStack>;
  readonly regional: ReadonlyMap<string, RegionalStack>;
  /** Multi-account layout: the certificate and operations stack of each environment account and region (key "<account>/<region>"). */
  readonly accountRegional: ReadonlyMap<string, RegionalStack>;
  readonly environments: ReadonlyMap<string, EnvironmentStack>;
  /** Each environment's GitHub Actions runner (key: environment name). */
  readonly runners: ReadonlyMap<string, RunnerStack>;
}

/** What every layout builder needs: the app to add to, the configuration and the resolved options. */
export interface LayoutInput {
  readonly app: App;
  readonly config: PlatformConfig;
  readonly lambdaCodeDir: string;
  readonly databaseRoleCodeDir: string;
  /** Names of the stacks being created (InfraOptions.creating). */
  readonly creating: ReadonlySet<string>;
}

/** Single account: every stack account-agnostic; values cross regions through CDK's cross-region references. */
export function buildSingleAccount(input: LayoutInput): InfraApp {
  const { app, config } = input;
  const envOf = (region: string) => ({ region });
  const crossRegion = config.environments.some((e) => e.region !== config.identity.region);
  const identity = addIdentityStack(input, envOf, { crossRegionReferences: crossRegion, crossAccountReaders: false });
  const github = addGithubStack(input, envOf, identity, undefined);
  const regional = addRegionalStacks(input, envOf, { contents: 'all', pullAccounts: () => [] });
  const environments = addEnvironmentStacks(input, identity, (env) => ({
    env: envOf(env.region),
    regional: regional.get(env.region)!,
    imageRegistryAccount: undefined,
    crossRegionReferences: env.region !== config.identity.region,
    dependencies: [[github, 'access entries name the deploy roles']],
  }));
  const runners = addRunnerStacks(input, environments, envOf);
  const none = new Map<string, never>();
  const stacks: Stack[] = [identity, github, ...regional.values(), ...environments.values(), ...runners.values()];
  return { app, stacks, identity, github, accountGithub: none, regional, accountRegional: none, environments, runners };
}

/**
 * Multi-account: the shared stacks in the shared-services account, each environment account with its own CI stack and
 * certificate stack; every cross-stack value a weak reference (Fn::GetStackOutput), so no custom resources.
 */
export function buildMultiAccount(input: LayoutInput): InfraApp {
  const { app, config } = input;
  const account = config.sharedServicesAccount ?? config.environments.find((e) => e.account)?.account;
  const envOf = (region: string, acct = account) => (acct ? { region, account: acct } : { region });
  const identity = addIdentityStack(input, envOf, { crossRegionReferences: false, crossAccountReaders: true });
  const github = addGithubStack(input, envOf, identity, environmentsInAccount(config, account!));
  addDnsRecordsRoles(config, github);
  const accountGithub = addAccountGithubStacks(input, identity, account);
  const pullAccounts = (region: string) => [...new Set(config.environments.filter((e) => e.region === region && e.account && e.account !== account).map((e) => e.account!))];
  const regional = addRegionalStacks(input, envOf, { contents: 'images', pullAccounts });
  const accountRegional = addAccountRegionalStacks(input, account);
  const environments = addEnvironmentStacks(input, identity, (env) => {
    const envAccount = env.account ?? account;
    return {
      env: envOf(env.region, envAccount),
      regional: accountRegional.get(`${env.account}/${env.region}`) ?? regional.get(env.region)!,
      imageRegistryAccount: account,
      crossRegionReferences: false,
      dependencies: [
        [(envAccount && accountGithub.get(envAccount)) || github, 'access entries name the deploy roles'],
        // Fn::GetStackOutput reads the shared stacks' outputs when this stack deploys: they must exist by then.
        [identity, 'reads the user pool and client outputs (Fn::GetStackOutput)'],
        [regional.get(env.region)!, "pulls from the region's shared image repository"],
      ],
    };
  });
  const runners = addRunnerStacks(input, environments, (region, env) => envOf(region, env.account ?? account));
  const stacks: Stack[] = [identity, github, ...accountGithub.values(), ...regional.values(), ...accountRegional.values(), ...environments.values(), ...runners.values()];
  return { app, stacks, identity, github, accountGithub, regional, accountRegional, environments, runners };
}

type EnvOf = (region: string) => { region: string; account?: string };

function addIdentityStack({ app, config, creating }: LayoutInput, envOf: EnvOf, references: { crossRegionReferences: boolean; crossAccountReaders: boolean }): IdentityStack {
  const name = names.identityStack(config);
  return new IdentityStack(app, name, {
    stackName: name,
    env: envOf(config.identity.region),
    config,
    ...references,
    creating: creating.has(name),
    description: `${config.project}: central Cognito user pool and one ALB app client per environment`,
  });
}

/** The shared CI stack; `environments`: the deploy roles it holds (default: every environment's). */
function addGithubStack({ app, config }: LayoutInput, envOf: EnvOf, identity: IdentityStack, environments: EnvironmentConfig[] | undefined): GitHubStack {
  return new GitHubStack(app, names.githubStack(config), {
    stackName: names.githubStack(config),
    env: envOf(config.identity.region),
    config,
    identityKey: identity.key,
    environments,
    description: `${config.project}: CI OIDC providers (GitHub Actions, and GitLab/Bitbucket when configured), one deploy role per environment and the image push role`,
  });
}

/**
 * Multi-account: the hosted zone stays in the shared-services account; each environment's external-dns changes its
 * own records there through a role of that account (EKS Pod Identity target role), kept with the account's IAM.
 */
function addDnsRecordsRoles(config: PlatformConfig, github: GitHubStack): void {
  for (const env of config.environments.filter((e) => dnsZoneInAnotherAccount(config, e))) {
    new DnsRecordsRole(github, `DnsRecords-${env.name}`, {
      roleName: names.dnsRecordsRole(config, env),
      hostedZoneId: config.dns.hostedZoneId,
      hostnames: publicHosts(env.workloads),
      sourceAccount: env.account!,
      sourceRoleArn: `arn:${github.partition}:iam::${env.account}:role/${names.externalDnsRole(config, env)}`,
    });
  }
}

/**
 * Multi-account: each environment account has its own OIDC provider and deploy role(s), deployed before the
 * identity stack, whose secret and key policies name those roles.
 */
function addAccountGithubStacks({ app, config }: LayoutInput, identity: IdentityStack, sharedServicesAccount: string | undefined): Map<string, GitHubStack> {
  const accountGithub = new Map<string, GitHubStack>();
  for (const [acct, envs] of environmentAccountGroups(config)) {
    const name = names.accountGithubStack(config, envs);
    const stack = new GitHubStack(app, name, {
      stackName: name,
      env: { account: acct, region: envs[0].region },
      config,
      environments: envs,
      imagePush: false,
      sharedServicesAccount,
      description: `${config.project}: GitHub Actions OIDC provider and the deploy role of ${envs.map((e) => e.name).join(', ')} (account ${acct})`,
    });
    identity.addStackDependency(stack, "the client secrets' policies name the environment deploy roles");
    accountGithub.set(acct, stack);
  }
  return accountGithub;
}

/** Multi-account layout: the environment accounts other than the shared-services account, each with its environments. */
function environmentAccountGroups(config: PlatformConfig): Map<string, EnvironmentConfig[]> {
  const groups = new Map<string, EnvironmentConfig[]>();
  for (const env of config.environments) {
    if (!env.account || env.account === config.sharedServicesAccount) continue;
    groups.set(env.account, [...(groups.get(env.account) ?? []), env]);
  }
  return groups;
}

/** The shared stack of each environment region: image repository (replicated from the primary), and the certificate with `contents: 'all'`. */
function addRegionalStacks(
  { app, config }: LayoutInput,
  envOf: EnvOf,
  layout: { contents: 'all' | 'images'; pullAccounts: (region: string) => string[] },
): Map<string, RegionalStack> {
  const regions = environmentRegions(config);
  const primary = primaryImageRegion(config);
  const regional = new Map<string, RegionalStack>();
  for (const region of regions) {
    regional.set(
      region,
      new RegionalStack(app, names.regionalStack(config, region), {
        stackName: names.regionalStack(config, region),
        env: envOf(region),
        config,
        replicateTo: region === primary ? regions.filter((r) => r !== primary) : [],
        contents: layout.contents,
        pullAccounts: layout.pullAccounts(region),
        description:
          layout.contents === 'images' ? `${config.project}: shared in ${region} (image repository)` : `${config.project}: shared in ${region} (certificate, image repository)`,
      }),
    );
  }
  // ECR replication creates a missing destination repository itself (with default settings), after which the replica
  // region's stack fails to create its own with "already exists". Replica regions' shared stacks therefore deploy
  // before the stack that turns replication on (https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html).
  const source = regional.get(primary)!;
  for (const [region, stack] of regional) {
    if (region !== primary) source.addStackDependency(stack, `ECR replicates into ${region}'s repository, which must exist first`);
  }
  return regional;
}

/** Multi-account: an ALB can only use a certificate of its own account, and the operations settings are per account. */
function addAccountRegionalStacks({ app, config }: LayoutInput, sharedServicesAccount: string | undefined): Map<string, RegionalStack> {
  const accountRegional = new Map<string, RegionalStack>();
  for (const env of config.environments) {
    const key = `${env.account}/${env.region}`;
    if (accountRegional.has(key)) continue;
    const envs = config.environments.filter((e) => e.account === env.account && e.region === env.region);
    const name = names.accountRegionalStack(config, envs, env.region);
    accountRegional.set(
      key,
      new RegionalStack(app, name, {
        stackName: name,
        env: { account: env.account!, region: env.region },
        config,
        replicateTo: [],
        contents: env.account === sharedServicesAccount ? 'all' : 'environment',
        // The hosted zone is the shared services' (config.dns): CloudFormation cannot write into another account's zone.
        validateInZone: env.account === sharedServicesAccount,
        description: `${config.project}: ${envs.map((e) => e.name).join(', ')} in ${env.region} (certificate, account operations settings)`,
      }),
    );
  }
  return accountRegional;
}

/** Where an environment's stack goes and what it reads, as its layout decides. */
interface EnvironmentPlacement {
  readonly env: { region: string; account?: string };
  readonly regional: RegionalStack;
  readonly imageRegistryAccount: string | undefined;
  readonly crossRegionReferences: boolean;
  /** Stacks deployed first, each with the reason. */
  readonly dependencies: readonly (readonly [Stack, string])[];
}

function addEnvironmentStacks(
  { app, config, creating, lambdaCodeDir, databaseRoleCodeDir }: LayoutInput,
  identity: IdentityStack,
  placement: (env: EnvironmentConfig) => EnvironmentPlacement,
): Map<string, EnvironmentStack> {
  const environments = new Map<string, EnvironmentStack>();
  for (const env of config.environments) {
    const place = placement(env);
    const name = names.environmentStack(config, env);
    const stack = new EnvironmentStack(app, name, {
      stackName: name,
      env: place.env,
      config,
      environment: env,
      identity,
      regional: place.regional,
      imageRegistryAccount: place.imageRegistryAccount,
      lambdaCodeDir,
      databaseRoleCodeDir,
      crossRegionReferences: place.crossRegionReferences,
      terminationProtection: env.production && !creating.has(name),
      creating: creating.has(name),
      description: `${config.project}: environment ${env.name} (${env.region})`,
    });
    // EKS refuses an access entry for a role that does not exist yet; the name alone creates no reference.
    for (const [dependency, reason] of place.dependencies) stack.addStackDependency(dependency, reason);
    environments.set(env.name, stack);
  }
  return environments;
}

function addRunnerStacks(
  { app, config }: LayoutInput,
  environments: ReadonlyMap<string, EnvironmentStack>,
  envOf: (region: string, env: EnvironmentConfig) => { region: string; account?: string },
): Map<string, RunnerStack> {
  const runners = new Map<string, RunnerStack>();
  for (const env of config.environments) {
    const environmentStack = environments.get(env.name)!;
    const name = names.runnerStack(config, env);
    const runner = new RunnerStack(app, name, {
      stackName: name,
      env: envOf(env.region, env),
      config,
      environment: env,
      environmentStackName: environmentStack.stackName,
      description: `${config.project}: GitHub Actions runner of ${env.name} (CodeBuild, in its VPC)`,
    });
    runner.addStackDependency(environmentStack, "the runner runs in the environment's VPC (Fn::GetStackOutput)");
    runners.set(env.name, runner);
  }
  return runners;
}
