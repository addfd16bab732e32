/**
 * The service's backing stores, behind small interfaces so the HTTP layer can be tested without AWS or PostgreSQL.
 * The real implementations use the default AWS credential chain (EKS Pod Identity on EKS, IRSA/web identity or
 * environment credentials elsewhere): no keys in configuration.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Pool } from 'pg';
import type { DatabaseConfig, DatabaseCredentialsConfig } from './config';

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

export interface DatabaseCredentials {
  readonly username: string;
  readonly password: string;
}

export interface CredentialsSource {
  get(): Promise<DatabaseCredentials>;
}

/** Something that returns a secret's string value (Secrets Manager's GetSecretValue, or a fake in tests). */
export type SecretReader = (secretArn: string) => Promise<string | undefined>;

export function secretsManagerReader(region: string): SecretReader {
  const client = new SecretsManagerClient({ region });
  return async (secretArn) => (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
}

/** Credentials from a JSON secret `{ "username", "password", ... }` (the shape RDS generates); cached after the first read. */
export class SecretsManagerCredentials implements CredentialsSource {
  private cached?: Promise<DatabaseCredentials>;

  constructor(
    private readonly secretArn: string,
    private readonly read: SecretReader,
  ) {}

  get(): Promise<DatabaseCredentials> {
    this.cached ??= this.load().catch((error: unknown) => {
      this.cached = undefined; // retry on the next call
      throw error;
    });
    return this.cached;
  }

  /** Forgets the cached value (e.g. after the secret was rotated and authentication failed). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async load(): Promise<DatabaseCredentials> {
    const text = await this.read(this.secretArn);
    if (text === undefined) throw new Error(`secret ${this.secretArn} has no SecretString`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`secret ${this.secretArn} is not JSON`);
    }
    const { username, password } = (parsed ?? {}) as Record<string, unknown>;
    if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
      throw new Error(`secret ${this.secretArn} lacks string "username" and "password" keys`);
    }
    return { username, password };
  }
}

export class StaticCredentials implements CredentialsSource {
  constructor(private readonly credentials: DatabaseCredentials) {}
  async get(): Promise<DatabaseCredentials> {
    return this.credentials;
  }
}

export function credentialsSource(config: DatabaseCredentialsConfig, region: string | undefined): CredentialsSource {
  if (config.kind === 'static') return new StaticCredentials(config);
  if (!region) throw new Error('AWS_REGION is required to read the database secret');
  return new SecretsManagerCredentials(config.secretArn, secretsManagerReader(region));
}

function elapsed(start: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - start) / 1e5) / 10;
}

/** SQLSTATE 28P01 invalid_password, 28000 invalid_authorization_specification: the secret may have been rotated. */
const AUTHENTICATION_FAILURES = new Set(['28P01', '28000']);

/**
 * A short reason for a failed check. PostgreSQL's own messages for authentication errors name the user, never the
 * password (e.g. `password authentication failed for user "web"`); other errors are reduced to their code.
 */
function describeDatabaseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code !== undefined && AUTHENTICATION_FAILURES.has(code)) {
    return `database authentication failed (${code}): ${message ?? 'unknown reason'}; the credentials are re-read on the next check`;
  }
  return code ? `database error ${code}` : String(message ?? error);
}

/** Checks PostgreSQL with `SELECT 1` over a small pool (created on first use, with credentials fetched then). */
export class PostgresProbe implements Probe {
  /** A promise, so concurrent first checks share one pool instead of each creating (and leaking) their own. */
  private pool?: Promise<Pool>;

  constructor(
    private readonly config: DatabaseConfig,
    private readonly credentials: CredentialsSource,
    private readonly timeoutMs = 3000,
  ) {}

  /**
   * After an authentication failure the pool is dropped and the credentials re-read (the secret may have been
   * rotated), and the check is retried once at once: a rotation costs no failed check.
   */
  async check(): Promise<CheckResult> {
    const start = process.hrtime.bigint();
    for (let attempt = 1; ; attempt += 1) {
      try {
        const pool = await this.connect();
        await pool.query('SELECT 1');
        return { ok: true, latencyMs: elapsed(start) };
      } catch (error) {
        const code = (error as { code?: string }).code;
        const authentication = code !== undefined && AUTHENTICATION_FAILURES.has(code);
        if (authentication) await this.reset();
        if (authentication && attempt === 1 && this.credentials instanceof SecretsManagerCredentials) continue;
        return { ok: false, latencyMs: elapsed(start), detail: describeDatabaseError(error) };
      }
    }
  }

  async close(): Promise<void> {
    await this.reset();
  }

  private connect(): Promise<Pool> {
    if (this.pool) return this.pool;
    const pool = this.createPool();
    this.pool = pool;
    pool.catch(() => {
      if (this.pool === pool) this.pool = undefined; // credentials unreadable: try again on the next check
    });
    return pool;
  }

  private async createPool(): Promise<Pool> {
    const { username, password } = await this.credentials.get();
    const { host, port, name, ssl } = this.config;
    const pool = new Pool({
      host,
      port,
      database: name,
      user: username,
      password,
      ssl: ssl === 'disable' ? false : { rejectUnauthorized: ssl === 'verify-full' },
      max: 2,
      connectionTimeoutMillis: this.timeoutMs,
      query_timeout: this.timeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'platform-web',
    });
    pool.on('error', () => undefined); // idle client errors surface on the next check
    return pool;
  }

  private async reset(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (this.credentials instanceof SecretsManagerCredentials) this.credentials.invalidate();
    await pool?.then((open) => open.end()).catch(() => undefined);
  }
}

/** Checks the bucket with HeadBucket (needs s3:ListBucket on it). */
export class S3BucketProbe implements Probe {
  constructor(
    private readonly client: Pick<S3Client, 'send'>,
    private readonly bucketName: string,
  ) {}

  static create(region: string, bucketName: string): S3BucketProbe {
    return new S3BucketProbe(new S3Client({ region }), bucketName);
  }

  async check(): Promise<CheckResult> {
    const start = process.hrtime.bigint();
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucketName }));
      return { ok: true, latencyMs: elapsed(start) };
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      return { ok: false, latencyMs: elapsed(start), detail: `${(error as Error).name}${status ? ` (HTTP ${status})` : ''}` };
    }
  }
}
