/**
 * The database side of the local environment (`npm run local:up`, cluster/local/up.sh): on the local PostgreSQL it
 * creates the workloads' database, converges each workload's own role with the statements the AWS custom resource
 * runs (lambda/database-role: the same specs, from config's `databaseRoleSpecs`), gives each role a fresh password
 * (locally there is no RDS IAM authentication), and writes each workload's `<workload>-database` Secret (host, port,
 * dbname, username, password: what the generic target's pods read) into the target's namespace. Passwords are never
 * printed.
 *
 * Usage: node dist/local-database.js [--config <name>] --target <portable target> --socket-dir <dir> --host <address>
 *        --port <port> --kubeconfig <file>
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { databaseRoleSpecs, validatePlatformConfig, WORKLOAD_DATABASE_NAME, type PortableTargetConfig, type WorkloadDatabaseRole } from '../config';
import { configurationFromArgs } from '../config/configurations';
import { databaseSecretName } from '../charts/generic-target';
import { findKubectl, runProcess } from '../deploy/adapters/kubectl';
import { ensureDatabaseRole } from '../lambda/database-role/role';

const USAGE = 'Usage: node dist/local-database.js [--config <name>] --target <portable target> --socket-dir <dir> --host <address> --port <port> --kubeconfig <file>';

interface LocalDatabaseCommand {
  readonly target: PortableTargetConfig;
  readonly socketDir: string;
  readonly host: string;
  readonly port: number;
  readonly kubeconfig: string;
}

/** The command line, read against the configuration; throws naming the bad value and what is allowed. */
export function parseLocalDatabaseCommand(argv: readonly string[]): LocalDatabaseCommand {
  const selected = configurationFromArgs(argv);
  const config = validatePlatformConfig(selected.config);
  const options = { target: { type: 'string' }, 'socket-dir': { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, kubeconfig: { type: 'string' } } as const;
  let values;
  try {
    values = parseArgs({ args: selected.rest, strict: true, allowPositionals: false, options }).values;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${USAGE}`, { cause: error });
  }
  for (const name of Object.keys(options) as (keyof typeof options)[]) {
    if (!values[name]) throw new Error(`--${name} is required\n${USAGE}`);
  }
  const target = config.portableTargets.find((t) => t.name === values.target);
  if (!target) {
    throw new Error(`unknown portable target ${JSON.stringify(values.target)}; allowed: ${config.portableTargets.map((t) => `"${t.name}"`).join(', ')}`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port is ${JSON.stringify(values.port)}; allowed: an integer from 1 to 65535`);
  return { target, socketDir: values['socket-dir']!, host: values.host!, port, kubeconfig: values.kubeconfig! };
}

/** A quoted SQL literal (ALTER ROLE … PASSWORD takes no parameters). */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

async function asSuperuser<T>(socketDir: string, port: number, database: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ host: socketDir, port, user: 'postgres', database, connectionTimeoutMillis: 10_000, application_name: 'platform-local-up' });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The workload each role belongs to (a role is named after its workload: config's databaseRoleName). */
function workloadOf(target: PortableTargetConfig, role: WorkloadDatabaseRole): string {
  const workload = target.workloads.find((w) => databaseRoleSpecs([w], WORKLOAD_DATABASE_NAME)[0]?.roleName === role.roleName);
  if (!workload) throw new Error(`no workload of target "${target.name}" has the database role "${role.roleName}"`);
  return workload.name;
}

export async function runLocalDatabase(command: LocalDatabaseCommand): Promise<string[]> {
  const { target, socketDir, port } = command;
  await asSuperuser(socketDir, port, 'postgres', async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [WORKLOAD_DATABASE_NAME]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${WORKLOAD_DATABASE_NAME}`);
  });
  const roles = databaseRoleSpecs(target.workloads, WORKLOAD_DATABASE_NAME);
  const secrets: object[] = [];
  for (const role of roles) {
    const password = randomBytes(24).toString('base64url');
    await asSuperuser(socketDir, port, WORKLOAD_DATABASE_NAME, async (c) => {
      await ensureDatabaseRole(c, { ...role, iamAuthentication: false });
      await c.query(`ALTER ROLE "${role.roleName}" PASSWORD ${literal(password)}`);
    });
    secrets.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: databaseSecretName(workloadOf(target, role)), namespace: target.namespace },
      type: 'Opaque',
      stringData: { host: command.host, port: String(port), dbname: WORKLOAD_DATABASE_NAME, username: role.roleName, password },
    });
  }
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: target.namespace } };
  const kubectl = findKubectl(process.env);
  const input = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [namespace, ...secrets] });
  const applied = await runProcess(kubectl, [`--kubeconfig=${command.kubeconfig}`, 'apply', '-f', '-'], { input, env: process.env, timeoutMs: 60_000 });
  if (applied.code !== 0) throw new Error(`kubectl apply of the database Secrets failed: ${applied.stderr.trim()}`);
  return roles.map(
    (r) => `database role "${r.roleName}" converged (the AWS custom resource's statements); Secret ${target.namespace}/${databaseSecretName(workloadOf(target, r))}`,
  );
}

if (require.main === module) {
  (async () => {
    let command: LocalDatabaseCommand;
    try {
      command = parseLocalDatabaseCommand(process.argv.slice(2));
    } catch (error) {
      process.stderr.write(`local-database: ${(error as Error).message}\n`);
      process.exit(2);
    }
    for (const line of await runLocalDatabase(command)) process.stderr.write(`[local] ${line}\n`);
  })().catch((error: Error) => {
    process.stderr.write(`local-database: ${error.message}\n`);
    process.exit(1);
  });
}
