/**
 * The CDK app: every environment's stack and the shared stacks, checked by cdk-nag (AwsSolutions) and our own
 * EKS checks on every synth. `synthInfra` is what `npm run synth` and the `cdk` CLI run; tests use
 * `buildInfraApp` and synthesize once per file.
 */
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PlatformConfig } from '../config';
import { EksClusterChecks } from './checks/eks-checks';
import { environmentRegions, names, primaryImageRegion } from './names';
import { EnvironmentStack } from './stacks/environment-stack';
import { GitHubStack } from './stacks/github-stack';
import { IdentityStack } from './stacks/identity-stack';
import { RegionalStack } from './stacks/regional-stack';

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
}

export interface InfraApp {
  readonly app: App;
  readonly stacks: Stack[];
  readonly identity: IdentityStack;
  readonly github: GitHubStack;
  readonly regional: ReadonlyMap<string, RegionalStack>;
  readonly environments: ReadonlyMap<string, EnvironmentStack>;
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
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new EksClusterChecks());

  const lambdaCodeDir = options.lambdaCodeDir ?? DEFAULT_LAMBDA_CODE_DIR;
  const databaseRoleCodeDir = options.databaseRoleCodeDir ?? DEFAULT_DATABASE_ROLE_CODE_DIR;
  const identityRegion = config.identity.region;
  const account = config.environments.find((e) => e.account)?.account;
  const envOf = (region: string, acct = account) => (acct ? { region, account: acct } : { region });
  const crossRegion = config.environments.some((e) => e.region !== identityRegion);

  const identity = new IdentityStack(app, names.identityStack(config), {
    stackName: names.identityStack(config),
    env: envOf(identityRegion),
    config,
    crossRegionReferences: crossRegion,
    description: `${config.project}: central Cognito user pool and one ALB app client per environment`,
  });
  const github = new GitHubStack(app, names.githubStack(config), {
    stackName: names.githubStack(config),
    env: envOf(identityRegion),
    config,
    identityKey: identity.key,
    description: `${config.project}: CI OIDC providers (GitHub Actions, and GitLab/Bitbucket when configured), one deploy role per environment and the image push role`,
  });

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
        description: `${config.project}: shared in ${region} (certificate, image repository)`,
      }),
    );
  }

  const environments = new Map<string, EnvironmentStack>();
  for (const env of config.environments) {
    const stack = new EnvironmentStack(app, names.environmentStack(config, env), {
      stackName: names.environmentStack(config, env),
      env: envOf(env.region, env.account ?? account),
      config,
      environment: env,
      identity,
      regional: regional.get(env.region)!,
      lambdaCodeDir,
      databaseRoleCodeDir,
      crossRegionReferences: env.region !== identityRegion,
      terminationProtection: env.production,
      description: `${config.project}: environment ${env.name} (${env.region})`,
    });
    // EKS refuses an access entry for a role that does not exist yet; the name alone creates no reference.
    stack.addStackDependency(github, 'access entries name the deploy roles');
    environments.set(env.name, stack);
  }

  const stacks: Stack[] = [identity, github, ...regional.values(), ...environments.values()];
  return { app, stacks, identity, github, regional, environments };
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
