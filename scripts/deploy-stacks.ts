/**
 * `npm run deploy:stacks -- --config <name> --env <name> [--without-runner] [--outputs-file <file>]` deploys what an
 * environment's delivery deploys: its account's stacks (multi-account layout), its own stack and its GitHub Actions
 * runner's stack (`--without-runner`: the other CI systems, whose runners are their own). `--shared` instead deploys
 * the shared stacks (identity, GitHub, shared-<region>; deploy-shared.yml). Always `cdk deploy --exclusively`, with the
 * configuration passed to the CDK app (`-c config=<name>`), so every workflow and pipeline selects the stacks of
 * the configuration it deploys from one place. `--print` prints the cdk command line instead of running it.
 *
 * Before deploying, it reads the stacks' state (CloudFormation DescribeStacks, scripts/stack-state.ts):
 * - a protected stack (the identity stack, a production environment's stack) that was never created successfully
 *   is deployed without its protections (context `creating`: termination protection, deletion protection of the
 *   user pool and of the database), so a failed create rolls back cleanly and can simply be run again; right after
 *   a successful create the same stacks are deployed once more with the protections on;
 * - a stack in ROLLBACK_FAILED or DELETE_FAILED is refused (exit 2) with the step that clears it;
 * - the runner stack needs the account and region's GitHub source credential for CodeBuild: without one, refused
 *   (exit 2) with the step to take (scripts/runner-connection.ts).
 * Every environment stack gets a new SharedValuesNonce, so it re-reads the shared stacks' outputs on each deploy.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { ConfigError, type EnvironmentConfig, type PlatformConfig, validatePlatformConfig } from '../config';
import { configurationFromArgs } from '../config/configurations';
import { environmentDeliveryStackNames, names, protectedStacks, SHARED_VALUES_NONCE, sharedStackNames } from '../infra/names';
import { checkRunnerConnection } from './runner-connection';
import { type StackState, readStackState } from './stack-state';

/** A command line the script cannot run, or a state it must not deploy over (exit 2); the message says what to do. */
export class UsageError extends Error {}

const USAGE = `Usage: npm run deploy:stacks -- [--config <name>] (--env <name> [--without-runner] | --shared) [--outputs-file <file>] [--print]`;

/** What one run deploys. */
export interface DeployStacksPlan {
  readonly configName: string;
  readonly config: PlatformConfig;
  /** In deployment order (the CLI follows the dependencies between them). */
  readonly stacks: readonly string[];
  /** The environment delivered (none with --shared). */
  readonly environment?: EnvironmentConfig;
  /** The GitHub Actions runner stack, when this run deploys it. */
  readonly runnerStack?: string;
  readonly outputsFile?: string;
  readonly print: boolean;
}

/** What the stacks' state adds to the cdk command line. */
export interface DeployState {
  /** Protected stacks never created successfully: synthesized without their protections (context `creating`). */
  readonly creating: readonly string[];
  /** The value of every environment stack's SharedValuesNonce parameter. @default none passed */
  readonly sharedValuesNonce?: string;
}

/** Parses the command line; throws UsageError (or ConfigError for the configuration) naming what is wrong. */
export function planDeployStacks(argv: readonly string[]): DeployStacksPlan {
  const selected = configurationFromArgs(argv);
  const config = validatePlatformConfig(selected.config);
  let values;
  try {
    values = parseArgs({
      args: selected.rest,
      strict: true,
      allowPositionals: false,
      options: {
        env: { type: 'string' },
        shared: { type: 'boolean' },
        'without-runner': { type: 'boolean' },
        'outputs-file': { type: 'string' },
        print: { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  if ((values.env === undefined) === !values.shared) throw new UsageError(`give exactly one of --env <name> and --shared\n${USAGE}`);
  const common = { configName: selected.name, config, outputsFile: values['outputs-file'], print: values.print ?? false };
  if (values.shared) {
    if (values['without-runner']) throw new UsageError(`--without-runner goes with --env (the shared stacks have no runner)\n${USAGE}`);
    return { ...common, stacks: sharedStackNames(config) };
  }
  const env = config.environments.find((e) => e.name === values.env);
  if (!env) {
    throw new UsageError(
      `unknown environment ${JSON.stringify(values.env)} in configuration "${selected.name}"; allowed: ${config.environments.map((e) => `"${e.name}"`).join(', ')}`,
    );
  }
  const withRunner = !values['without-runner'];
  return { ...common, environment: env, stacks: environmentDeliveryStackNames(config, env, withRunner), runnerStack: withRunner ? names.runnerStack(config, env) : undefined };
}

/** The `cdk` arguments that deploy `stacks` of the plan in the given state. */
export function cdkDeployArgs(plan: DeployStacksPlan, stacks: readonly string[], state: DeployState): string[] {
  const outputs = plan.outputsFile ? ['--outputs-file', plan.outputsFile] : [];
  const creating = state.creating.filter((name) => stacks.includes(name));
  const context = creating.length > 0 ? ['-c', `creating=${creating.join(',')}`] : [];
  const environmentStacks = plan.config.environments.map((env) => names.environmentStack(plan.config, env)).filter((name) => stacks.includes(name));
  const parameters =
    state.sharedValuesNonce === undefined ? [] : environmentStacks.flatMap((name) => ['--parameters', `${name}:${SHARED_VALUES_NONCE}=${state.sharedValuesNonce}`]);
  return ['deploy', '-c', `config=${plan.configName}`, ...context, '--exclusively', '--require-approval', 'never', ...parameters, ...outputs, ...stacks];
}

/** The `cdk` arguments of one delivery's (first) deploy; throws UsageError (or ConfigError) naming what is wrong. */
export function deployStacksCommand(argv: readonly string[], state: DeployState = { creating: [] }): string[] {
  const plan = planDeployStacks(argv);
  return cdkDeployArgs(plan, plan.stacks, state);
}

/** The AWS clients of one run, per region (the stacks of one delivery live in one or two regions). */
export interface AwsClients {
  cloudFormation(region: string): Pick<CloudFormationClient, 'send'>;
  codeBuild(region: string): Pick<CodeBuildClient, 'send'>;
}

/** Runs `cdk` with these arguments; returns its exit code. */
export type CdkRunner = (args: string[]) => number;

export interface RunOptions {
  readonly aws: AwsClients;
  readonly cdk: CdkRunner;
  /** @default a random UUID */
  readonly nonce?: string;
  readonly log?: (line: string) => void;
}

/**
 * Checks the state, deploys, and turns the protections on after a first create. Returns the exit code: 0 deployed,
 * the CLI's on a failed deploy (nothing to undo: a failed create rolls back without protections in its way).
 */
export async function runDeployStacks(plan: DeployStacksPlan, options: RunOptions): Promise<number> {
  const log = options.log ?? ((line: string) => process.stderr.write(`deploy:stacks: ${line}\n`));
  if (plan.runnerStack && plan.environment) {
    const refusal = await checkRunnerConnection(options.aws.codeBuild(plan.environment.region), plan.environment.region, plan.runnerStack, log);
    if (refusal) throw new UsageError(refusal);
  }
  const creating: string[] = [];
  for (const stack of protectedStacks(plan.config).filter((s) => plan.stacks.includes(s.name))) {
    const state: StackState = await readStackState(options.aws.cloudFormation(stack.region), stack.name, log);
    if (state.kind === 'blocked') throw new UsageError(state.message);
    if (state.kind !== 'created') creating.push(stack.name);
  }
  const deployState: DeployState = { creating, sharedValuesNonce: options.nonce ?? randomUUID() };
  if (creating.length > 0) log(`first create of ${creating.join(', ')}: without termination and deletion protection until it has succeeded`);
  const first = cdkDeployArgs(plan, plan.stacks, deployState);
  log(`cdk ${first.join(' ')}`);
  const status = options.cdk(first);
  if (status !== 0 || creating.length === 0) return status;
  // Created: the same stacks once more with their protections (the template's and the CLI's termination protection).
  // Same nonce (nothing to re-read) and no outputs file: the first deploy's holds every stack's outputs, unchanged since.
  const protect = cdkDeployArgs({ ...plan, outputsFile: undefined }, creating, { creating: [], sharedValuesNonce: deployState.sharedValuesNonce });
  log(`created; turning the protections on: cdk ${protect.join(' ')}`);
  return options.cdk(protect);
}

function awsClients(): AwsClients {
  const cfn = new Map<string, CloudFormationClient>();
  const codebuild = new Map<string, CodeBuildClient>();
  return {
    cloudFormation: (region) => cfn.get(region) ?? cfn.set(region, new CloudFormationClient({ region })).get(region)!,
    codeBuild: (region) => codebuild.get(region) ?? codebuild.set(region, new CodeBuildClient({ region })).get(region)!,
  };
}

function runCdk(args: string[]): number {
  const cdk = spawnSync(process.execPath, [require.resolve('aws-cdk/bin/cdk'), ...args], { stdio: 'inherit' });
  if (cdk.error) throw cdk.error;
  return cdk.status ?? 1;
}

/** The command: 0 deployed (or printed), 2 a usage error or a refusal (named on stderr), else the CLI's exit code. */
export async function deployStacksMain(argv: readonly string[], options: RunOptions & { readonly out?: (text: string) => void }): Promise<number> {
  const log = options.log ?? ((line: string) => process.stderr.write(`deploy:stacks: ${line}\n`));
  try {
    const plan = planDeployStacks(argv);
    if (plan.print) {
      (options.out ?? ((text: string) => process.stdout.write(text)))(`cdk ${cdkDeployArgs(plan, plan.stacks, { creating: [] }).join(' ')}\n`);
      return 0;
    }
    return await runDeployStacks(plan, { ...options, log });
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      log(e.message);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) void deployStacksMain(process.argv.slice(2), { aws: awsClients(), cdk: runCdk }).then((code) => (process.exitCode = code));
