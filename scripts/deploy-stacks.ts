/**
 * `npm run deploy:stacks -- --config <name> --env <name> [--outputs-file <file>]` deploys what an environment's
 * delivery deploys: its account's stacks (multi-account layout) and its own stack. `--shared` instead deploys the
 * shared stacks (identity, GitHub, shared-<region>; deploy-shared.yml). Always `cdk deploy --exclusively`, with the
 * configuration passed to the CDK app (`-c config=<name>`), so every workflow and pipeline selects the stacks of
 * the configuration it deploys from one place. `--print` prints the cdk command line instead of running it.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ConfigError, validatePlatformConfig } from '../config';
import { configurationFromArgs } from '../config/configurations';
import { environmentDeliveryStackNames, sharedStackNames } from '../infra/names';

/** A command line the script cannot run (exit 2); the message says what is allowed. */
export class UsageError extends Error {}

const USAGE = `Usage: npm run deploy:stacks -- [--config <name>] (--env <name> | --shared) [--outputs-file <file>] [--print]`;

/** The `cdk` arguments for one delivery; throws UsageError (or ConfigError for the configuration) naming what is wrong. */
export function deployStacksCommand(argv: readonly string[]): string[] {
  const selected = configurationFromArgs(argv);
  const config = validatePlatformConfig(selected.config);
  let values;
  try {
    values = parseArgs({
      args: selected.rest,
      strict: true,
      allowPositionals: false,
      options: { env: { type: 'string' }, shared: { type: 'boolean' }, 'outputs-file': { type: 'string' }, print: { type: 'boolean' } },
    }).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  if ((values.env === undefined) === !values.shared) throw new UsageError(`give exactly one of --env <name> and --shared\n${USAGE}`);
  let stacks: string[];
  if (values.shared) {
    stacks = sharedStackNames(config);
  } else {
    const env = config.environments.find((e) => e.name === values.env);
    if (!env) {
      throw new UsageError(
        `unknown environment ${JSON.stringify(values.env)} in configuration "${selected.name}"; allowed: ${config.environments.map((e) => `"${e.name}"`).join(', ')}`,
      );
    }
    stacks = environmentDeliveryStackNames(config, env);
  }
  const outputs = values['outputs-file'] ? ['--outputs-file', values['outputs-file']] : [];
  return ['deploy', '-c', `config=${selected.name}`, '--exclusively', '--require-approval', 'never', ...outputs, ...stacks];
}

function main(): number {
  const argv = process.argv.slice(2);
  let args: string[];
  try {
    args = deployStacksCommand(argv);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      process.stderr.write(`deploy:stacks: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (argv.includes('--print')) {
    process.stdout.write(`cdk ${args.join(' ')}\n`);
    return 0;
  }
  process.stderr.write(`deploy:stacks: cdk ${args.join(' ')}\n`);
  const cdk = spawnSync(process.execPath, [require.resolve('aws-cdk/bin/cdk'), ...args], { stdio: 'inherit' });
  if (cdk.error) throw cdk.error;
  return cdk.status ?? 1;
}

if (require.main === module) process.exitCode = main();
