import { APP_ENV } from '../../config/app-env';
import { DATABASE_PORT, WORKLOAD_PORT } from '../../config/workload';

/**
 * The sample service's configuration, read from the environment once, in the composition root (main.ts).
 * Every problem is reported at once, each naming its variable; nothing else reads `process.env`.
 */

/** How the service gets its database credentials. */
export type DatabaseCredentialsConfig =
  /** AWS: a Secrets Manager secret (JSON with `username` and `password`, as RDS generates), read with the default credential chain. */
  | { readonly kind: 'secrets-manager'; readonly secretArn: string }
  /** Portable targets: a Kubernetes Secret mapped to DATABASE_USERNAME / DATABASE_PASSWORD. */
  | { readonly kind: 'static'; readonly username: string; readonly password: string };

/** TLS to PostgreSQL: off, encrypted without CA check, or encrypted and verified (add the RDS CA with NODE_EXTRA_CA_CERTS). */
export type DatabaseSslMode = 'disable' | 'require' | 'verify-full';

export interface DatabaseConfig {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly ssl: DatabaseSslMode;
  readonly credentials: DatabaseCredentialsConfig;
}

export interface AppConfig {
  /** TCP port to listen on (0 = any free port, for tests). */
  readonly port: number;
  /** Environment name shown by `/` and `/api/info`, e.g. "dev". */
  readonly environment: string;
  /** Release shown by `/` and `/api/info` (the image build sets it to the commit SHA). */
  readonly version: string;
  /** AWS region for the SDK clients; required when the bucket or a Secrets Manager secret is configured. */
  readonly region?: string;
  readonly bucketName?: string;
  readonly database?: DatabaseConfig;
  /** After SIGTERM: readiness fails at once; the listener stays open this long so load balancers deregister the pod. */
  readonly shutdownDelayMs: number;
  /** Upper bound of the whole shutdown (delay + drain); past it open connections are cut and the process exits 1. */
  readonly shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The variable names, shared with the charts that set them (config/app-env.ts). */
const E = APP_ENV;

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const SSL_MODES: readonly DatabaseSslMode[] = ['disable', 'require', 'verify-full'];

/** Parses and validates the service's environment. Throws `ConfigError` listing every bad or missing variable. */
export function parseConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name}=${JSON.stringify(raw)} is not an integer from ${min} to ${max}`);
      return fallback;
    }
    return Number(raw);
  };
  const seconds = (name: string, fallback: number, min: number, max: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || parsed < min || parsed > max) {
      problems.push(`${name}=${JSON.stringify(raw)} is not a number of seconds from ${min} to ${max}`);
      return fallback;
    }
    return parsed;
  };
  const matching = (name: string, pattern: RegExp, what: string): string | undefined => {
    const raw = value(name);
    if (raw !== undefined && !pattern.test(raw)) {
      problems.push(`${name}=${JSON.stringify(raw.slice(0, 80))} is not ${what}`);
      return undefined;
    }
    return raw;
  };

  const port = integer(E.port, WORKLOAD_PORT, 0, 65535);
  const environment = matching(E.environment, NAME, 'a lowercase name such as "dev"') ?? 'local';
  const version = value(E.version) ?? 'dev';
  const region = matching(E.region, REGION, 'an AWS region such as "eu-west-1"');
  const bucketName = matching(E.bucketName, BUCKET, 'a valid S3 bucket name');
  const shutdownTimeout = seconds(E.shutdownTimeoutSeconds, 25, 1, 3600);
  const shutdownDelay = seconds(E.shutdownDelaySeconds, 0, 0, 3600);
  if (shutdownDelay >= shutdownTimeout) {
    problems.push(`${E.shutdownDelaySeconds} (${shutdownDelay}) must be less than ${E.shutdownTimeoutSeconds} (${shutdownTimeout})`);
  }

  let database: DatabaseConfig | undefined;
  const host = matching(E.databaseHost, HOST, 'a hostname');
  const databaseVariables = [E.databasePort, E.databaseName, E.databaseSecretArn, E.databaseUsername, E.databasePassword];
  if (host !== undefined) {
    const dbPort = integer(E.databasePort, DATABASE_PORT, 1, 65535);
    const name = value(E.databaseName);
    if (name === undefined) problems.push(`${E.databaseName} is required when ${E.databaseHost} is set`);
    const secretArn = matching(E.databaseSecretArn, SECRET_ARN, 'a Secrets Manager secret ARN');
    const username = value(E.databaseUsername);
    const password = env[E.databasePassword]; // may legitimately contain spaces: not trimmed
    let credentials: DatabaseCredentialsConfig | undefined;
    if (secretArn !== undefined) {
      credentials = { kind: 'secrets-manager', secretArn };
      if (region === undefined) problems.push(`${E.region} is required when ${E.databaseSecretArn} is set`);
    } else if (value(E.databaseSecretArn) === undefined) {
      if (username === undefined || password === undefined || password === '') {
        problems.push(`set ${E.databaseSecretArn}, or both ${E.databaseUsername} and ${E.databasePassword}, when ${E.databaseHost} is set`);
      } else {
        credentials = { kind: 'static', username, password };
      }
    }
    const ssl = value(E.databaseSsl) ?? (secretArn !== undefined ? 'require' : 'disable');
    if (!SSL_MODES.includes(ssl as DatabaseSslMode)) problems.push(`${E.databaseSsl}=${JSON.stringify(ssl)} is not one of ${SSL_MODES.join(', ')}`);
    if (name !== undefined && credentials !== undefined) {
      database = { host, port: dbPort, name, ssl: ssl as DatabaseSslMode, credentials };
    }
  } else {
    const stray = databaseVariables.filter((name) => value(name) !== undefined);
    if (stray.length > 0) problems.push(`${stray.join(', ')} set but ${E.databaseHost} is not`);
  }
  if (bucketName !== undefined && region === undefined) problems.push(`${E.region} is required when ${E.bucketName} is set`);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    environment,
    version,
    region,
    bucketName,
    database,
    shutdownDelayMs: Math.round(shutdownDelay * 1000),
    shutdownTimeoutMs: Math.round(shutdownTimeout * 1000),
  };
}

/** The configuration without secrets, for logs and `/api/info`. */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  return {
    port: config.port,
    environment: config.environment,
    version: config.version,
    region: config.region ?? null,
    bucketName: config.bucketName ?? null,
    database: config.database
      ? {
          host: config.database.host,
          port: config.database.port,
          name: config.database.name,
          ssl: config.database.ssl,
          credentials: config.database.credentials.kind,
        }
      : null,
    shutdownDelaySeconds: config.shutdownDelayMs / 1000,
    shutdownTimeoutSeconds: config.shutdownTimeoutMs / 1000,
  };
}
