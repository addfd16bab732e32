/**
 * The CDK app: every environment's stack and the shared stacks, checked by cdk-nag (AwsSolutions) and our own
 * EKS checks on every synth. `synthInfra` is what `npm run synth` and the `cdk` CLI run; tests use
 * `buildInfraApp` and synthesize once per file.
 */
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMultiAccount, type PlatformConfig } from '../config';
import { EksClusterChecks } from './checks/eks-checks';
import { buildMultiAccount, buildSingleAccount, type InfraApp, type LayoutInput } from './layouts';

export type { InfraApp } from './layouts';

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

/** Builds the app and every stack of the configuration's account layout, with the validation plugins registered, without synthesizing. */
export function buildInfraApp(config: PlatformConfig, options: InfraOptions): InfraApp {
  const input: LayoutInput = {
    app: newApp(config, options.outdir),
    config,
    lambdaCodeDir: options.lambdaCodeDir ?? DEFAULT_LAMBDA_CODE_DIR,
    databaseRoleCodeDir: options.databaseRoleCodeDir ?? DEFAULT_DATABASE_ROLE_CODE_DIR,
    creating: new Set(options.creating ?? []),
  };
  return isMultiAccount(config) ? buildMultiAccount(input) : buildSingleAccount(input);
}

/** The CDK app with this project's settings and the validation plugins (cdk-nag, our EKS checks). */
function newApp(config: PlatformConfig, outdir: string): App {
  const app = new App({
    outdir,
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
  return app;
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
