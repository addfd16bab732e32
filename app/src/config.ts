import { APP_ENV } from '../../config/app-env';
import { METRICS_PORT } from '../../config/metrics';
import { DATABASE_PORT } from '../../config/workload';
import { DEFAULT_WORKLOAD_PORT } from '../../config/workloads';

/**
 * The sample application's configuration, read from its arguments and the environment once, in the composition root
 * (main.ts). Every problem is reported at once, each naming its variable; nothing else reads `process.env`.
 */

/**
 * What the one image does, chosen by its first argument (the container's args): `serve` (the default) the HTTP
 * service, `worker` the work-queue consumer, `prune` the nightly clean-up (one run, then exit), `migrate` the
 * schema migration the deploy command runs before web's pods change (one run, then exit).
 */
export type AppMode = 'serve' | 'worker' | 'prune' | 'migrate';
export const APP_MODES: readonly AppMode[] = ['serve', 'worker', 'prune', 'migrate'];

/** Worker mode: how it claims work and when it counts as stuck. */
export interface WorkerConfig {
  /** Most items claimed in one transaction. */
  readonly batchSize: number;
  /** Wait between polls while the queue is empty or the database failed. */
  readonly pollMs: number;
  /** `/healthz` fails when no loop iteration (successful or failed) completed for this long. */
  readonly stallMs: number;
}

/**
 * How the service logs in to PostgreSQL, always as the application's own role (never the master user).
 * Credentials never travel in environment variables.
 */
export type DatabaseCredentialsConfig =
  /**
   * AWS: RDS IAM database authentication. Each new connection gets a 15-minute token signed with the pod's role
   * (default credential chain: EKS Pod Identity), which needs `rds-db:connect` on this database user. No password exists.
   */
  | { readonly kind: 'iam'; readonly username: string }
  /**
   * Portable targets: files `username` and `password` in a directory (a Kubernetes Secret mounted as a volume),
   * re-read for every new connection, so a rotated Secret is picked up without a restart.
   */
  | { readonly kind: 'files'; readonly directory: string };

/** TLS to PostgreSQL: off, encrypted without CA check, or encrypted and verified (add the RDS CA with NODE_EXTRA_CA_CERTS). */
export type DatabaseSslMode = 'disable' | 'require' | 'verify-full';

export interface DatabaseConfig {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly ssl: DatabaseSslMode;
  readonly credentials: DatabaseCredentialsConfig;
}

/** Who the user is, as the service can verify it. */
export type IdentityConfig =
  /** Nothing to verify against: `/api/me` always answers 401 (the generic target's default). */
  | { readonly kind: 'none' }
  /**
   * The AWS ALB's `x-amzn-oidc-data` header (ES256, key by `kid` from the region's public key endpoint), accepted
   * only when its `signer` matches `signer`: an exact load balancer ARN, or one ending in `/*`, where `*` stands for
   * the load balancer ID (the name is unique per account and region; the ID is only known once the controller created it).
   */
  | { readonly kind: 'alb'; readonly region: string; readonly signer: string; readonly publicKeysUrl: string };

export interface AppConfig {
  /** TCP port to listen on (0 = any free port, for tests). */
  readonly port: number;
  /** TCP port of the metrics listener (0 = any free port, for tests). */
  readonly metricsPort: number;
  /** Environment name shown by `/` and `/api/info`, e.g. "dev". */
  readonly environment: string;
  /** Release shown by `/` and `/api/info` (the image build sets it to the commit SHA). */
  readonly version: string;
  /** AWS region for the SDK clients; required with the bucket or IAM database authentication. */
  readonly region?: string;
  readonly bucketName?: string;
  /**
   * The key prefix this workload was granted in the bucket (ends in "/"): its role may list only under it, so the
   * bucket check lists that prefix instead of HeadBucket.
   */
  readonly bucketPrefix?: string;
  readonly database?: DatabaseConfig;
  /** Where the signed-in user comes from (`/api/me`); anything unverifiable is 401. */
  readonly identity: IdentityConfig;
  /** After SIGTERM: readiness fails at once; the listener stays open this long so load balancers deregister the pod. */
  readonly shutdownDelayMs: number;
  /** Upper bound of the whole shutdown (delay + drain); past it open connections are cut and the process exits 1. */
  readonly shutdownTimeoutMs: number;
  readonly worker: WorkerConfig;
  /** Prune mode: processed work items older than this are deleted. */
  readonly pruneAfterSeconds: number;
}

/** The mode from the process arguments (after the script); one argument at most, and only a known mode. */
export function parseMode(args: readonly string[]): AppMode {
  const [mode = 'serve', ...rest] = args;
  if (!APP_MODES.includes(mode as AppMode)) throw new ConfigError([`argument ${JSON.stringify(mode.slice(0, 40))} is not a mode; allowed: ${APP_MODES.join(', ')}`]);
  if (rest.length > 0) throw new ConfigError([`unexpected argument ${JSON.stringify(rest[0].slice(0, 40))} after mode ${mode}; allowed: one mode (${APP_MODES.join(', ')})`]);
  return mode as AppMode;
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
/** An S3 key prefix ending in "/" (no leading "/", no empty segment): the unit of a workload's storage grant. */
const BUCKET_PREFIX = /^([A-Za-z0-9!_.*'()-]+\/)+$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const DIRECTORY = /^\/[A-Za-z0-9._/-]*$/;
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** An ALB ARN, or its prefix up to the name followed by `/*`. */
const ALB_SIGNER = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/([0-9a-f]{16}|\*)$/;
const DATABASE_AUTH_MODES = ['iam', 'files'] as const;
/** Where the generic target mounts the operator's database Secret. */
export const DEFAULT_CREDENTIALS_DIRECTORY = '/var/run/secrets/platform/database';
const SSL_MODES: readonly DatabaseSslMode[] = ['disable', 'require', 'verify-full'];

/**
 * Parses and validates the environment for a mode. Throws `ConfigError` listing every bad or missing variable.
 * The worker, prune and migrate modes need a database (they have no other work).
 */
export function parseConfig(env: Env, mode: AppMode = 'serve'): AppConfig {
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

  const port = integer(E.port, DEFAULT_WORKLOAD_PORT, 0, 65535);
  const metricsPort = integer(E.metricsPort, METRICS_PORT, 0, 65535);
  if (port !== 0 && metricsPort === port) problems.push(`${E.metricsPort} (${metricsPort}) must differ from ${E.port}`);
  const environment = matching(E.environment, NAME, 'a lowercase name such as "dev"') ?? 'local';
  const version = value(E.version) ?? 'dev';
  const region = matching(E.region, REGION, 'an AWS region such as "eu-west-1"');
  const bucketName = matching(E.bucketName, BUCKET, 'a valid S3 bucket name');
  const bucketPrefix = matching(E.bucketPrefix, BUCKET_PREFIX, 'a key prefix ending in "/", such as "web/"');
  const shutdownTimeout = seconds(E.shutdownTimeoutSeconds, 25, 1, 3600);
  const shutdownDelay = seconds(E.shutdownDelaySeconds, 0, 0, 3600);
  if (shutdownDelay >= shutdownTimeout) {
    problems.push(`${E.shutdownDelaySeconds} (${shutdownDelay}) must be less than ${E.shutdownTimeoutSeconds} (${shutdownTimeout})`);
  }

  let database: DatabaseConfig | undefined;
  const host = matching(E.databaseHost, HOST, 'a hostname');
  const databaseVariables = [E.databasePort, E.databaseName, E.databaseAuth, E.databaseUsername, E.databaseCredentialsDir];
  // Credentials in the environment leak into `kubectl describe`, crash dumps and child processes: refused outright.
  for (const name of [E.databasePassword, E.databaseSecretArn]) {
    if (value(name) !== undefined)
      problems.push(
        `${name} is not supported: the service logs in as its own role with ${E.databaseAuth}=iam (RDS IAM authentication) or ${E.databaseAuth}=files (username and password files in ${E.databaseCredentialsDir})`,
      );
  }
  if (host !== undefined) {
    const dbPort = integer(E.databasePort, DATABASE_PORT, 1, 65535);
    const name = value(E.databaseName);
    if (name === undefined) problems.push(`${E.databaseName} is required when ${E.databaseHost} is set`);
    const auth = value(E.databaseAuth);
    let credentials: DatabaseCredentialsConfig | undefined;
    if (auth === 'iam') {
      const username = matching(E.databaseUsername, ROLE_NAME, 'a PostgreSQL role name (a-z, 0-9, _)');
      if (value(E.databaseUsername) === undefined) problems.push(`${E.databaseUsername} is required with ${E.databaseAuth}=iam`);
      if (region === undefined) problems.push(`${E.region} is required with ${E.databaseAuth}=iam`);
      if (username !== undefined) credentials = { kind: 'iam', username };
    } else if (auth === 'files') {
      if (value(E.databaseUsername) !== undefined) problems.push(`${E.databaseUsername} is not used with ${E.databaseAuth}=files (the username is the file "username")`);
      const directory =
        matching(E.databaseCredentialsDir, DIRECTORY, 'an absolute directory path') ?? (value(E.databaseCredentialsDir) === undefined ? DEFAULT_CREDENTIALS_DIRECTORY : undefined);
      if (directory !== undefined) credentials = { kind: 'files', directory };
    } else {
      problems.push(`${E.databaseAuth}=${JSON.stringify(auth ?? '')} is not one of ${DATABASE_AUTH_MODES.join(', ')} (required when ${E.databaseHost} is set)`);
    }
    // IAM tokens are only accepted over TLS.
    const ssl = value(E.databaseSsl) ?? (auth === 'iam' ? 'require' : 'disable');
    if (!SSL_MODES.includes(ssl as DatabaseSslMode)) problems.push(`${E.databaseSsl}=${JSON.stringify(ssl)} is not one of ${SSL_MODES.join(', ')}`);
    else if (auth === 'iam' && ssl === 'disable') problems.push(`${E.databaseSsl}=disable is not allowed with ${E.databaseAuth}=iam (RDS accepts IAM tokens over TLS only)`);
    if (name !== undefined && credentials !== undefined) {
      database = { host, port: dbPort, name, ssl: ssl as DatabaseSslMode, credentials };
    }
  } else {
    const stray = databaseVariables.filter((name) => value(name) !== undefined);
    if (stray.length > 0) problems.push(`${stray.join(', ')} set but ${E.databaseHost} is not`);
  }

  let identity: IdentityConfig = { kind: 'none' };
  const identitySource = value(E.identitySource) ?? 'none';
  if (identitySource === 'alb') {
    const signer = matching(
      E.albSigner,
      ALB_SIGNER,
      'a load balancer ARN (arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>), or one ending in /* instead of the ID',
    );
    if (value(E.albSigner) === undefined) problems.push(`${E.albSigner} is required with ${E.identitySource}=alb`);
    if (region === undefined) problems.push(`${E.region} is required with ${E.identitySource}=alb (the public keys are regional)`);
    if (signer !== undefined && region !== undefined && signer.split(':')[3] !== region)
      problems.push(`${E.albSigner} is in region ${signer.split(':')[3]} but ${E.region} is ${region}`);
    const keys = matching(E.albPublicKeysUrl, /^(https:\/\/[A-Za-z0-9.-]+|http:\/\/127\.0\.0\.1:\d+)(\/[A-Za-z0-9._-]*)*$/, 'an https URL (or http://127.0.0.1:<port> for tests)');
    if (signer !== undefined && region !== undefined) {
      identity = { kind: 'alb', region, signer, publicKeysUrl: keys ?? `https://public-keys.auth.elb.${region}.amazonaws.com` };
    }
  } else if (identitySource !== 'none') {
    problems.push(`${E.identitySource}=${JSON.stringify(identitySource)} is not one of alb, none`);
  } else {
    const stray = [E.albSigner, E.albPublicKeysUrl].filter((name) => value(name) !== undefined);
    if (stray.length > 0) problems.push(`${stray.join(', ')} set but ${E.identitySource} is not alb`);
  }
  if (bucketName !== undefined && region === undefined) problems.push(`${E.region} is required when ${E.bucketName} is set`);
  if (value(E.bucketPrefix) !== undefined && value(E.bucketName) === undefined) problems.push(`${E.bucketPrefix} is set but ${E.bucketName} is not`);
  if (mode !== 'serve' && host === undefined && value(E.databaseHost) === undefined) {
    problems.push(`${E.databaseHost} is required in ${mode} mode (its work is in the database)`);
  }

  const batchSize = integer(E.workerBatchSize, 10, 1, 1000);
  const pollMs = integer(E.workerPollMs, 1000, 10, 600_000);
  const stallSeconds = seconds(E.workerStallSeconds, 30, 1, 3600);
  if (pollMs >= stallSeconds * 1000) {
    problems.push(`${E.workerPollMs} (${pollMs}) must be less than ${E.workerStallSeconds} (${stallSeconds}) in milliseconds, or an idle worker would count as stuck`);
  }
  const pruneAfterSeconds = integer(E.pruneAfterSeconds, 7 * 24 * 3600, 0, 10 * 365 * 24 * 3600);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    metricsPort,
    environment,
    version,
    region,
    bucketName,
    bucketPrefix,
    database,
    identity,
    shutdownDelayMs: Math.round(shutdownDelay * 1000),
    shutdownTimeoutMs: Math.round(shutdownTimeout * 1000),
    worker: { batchSize, pollMs, stallMs: Math.round(stallSeconds * 1000) },
    pruneAfterSeconds,
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
    bucketPrefix: config.bucketPrefix ?? null,
    database: config.database
      ? {
          host: config.database.host,
          port: config.database.port,
          name: config.database.name,
          ssl: config.database.ssl,
          credentials: config.database.credentials.kind,
          ...(config.database.credentials.kind === 'iam' ? { username: config.database.credentials.username } : { directory: config.database.credentials.directory }),
        }
      : null,
    identity: config.identity.kind === 'alb' ? { source: 'alb', signer: config.identity.signer } : { source: 'none' },
    shutdownDelaySeconds: config.shutdownDelayMs / 1000,
    shutdownTimeoutSeconds: config.shutdownTimeoutMs / 1000,
  };
}
