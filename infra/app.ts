/**
 * The CDK app: every environment's stack and the shared stacks, checked by cdk-nag (AwsSolutions) and our own
 * EKS checks on every synth. `synthInfra` is what `npm run synth` and the `cdk` CLI run; tests use
 * `buildInfraApp` and synthesize once per file.
 */
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dnsZoneInAnotherAccount, publicHosts, type EnvironmentConfig, environmentsInAccount, isMultiAccount, type PlatformConfig } from '../config';
import { EksClusterChecks } from './checks/eks-checks';
import { DnsRecordsRole } from './constructs/dns';
import { environmentRegions, names, primaryImageRegion } from './names';
import { EnvironmentStack } from './stacks/environment-stack';
import { GitHubStack } from './stacks/github-stack';
import { IdentityStack } from './stacks/identity-stack';
import { RegionalStack } from './stacks/regional-stack';
import { RunnerStack } from './stacks/runner-stack';

export interface InfraOptions {
  /** Cloud assembly directory (templates, assets, validation-report.json). */
  readonly outdir: string;
  /**
   * Folder of the bundled Lambda handler.
   * @default <repo>/dist/lambda (written by `npm run build`)
   */
  readonly lambdaCodeDir?: string;
  /**
   * Folder of the bundled database-role bootstrap handler.
   * @default <repo>/dist/database-role (written by `npm run build`)
   */
  readonly databaseRoleCodeDir?: string;
  /**
   * Stacks being created (first deploy, or again after a failed first create): synthesized without the protections
   * that keep a failed create from rolling back cleanly (termination protection, deletion protection of the user pool
   * and of a production database). `npm run deploy:stacks` passes them (context `creating`) from the stacks' state and
   * deploys them once more with the protections on right after a successful create.
   * @default - none: every protection on
   */
  readonly creating?: readonly string[];
}

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

export interface InfraSynthResult {
  readonly stacks: Stack[];
  /** cdk-nag and EKS-check findings that no `Validations.of(...).acknowledge` covers. */
  readonly findings: Finding[];
  /** `findings.length`. */
  readonly unacknowledgedFindings: number;
}

/** Default location of the Lambda bundle: `<repo>/dist/lambda` (this file sits one level below the repo root, in source and in dist/). */
export const DEFAULT_LAMBDA_CODE_DIR = resolve(__dirname, '..', 'dist', 'lambda');
/** Default location of the database-role bootstrap bundle: `<repo>/dist/database-role`. */
export const DEFAULT_DATABASE_ROLE_CODE_DIR = resolve(__dirname, '..', 'dist', 'database-role');

/** Builds the app and every stack, with the validation plugins registered, without synthesizing. */
export function buildInfraApp(config: PlatformConfig, options: InfraOptions): InfraApp {
  const app = new App({
    outdir: options.outdir,
    // aws-cdk-lib's built-in "CloudFormation Validate" plugin is most of the synth cost; cfn-lint covers it
    // (scripts/cfn-lint.sh). The programmatic switch; CDK_VALIDATION=false is the environment equivalent.
    builtinCloudFormationValidation: false,
    analyticsReporting: false,
    // tree.json only feeds the CLI's construct explorer; the validation report builds its own tree in memory.
    treeMetadata: false,
    stackTraces: false,
    context: {
      // Report validation findings in cdk.out/validation-report.json instead of throwing: synthInfra counts them.
      '@aws-cdk/core:failSynthOnValidationErrors': false,
      // Feature flags this app relies on (kept here so tests and the CLI synthesize the same templates).
      '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
      // Multi-account: CloudFormation has no cross-account import, so every reference is weak (Fn::GetStackOutput).
      '@aws-cdk/core:defaultCrossStackReferences': isMultiAccount(config) ? 'weak' : 'strong',
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new EksClusterChecks());

  const lambdaCodeDir = options.lambdaCodeDir ?? DEFAULT_LAMBDA_CODE_DIR;
  const databaseRoleCodeDir = options.databaseRoleCodeDir ?? DEFAULT_DATABASE_ROLE_CODE_DIR;
  const identityRegion = config.identity.region;
  const multiAccount = isMultiAccount(config);
  const creating = new Set(options.creating ?? []);
  // Single account: account-agnostic. Multi-account: the shared stacks in the shared-services account.
  const account = config.sharedServicesAccount ?? config.environments.find((e) => e.account)?.account;
  const envOf = (region: string, acct = account) => (acct ? { region, account: acct } : { region });
  const crossRegion = config.environments.some((e) => e.region !== identityRegion);
  // Across accounts, values travel as weak references (Fn::GetStackOutput, read at deploy time); no custom resources.
  const crossRegionReferences = crossRegion && !multiAccount;

  const identity = new IdentityStack(app, names.identityStack(config), {
    stackName: names.identityStack(config),
    env: envOf(identityRegion),
    config,
    crossRegionReferences,
    crossAccountReaders: multiAccount,
    creating: creating.has(names.identityStack(config)),
    description: `${config.project}: central Cognito user pool and one ALB app client per environment`,
  });
  const github = new GitHubStack(app, names.githubStack(config), {
    stackName: names.githubStack(config),
    env: envOf(identityRegion),
    config,
    identityKey: identity.key,
    environments: multiAccount ? environmentsInAccount(config, account!) : undefined,
    description: `${config.project}: CI OIDC providers (GitHub Actions, and GitLab/Bitbucket when configured), one deploy role per environment and the image push role`,
  });

  // Multi-account: the hosted zone stays in the shared-services account; each environment's external-dns changes its
  // own records there through a role of that account (EKS Pod Identity target role), kept with the account's IAM.
  for (const env of config.environments.filter((e) => dnsZoneInAnotherAccount(config, e))) {
    new DnsRecordsRole(github, `DnsRecords-${env.name}`, {
      roleName: names.dnsRecordsRole(config, env),
      hostedZoneId: config.dns.hostedZoneId,
      hostnames: publicHosts(env.workloads),
      sourceAccount: env.account!,
      sourceRoleArn: `arn:${github.partition}:iam::${env.account}:role/${names.externalDnsRole(config, env)}`,
    });
  }

  // Multi-account: each environment account has its own OIDC provider and deploy role(s), deployed before the
  // identity stack, whose secret and key policies name those roles.
  const accountGithub = new Map<string, GitHubStack>();
  for (const [acct, envs] of environmentAccountGroups(config)) {
    const name = names.accountGithubStack(config, envs);
    const stack = new GitHubStack(app, name, {
      stackName: name,
      env: { account: acct, region: envs[0].region },
      config,
      environments: envs,
      imagePush: false,
      sharedServicesAccount: account,
      description: `${config.project}: GitHub Actions OIDC provider and the deploy role of ${envs.map((e) => e.name).join(', ')} (account ${acct})`,
    });
    identity.addStackDependency(stack, "the client secrets' policies name the environment deploy roles");
    accountGithub.set(acct, stack);
  }

  const regions = environmentRegions(config);
  const primary = primaryImageRegion(config);
  const regional = new Map<string, RegionalStack>();
  for (const region of regions) {
    const pullAccounts = [...new Set(config.environments.filter((e) => e.region === region && e.account && e.account !== account).map((e) => e.account!))];
    regional.set(
      region,
      new RegionalStack(app, names.regionalStack(config, region), {
        stackName: names.regionalStack(config, region),
        env: envOf(region),
        config,
        replicateTo: region === primary ? regions.filter((r) => r !== primary) : [],
        contents: multiAccount ? 'images' : 'all',
        pullAccounts,
        description: multiAccount ? `${config.project}: shared in ${region} (image repository)` : `${config.project}: shared in ${region} (certificate, image repository)`,
      }),
    );
  }

  // Multi-account: an ALB can only use a certificate of its own account, and the operations settings are per account.
  const accountRegional = new Map<string, RegionalStack>();
  if (multiAccount) {
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
          contents: env.account === account ? 'all' : 'environment',
          // The hosted zone is the shared services' (config.dns): CloudFormation cannot write into another account's zone.
          validateInZone: env.account === account,
          description: `${config.project}: ${envs.map((e) => e.name).join(', ')} in ${env.region} (certificate, account operations settings)`,
        }),
      );
    }
  }

  // ECR replication creates a missing destination repository itself (with default settings), after which the replica
  // region's stack fails to create its own with "already exists". Replica regions' shared stacks therefore deploy
  // before the stack that turns replication on (https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html).
  const source = regional.get(primary)!;
  for (const [region, stack] of regional) {
    if (region !== primary) source.addStackDependency(stack, `ECR replicates into ${region}'s repository, which must exist first`);
  }

  const environments = new Map<string, EnvironmentStack>();
  for (const env of config.environments) {
    const envAccount = env.account ?? account;
    const stack = new EnvironmentStack(app, names.environmentStack(config, env), {
      stackName: names.environmentStack(config, env),
      env: envOf(env.region, envAccount),
      config,
      environment: env,
      identity,
      regional: accountRegional.get(`${env.account}/${env.region}`) ?? regional.get(env.region)!,
      imageRegistryAccount: multiAccount ? account : undefined,
      lambdaCodeDir,
      databaseRoleCodeDir,
      crossRegionReferences: !multiAccount && env.region !== identityRegion,
      terminationProtection: env.production && !creating.has(names.environmentStack(config, env)),
      creating: creating.has(names.environmentStack(config, env)),
      description: `${config.project}: environment ${env.name} (${env.region})`,
    });
    // EKS refuses an access entry for a role that does not exist yet; the name alone creates no reference.
    const deployRoles = (envAccount && accountGithub.get(envAccount)) || github;
    stack.addStackDependency(deployRoles, 'access entries name the deploy roles');
    if (multiAccount) {
      // Fn::GetStackOutput reads the shared stacks' outputs when this stack deploys: they must exist by then.
      stack.addStackDependency(identity, 'reads the user pool and client outputs (Fn::GetStackOutput)');
      stack.addStackDependency(regional.get(env.region)!, "pulls from the region's shared image repository");
    }
    environments.set(env.name, stack);
  }

  const runners = new Map<string, RunnerStack>();
  for (const env of config.environments) {
    const environmentStack = environments.get(env.name)!;
    const name = names.runnerStack(config, env);
    const runner = new RunnerStack(app, name, {
      stackName: name,
      env: envOf(env.region, env.account ?? account),
      config,
      environment: env,
      environmentStackName: environmentStack.stackName,
      description: `${config.project}: GitHub Actions runner of ${env.name} (CodeBuild, in its VPC)`,
    });
    runner.addStackDependency(environmentStack, "the runner runs in the environment's VPC (Fn::GetStackOutput)");
    runners.set(env.name, runner);
  }

  const stacks: Stack[] = [identity, github, ...accountGithub.values(), ...regional.values(), ...accountRegional.values(), ...environments.values(), ...runners.values()];
  return { app, stacks, identity, github, accountGithub, regional, accountRegional, environments, runners };
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

/** Synthesizes every stack into `options.outdir` and counts the unacknowledged findings of the validation plugins. */
export function synthInfra(config: PlatformConfig, options: InfraOptions): InfraSynthResult {
  const built = buildInfraApp(config, options);
  const findings = readFindings(built.app.synth().directory);
  return { stacks: built.stacks, findings, unacknowledgedFindings: findings.length };
}

/** One unacknowledged finding of a validation plugin. */
export interface Finding {
  readonly plugin: string;
  readonly rule: string;
  readonly constructPath: string;
  readonly description: string;
}

/**
 * Reads `validation-report.json` (written by aws-cdk-lib when validation plugins run). Acknowledged findings are
 * left out of `violations` there, so every violating construct of every error-severity violation counts.
 */
export function readFindings(assemblyDir: string): Finding[] {
  const file = join(assemblyDir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as ValidationReport;
  const findings: Finding[] = [];
  for (const plugin of report.pluginReports ?? []) {
    for (const violation of plugin.violations ?? []) {
      if (violation.severity && !['error', 'fatal'].includes(violation.severity.toLowerCase())) continue;
      for (const resource of violation.violatingConstructs ?? violation.violatingResources ?? [{}]) {
        findings.push({
          plugin: plugin.summary?.pluginName ?? plugin.pluginName ?? 'unknown',
          rule: violation.ruleName,
          constructPath: resource.constructPath ?? resource.resourceLogicalId ?? '?',
          description: violation.description,
        });
      }
    }
  }
  return findings;
}

interface ValidationReport {
  readonly pluginReports?: {
    readonly pluginName?: string;
    readonly summary?: { readonly pluginName?: string };
    readonly violations?: {
      readonly ruleName: string;
      readonly description: string;
      readonly severity?: string;
      readonly violatingConstructs?: { readonly constructPath?: string; readonly resourceLogicalId?: string }[];
      readonly violatingResources?: { readonly constructPath?: string; readonly resourceLogicalId?: string }[];
    }[];
  }[];
}
