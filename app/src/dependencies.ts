/**
 * The service's backing stores, behind small interfaces so the HTTP layer can be tested without AWS or PostgreSQL.
 * The real implementations use the default AWS credential chain (EKS Pod Identity on EKS, IRSA/web identity or
 * environment credentials elsewhere): no keys in configuration.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Signer, type SignerConfig } from '@aws-sdk/rds-signer';
import { Pool } from 'pg';
import type { DatabaseConfig } from './config';

/** Result of one check of a backing store. */
export interface CheckResult {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** A short, secret-free reason when not ok. */
  readonly detail?: string;
}

export interface Probe {
  check(): Promise<CheckResult>;
  close?(): Promise<void>;
}

/** A login: the username for the pool, and a password fetched again for every new connection. */
export interface DatabaseLogin {
  readonly username: string;
  /** Called by pg for each new connection: a fresh IAM token, or the password file as it is now. */
  readonly password: () => Promise<string>;
}

export interface CredentialsSource {
  /** What a new pool logs in with. Called again after an authentication failure. */
  login(): Promise<DatabaseLogin>;
  /** What to say when authentication failed (secret-free). */
  readonly failureHint: string;
}

/** Signs an RDS IAM authentication token (the SDK's signer). Tests inject one with fixed credentials and clock. */
export type TokenSigner = () => Promise<string>;

export function rdsTokenSigner(options: {
  hostname: string;
  port: number;
  username: string;
  region: string;
  /** @default the default credential chain: EKS Pod Identity on EKS, web identity or environment credentials elsewhere */
  credentials?: SignerConfig['credentials'];
}): TokenSigner {
  const signer = new Signer(options);
  return () => signer.getAuthToken();
}

/**
 * RDS IAM database authentication: no password exists; every new connection presents a token valid for 15
 * minutes, signed with the pod role's current credentials (the pool's open connections stay logged in).
 */
export class IamTokenCredentials implements CredentialsSource {
  readonly failureHint = 'the next connection signs a new IAM token; check rds-db:connect for this user and that it is a member of rds_iam';

  constructor(
    private readonly username: string,
    private readonly sign: TokenSigner,
  ) {}

  async login(): Promise<DatabaseLogin> {
    return { username: this.username, password: this.sign };
  }
}

/**
 * Files `username` and `password` in a directory: a Kubernetes Secret mounted as a volume. The kubelet replaces
 * the files atomically when the Secret changes, so reading them for every new connection follows a rotation.
 */
export class FileCredentials implements CredentialsSource {
  readonly failureHint = 'the credentials files are re-read on the next check';

  constructor(private readonly directory: string) {}

  async login(): Promise<DatabaseLogin> {
    const username = (await this.read('username')).trim();
    if (!username) throw new Error(`${join(this.directory, 'username')} is empty`);
    return { username, password: () => this.read('password') };
  }

  private async read(name: 'username' | 'password'): Promise<string> {
    const file = join(this.directory, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read database credentials file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
    }
    // A trailing newline (echo > file, most secret tools) is not part of the value.
    const value = text.replace(/\r?\n$/, '');
    if (name === 'password' && value === '') throw new Error(`${file} is empty`);
    return value;
  }
}

export function credentialsSource(database: DatabaseConfig, region: string | undefined): CredentialsSource {
  const { credentials } = database;
  if (credentials.kind === 'files') return new FileCredentials(credentials.directory);
  if (!region) throw new Error('AWS_REGION is required for IAM database authentication');
  return new IamTokenCredentials(credentials.username, rdsTokenSigner({ hostname: database.host, port: database.port, username: credentials.username, region }));
}

function elapsed(start: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - start) / 1e5) / 10;
}

/** SQLSTATE 28P01 invalid_password, 28000 invalid_authorization_specification: rotated, expired or wrong credentials. */
const AUTHENTICATION_FAILURES = new Set(['28P01', '28000']);

export function isAuthenticationFailure(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code !== undefined && AUTHENTICATION_FAILURES.has(code);
}

/**
 * A short reason for a failed database call. PostgreSQL's own messages for authentication errors name the user,
 * never the password (e.g. `password authentication failed for user "web"`); other errors are reduced to their code.
 */
export function describeDatabaseError(error: unknown, hint: string): string {
  const { code, message } = error as { code?: string; message?: string };
  if (isAuthenticationFailure(error)) {
    return `database authentication failed (${code}): ${message ?? 'unknown reason'}; ${hint}`;
  }
  return code ? `database error ${code}` : String(message ?? error);
}

export interface DatabaseConnectionOptions {
  /**
   * Most connections of the pool.
   * @default 2
   */
  readonly max?: number;
  /**
   * Connect and query timeout (milliseconds).
   * @default 3000
   */
  readonly timeoutMs?: number;
  /**
   * Query timeout (milliseconds), for work longer than a probe (the nightly prune).
   * @default - timeoutMs
   */
  readonly queryTimeoutMs?: number;
  /**
   * `application_name` of the sessions (what pg_stat_activity shows).
   * @default 'platform-web'
   */
  readonly applicationName?: string;
}

/**
 * A pool to PostgreSQL as the workload's own role, created on first use with credentials fetched then. After an
 * authentication failure the pool is dropped and the credentials read again (the Secret may have been rotated), and
 * the work is retried once at once: a rotation costs no failed call.
 */
export class DatabaseConnection {
  /** A promise, so concurrent first calls share one pool instead of each creating (and leaking) their own. */
  private pool?: Promise<Pool>;

  constructor(
    private readonly config: DatabaseConfig,
    readonly credentials: CredentialsSource,
    private readonly options: DatabaseConnectionOptions = {},
  ) {}

  /** Runs `work` with the pool (retried once after an authentication failure). */
  async run<T>(work: (pool: Pool) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await work(await this.connect());
      } catch (error) {
        const authentication = isAuthenticationFailure(error);
        if (authentication) await this.close();
        if (authentication && attempt === 1) continue;
        throw error;
      }
    }
  }

  /** Ends the pool; the next call opens a new one. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.then((open) => open.end()).catch(() => undefined);
  }

  private connect(): Promise<Pool> {
    if (this.pool) return this.pool;
    const pool = this.createPool();
    this.pool = pool;
    pool.catch(() => {
      if (this.pool === pool) this.pool = undefined; // credentials unreadable: try again on the next call
    });
    return pool;
  }

  private async createPool(): Promise<Pool> {
    const { username, password } = await this.credentials.login();
    const { host, port, name, ssl } = this.config;
    const timeoutMs = this.options.timeoutMs ?? 3000;
    const pool = new Pool({
      host,
      port,
      database: name,
      user: username,
      password,
      ssl: ssl === 'disable' ? false : { rejectUnauthorized: ssl === 'verify-full' },
      max: this.options.max ?? 2,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: this.options.queryTimeoutMs ?? timeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: this.options.applicationName ?? 'platform-web',
    });
    pool.on('error', () => undefined); // idle client errors surface on the next call
    return pool;
  }
}

/** Checks PostgreSQL with `SELECT 1` (over its own small pool, or one it shares with the work queue). */
export class PostgresProbe implements Probe {
  private readonly connection: DatabaseConnection;

  constructor(config: DatabaseConfig, credentials: CredentialsSource, timeoutMs = 3000, connection?: DatabaseConnection) {
    this.connection = connection ?? new DatabaseConnection(config, credentials, { timeoutMs });
  }

  async check(): Promise<CheckResult> {
    const start = process.hrtime.bigint();
    try {
      await this.connection.run((pool) => pool.query('SELECT 1'));
      return { ok: true, latencyMs: elapsed(start) };
    } catch (error) {
      return { ok: false, latencyMs: elapsed(start), detail: describeDatabaseError(error, this.connection.credentials.failureHint) };
    }
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/**
 * Checks the bucket. With a prefix (a workload's storage grant allows s3:ListBucket only with `s3:prefix` =
 * `<prefix>*`, so HeadBucket would be denied): lists at most one key under it. Without one: HeadBucket (needs
 * s3:ListBucket on the whole bucket).
 */
export class S3BucketProbe implements Probe {
  /** @param prefix the granted key prefix, ending in "/" (`BUCKET_PREFIX`). @default - none: HeadBucket */
  constructor(
    private readonly client: Pick<S3Client, 'send'>,
    private readonly bucketName: string,
    private readonly prefix?: string,
  ) {}

  static create(region: string, bucketName: string, prefix?: string): S3BucketProbe {
    return new S3BucketProbe(new S3Client({ region }), bucketName, prefix);
  }

  async check(): Promise<CheckResult> {
    const start = process.hrtime.bigint();
    try {
      await this.client.send(
        this.prefix === undefined ? new HeadBucketCommand({ Bucket: this.bucketName }) : new ListObjectsV2Command({ Bucket: this.bucketName, Prefix: this.prefix, MaxKeys: 1 }),
      );
      return { ok: true, latencyMs: elapsed(start) };
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      return { ok: false, latencyMs: elapsed(start), detail: `${(error as Error).name}${status ? ` (HTTP ${status})` : ''}` };
    }
  }
}
