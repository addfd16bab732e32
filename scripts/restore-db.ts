/**
 * `npm run restore:db -- [--config <name>] --env <name> --to <ISO time>` restores the environment's database to that
 * time into a new instance with every setting of the current one, and leaves the current one serving.
 * `npm run restore:db -- [--config <name>] --env <name> --switch <restored instance>` then puts the restored instance
 * in the stack's place (renames) and points the workload's IAM database login at it (stack parameter).
 * Credentials and region: the default AWS credential chain, the environment's region from the configuration.
 * Steps and checks: scripts/database-restore.ts; the runbook: docs/operations.md "Restoring the database".
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { RDSClient } from '@aws-sdk/client-rds';
import { parseArgs } from 'node:util';
import { ConfigError, environmentStackName, validatePlatformConfig } from '../config';
import { configurationFromArgs } from '../config/configurations';
import { names } from '../infra/names';
import { type Clients, type DatabaseTarget, parseRestoreTime, restore, RestoreError, switchTo, type Waiting } from './database-restore';

/** A command line the script cannot run (exit 2); the message says what is allowed. */
export class UsageError extends Error {}

const USAGE = 'Usage: npm run restore:db -- [--config <name>] --env <name> (--to <ISO 8601 time, e.g. 2026-12-01T10:00:00Z> | --switch <restored instance>)';

export interface RestoreCommand {
  readonly region: string;
  readonly target: DatabaseTarget;
  readonly action: { readonly kind: 'restore'; readonly to: string } | { readonly kind: 'switch'; readonly restored: string };
}

/** The command line, read against the configuration; throws UsageError (or ConfigError) naming what is wrong. */
export function parseRestoreCommand(argv: readonly string[]): RestoreCommand {
  const selected = configurationFromArgs(argv);
  const config = validatePlatformConfig(selected.config);
  let values;
  try {
    values = parseArgs({
      args: selected.rest,
      strict: true,
      allowPositionals: false,
      options: { env: { type: 'string' }, to: { type: 'string' }, switch: { type: 'string' } },
    }).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  if (!values.env) throw new UsageError(`--env is required\n${USAGE}`);
  if ((values.to === undefined) === (values.switch === undefined)) throw new UsageError(`give exactly one of --to and --switch\n${USAGE}`);
  const env = config.environments.find((e) => e.name === values.env);
  if (!env) {
    throw new UsageError(
      `unknown environment ${JSON.stringify(values.env)} in configuration "${selected.name}"; allowed: ${config.environments.map((e) => `"${e.name}"`).join(', ')}`,
    );
  }
  const target = { identifier: names.database(config, env), stackName: environmentStackName(config.project, env.name) };
  return { region: env.region, target, action: values.to !== undefined ? { kind: 'restore', to: values.to } : { kind: 'switch', restored: values.switch! } };
}

/** Runs one parsed command; returns the lines to print. */
export async function runRestoreCommand(command: RestoreCommand, clients: Clients, now: Date, waiting: Waiting): Promise<string[]> {
  const { target, action } = command;
  if (action.kind === 'restore') {
    const to = parseRestoreTime(action.to, now);
    const restored = await restore(clients, target, to, now, waiting);
    return [
      `restored ${target.identifier} as of ${to.toISOString()} into ${restored.DBInstanceIdentifier} (DbiResourceId ${restored.DbiResourceId}); ${target.identifier} still serves.`,
      `check it (psql through a pod, the master secret's credentials), then: npm run restore:db -- --env <env> --switch ${restored.DBInstanceIdentifier}`,
    ];
  }
  const result = await switchTo(clients, target, action.restored, now, waiting);
  return [
    `${action.restored} now serves as ${target.identifier}; the former instance is ${result.replaced} (deletion protection unchanged).`,
    `stack ${target.stackName}: the workload's rds-db:connect grant names ${result.resourceId}.`,
    'next: aws secretsmanager rotate-secret for the master secret, kubectl -n <namespace> rollout restart deploy/<workload>; delete the former instance after a day.',
  ];
}

async function main(): Promise<number> {
  let command: RestoreCommand;
  try {
    command = parseRestoreCommand(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof RestoreError) {
      process.stderr.write(`restore:db: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const clients = { rds: new RDSClient({ region: command.region }), cloudFormation: new CloudFormationClient({ region: command.region }) };
  const waiting: Waiting = { intervalMs: 30_000, timeoutMs: 4 * 3_600_000, log: (line) => process.stderr.write(`restore:db: ${line}\n`) };
  try {
    for (const line of await runRestoreCommand(command, clients, new Date(), waiting)) process.stdout.write(`${line}\n`);
    return 0;
  } catch (e) {
    if (e instanceof RestoreError) {
      process.stderr.write(`restore:db: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) void main().then((code) => (process.exitCode = code));
