/**
 * A real, throwaway PostgreSQL (Debian's packages) for integration tests: its own data directory in a temp dir,
 * listening on a free loopback port with password (SCRAM) authentication over TCP, and trust over a Unix socket
 * in that temp dir for the test's administration.
 *
 * PostgreSQL refuses to run as root, so as root (CI) initdb and pg_ctl run as `nobody` through `setpriv`, which
 * execs (no intermediate process left waiting). The server is daemonized by `pg_ctl start -w` and stopped with
 * `pg_ctl stop -m immediate`, falling back to SIGKILL of the postmaster's PID: no foreground child to hang on.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../support/ports';

/** Debian's `nobody:nogroup`. */
const UNPRIVILEGED = { uid: 65534, gid: 65534 };
const SUPERUSER = 'postgres';

interface ToolResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
  stdout: string;
  stderr: string;
}

export interface Postgres {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Runs SQL as the superuser over the Unix socket (trust). */
  sql(text: string, values?: unknown[]): Promise<Array<Record<string, unknown>>>;
  /** The server log so far (for failure messages). */
  log(): string;
  /** Stops the server and removes its directory. Idempotent; never throws. */
  stop(): Promise<void>;
}

function versionOf(dir: string): number {
  return Number(/\/(\d+)\/bin$/.exec(dir)?.[1] ?? 0);
}

/** The directory with initdb, pg_ctl and postgres: PATH first, then Debian's /usr/lib/postgresql/<version>/bin (newest). */
function findBinDir(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    if (['initdb', 'pg_ctl', 'postgres'].every((name) => existsSync(join(dir, name)))) return dir;
  }
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const dirs = readdirSync(base)
    .map((version) => join(base, version, 'bin'))
    .filter((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')))
    .sort((a, b) => versionOf(b) - versionOf(a));
  return dirs[0];
}

/** The PostgreSQL binaries; installs Debian's `postgresql` package when they are missing and we are root. */
export function postgresBinDir(): string {
  const found = findBinDir();
  if (found) return found;
  const root = process.getuid?.() === 0;
  if (root && existsSync('/usr/bin/apt-get')) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env, encoding: 'utf8', timeout: 300_000 });
    let result = install();
    if (result.status !== 0) {
      spawnSync('apt-get', ['update'], { env, encoding: 'utf8', timeout: 300_000 });
      result = install();
    }
    const installed = findBinDir();
    if (installed) return installed;
    throw new Error(`PostgreSQL binaries (initdb, pg_ctl) not found and "apt-get install -y postgresql" failed: ${(result.stderr ?? '').slice(-2000)}`);
  }
  throw new Error(
    'PostgreSQL binaries (initdb, pg_ctl, postgres) not found on PATH or in /usr/lib/postgresql/*/bin; ' +
      'install them (Debian/Ubuntu: "apt-get install -y postgresql") to run the app integration tests',
  );
}

export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'platform-web-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  let port = 0;
  let started = false;

  if (asRoot) chownSync(dir, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
  /** Runs a PostgreSQL tool, as `nobody` when we are root. */
  const tool = (name: string, args: string[], timeoutMs: number): Promise<ToolResult> => {
    const command = asRoot ? 'setpriv' : join(bin, name);
    const argv = asRoot ? [`--reuid=${UNPRIVILEGED.uid}`, `--regid=${UNPRIVILEGED.gid}`, '--clear-groups', join(bin, name), ...args] : args;
    // stdin/stdout/stderr are pipes only for the tool itself: pg_ctl -l sends the server's output to the log file.
    return new Promise((done) => {
      const child = execFile(
        command,
        argv,
        {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC', PGTZ: 'UTC' },
          encoding: 'utf8',
          timeout: timeoutMs,
          killSignal: 'SIGKILL',
        },
        (error, stdout, stderr) => done({ status: child.exitCode, signal: child.signalCode, error: error ?? undefined, stdout, stderr }),
      );
    });
  };
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const fail = (what: string, result: ToolResult): never => {
    const output = `${result.error?.message ?? ''}${result.stdout ?? ''}${result.stderr ?? ''}\n${readLog()}`.trim().slice(-3000);
    throw new Error(`${what} failed (exit ${result.status ?? result.signal}): ${output}`);
  };

  const stop = async (): Promise<void> => {
    if (started) {
      started = false;
      const result = await tool('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '10'], 15_000);
      if (result.status !== 0) {
        // Last resort: the postmaster's PID is the first line of postmaster.pid (a process this helper started).
        try {
          const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
          if (pid > 1) process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const init = await tool(
      'initdb',
      ['-D', data, '-U', SUPERUSER, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      60_000,
    );
    if (init.status !== 0) fail('initdb', init);
    // Only these two ways in: the test's superuser over the socket, everyone else with a password over loopback TCP.
    writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n');
    if (asRoot) chownSync(join(data, 'pg_hba.conf'), UNPRIVILEGED.uid, UNPRIVILEGED.gid);

    for (let attempt = 1; ; attempt += 1) {
      port = await freePort();
      const options = [
        `-p ${port}`,
        "-c listen_addresses='127.0.0.1'",
        `-c unix_socket_directories='${dir}'`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c password_encryption=scram-sha-256',
        '-c log_connections=on',
      ].join(' ');
      started = true; // from here on stop() runs pg_ctl stop (a no-op if the server never came up)
      const result = await tool('pg_ctl', ['start', '-w', '-t', '30', '-D', data, '-l', logFile, '-o', options], 40_000);
      if (result.status === 0) break;
      // Another process may have taken the port between freePort() and the bind: try another one.
      if (attempt < 3 && /could not (create listen socket|bind)|Address already in use/i.test(readLog())) continue;
      fail('pg_ctl start', result);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const sql = async (text: string, values?: unknown[]): Promise<Array<Record<string, unknown>>> => {
    const client = new Client({ host: dir, port, user: SUPERUSER, database: 'postgres', connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };
  return { host: '127.0.0.1', port, sql, log: readLog, stop };
}

/** A quoted SQL literal (for statements that take no parameters, e.g. ALTER ROLE ... PASSWORD). */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
