import { ConfigError, describeConfig, parseConfig, parseMode } from '../../app/src/config';
import { renderTarget } from '../../charts/app';
import { APP_ENV, platformConfig, WORKLOAD_DATABASE_NAME, DEFAULT_WORKLOAD_PORT } from '../../config';
import { fakeOutputs } from '../deploy/fixtures';

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('has working defaults', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ port: 8080, environment: 'local', version: 'dev', shutdownDelayMs: 0, shutdownTimeoutMs: 25_000 });
    expect(config.database).toBeUndefined();
    expect(config.bucketName).toBeUndefined();
  });

  it('reads an AWS environment (IAM database authentication as the application role, TLS required by default)', () => {
    const config = parseConfig({
      PORT: '9091',
      APP_ENV: 'dev',
      APP_VERSION: 'abc123',
      AWS_REGION: 'eu-west-1',
      BUCKET_NAME: 'platform-dev-assets',
      DATABASE_HOST: 'db.cluster-x.eu-west-1.rds.amazonaws.com',
      DATABASE_PORT: '5433',
      DATABASE_NAME: 'app',
      DATABASE_AUTH: 'iam',
      DATABASE_USERNAME: 'web',
      IDENTITY_SOURCE: 'alb',
      ALB_SIGNER: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/platform-dev-web/*',
      SHUTDOWN_TIMEOUT_SECONDS: '30',
      SHUTDOWN_DELAY_SECONDS: '5',
    });
    expect(config).toMatchObject({ port: 9091, metricsPort: 9090, environment: 'dev', version: 'abc123', region: 'eu-west-1', bucketName: 'platform-dev-assets' });
    expect(config.database).toEqual({
      host: 'db.cluster-x.eu-west-1.rds.amazonaws.com',
      port: 5433,
      name: 'app',
      ssl: 'require',
      credentials: { kind: 'iam', username: 'web' },
    });
    expect(config.identity).toEqual({
      kind: 'alb',
      region: 'eu-west-1',
      signer: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/platform-dev-web/*',
      publicKeysUrl: 'https://public-keys.auth.elb.eu-west-1.amazonaws.com',
    });
    expect(config.shutdownTimeoutMs).toBe(30_000);
    expect(config.shutdownDelayMs).toBe(5_000);
  });

  it('reads the granted bucket prefix', () => {
    const config = parseConfig({ AWS_REGION: 'eu-west-1', BUCKET_NAME: 'platform-dev-data', BUCKET_PREFIX: 'web/' });
    expect(config).toMatchObject({ bucketName: 'platform-dev-data', bucketPrefix: 'web/' });
    expect(describeConfig(config)).toMatchObject({ bucketName: 'platform-dev-data', bucketPrefix: 'web/' });
    expect(parseConfig({ AWS_REGION: 'eu-west-1', BUCKET_NAME: 'platform-dev-data', BUCKET_PREFIX: 'team/web/' }).bucketPrefix).toBe('team/web/');
    expect(parseConfig({ AWS_REGION: 'eu-west-1', BUCKET_NAME: 'platform-dev-data' }).bucketPrefix).toBeUndefined();
  });

  it('refuses a bucket prefix that does not end in "/", or one without a bucket', () => {
    expect(problemsOf({ AWS_REGION: 'eu-west-1', BUCKET_NAME: 'platform-dev-data', BUCKET_PREFIX: 'web' })).toEqual([
      'BUCKET_PREFIX="web" is not a key prefix ending in "/", such as "web/"',
    ]);
    expect(problemsOf({ AWS_REGION: 'eu-west-1', BUCKET_NAME: 'platform-dev-data', BUCKET_PREFIX: '/web/' })).toEqual([
      'BUCKET_PREFIX="/web/" is not a key prefix ending in "/", such as "web/"',
    ]);
    expect(problemsOf({ BUCKET_PREFIX: 'web/' })).toEqual(['BUCKET_PREFIX is set but BUCKET_NAME is not']);
  });

  it('reads a portable environment (credentials as files from a mounted Kubernetes Secret, no AWS, no identity)', () => {
    const config = parseConfig({ DATABASE_HOST: 'postgres', DATABASE_NAME: 'app', DATABASE_AUTH: 'files' });
    expect(config.database).toEqual({
      host: 'postgres',
      port: 5432,
      name: 'app',
      ssl: 'disable',
      credentials: { kind: 'files', directory: '/var/run/secrets/platform/database' },
    });
    expect(config.identity).toEqual({ kind: 'none' });
    expect(parseConfig({ DATABASE_HOST: 'postgres', DATABASE_NAME: 'app', DATABASE_AUTH: 'files', DATABASE_CREDENTIALS_DIR: '/etc/db' }).database?.credentials).toEqual({
      kind: 'files',
      directory: '/etc/db',
    });
  });

  it('refuses credentials in environment variables, naming the supported ways', () => {
    const problems = problemsOf({
      DATABASE_HOST: 'db',
      DATABASE_NAME: 'app',
      DATABASE_AUTH: 'files',
      DATABASE_PASSWORD: 'hunter2',
      DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x',
    });
    expect(problems).toEqual([
      'DATABASE_PASSWORD is not supported: the service logs in as its own role with DATABASE_AUTH=iam (RDS IAM authentication) or DATABASE_AUTH=files (username and password files in DATABASE_CREDENTIALS_DIR)',
      'DATABASE_SECRET_ARN is not supported: the service logs in as its own role with DATABASE_AUTH=iam (RDS IAM authentication) or DATABASE_AUTH=files (username and password files in DATABASE_CREDENTIALS_DIR)',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('requires a verifiable ALB signer for ALB identity', () => {
    expect(problemsOf({ IDENTITY_SOURCE: 'alb' })).toEqual([
      'ALB_SIGNER is required with IDENTITY_SOURCE=alb',
      'AWS_REGION is required with IDENTITY_SOURCE=alb (the public keys are regional)',
    ]);
    expect(problemsOf({ IDENTITY_SOURCE: 'alb', AWS_REGION: 'eu-west-1', ALB_SIGNER: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/*' })[0]).toMatch(
      /^ALB_SIGNER="arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer\/app\/\*" is not a load balancer ARN/,
    );
    expect(
      problemsOf({ IDENTITY_SOURCE: 'alb', AWS_REGION: 'eu-west-1', ALB_SIGNER: 'arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/web/0123456789abcdef' }),
    ).toEqual(['ALB_SIGNER is in region eu-central-1 but AWS_REGION is eu-west-1']);
    expect(
      problemsOf({
        IDENTITY_SOURCE: 'alb',
        AWS_REGION: 'eu-west-1',
        ALB_SIGNER: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/*',
        ALB_PUBLIC_KEYS_URL: 'http://keys.example.com',
      })[0],
    ).toMatch(/^ALB_PUBLIC_KEYS_URL="http:\/\/keys.example.com" is not an https URL/);
    expect(problemsOf({ IDENTITY_SOURCE: 'cookie' })).toEqual(['IDENTITY_SOURCE="cookie" is not one of alb, none']);
    expect(problemsOf({ ALB_SIGNER: 'x' })).toEqual(['ALB_SIGNER set but IDENTITY_SOURCE is not alb']);
  });

  it('names the variable of a bad value', () => {
    expect(() => parseConfig({ PORT: 'abc' })).toThrow(/PORT="abc" is not an integer/);
    expect(problemsOf({ PORT: '70000' })).toEqual(['PORT="70000" is not an integer from 0 to 65535']);
    expect(problemsOf({ SHUTDOWN_TIMEOUT_SECONDS: 'soon' })[0]).toMatch(/^SHUTDOWN_TIMEOUT_SECONDS="soon"/);
    expect(problemsOf({ APP_ENV: 'Prod!' })[0]).toMatch(/^APP_ENV=/);
    expect(problemsOf({ AWS_REGION: 'Europe', BUCKET_NAME: 'x' }).join('\n')).toMatch(/AWS_REGION="Europe"[\s\S]*BUCKET_NAME="x"/);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({ PORT: 'abc', DATABASE_PORT: 'x', SHUTDOWN_DELAY_SECONDS: '30', SHUTDOWN_TIMEOUT_SECONDS: '10' });
    expect(problems).toEqual([
      'PORT="abc" is not an integer from 0 to 65535',
      'SHUTDOWN_DELAY_SECONDS (30) must be less than SHUTDOWN_TIMEOUT_SECONDS (10)',
      'DATABASE_PORT set but DATABASE_HOST is not',
    ]);
  });

  it('requires complete database settings', () => {
    expect(problemsOf({ DATABASE_HOST: 'db' })).toEqual([
      'DATABASE_NAME is required when DATABASE_HOST is set',
      'DATABASE_AUTH="" is not one of iam, files (required when DATABASE_HOST is set)',
    ]);
    expect(problemsOf({ DATABASE_HOST: 'db', DATABASE_NAME: 'app', DATABASE_AUTH: 'iam' })).toEqual([
      'DATABASE_USERNAME is required with DATABASE_AUTH=iam',
      'AWS_REGION is required with DATABASE_AUTH=iam',
    ]);
    expect(problemsOf({ DATABASE_HOST: 'db', DATABASE_NAME: 'app', DATABASE_AUTH: 'iam', DATABASE_USERNAME: 'Web;', AWS_REGION: 'eu-west-1' })).toEqual([
      'DATABASE_USERNAME="Web;" is not a PostgreSQL role name (a-z, 0-9, _)',
    ]);
    expect(problemsOf({ DATABASE_HOST: 'db', DATABASE_NAME: 'app', DATABASE_AUTH: 'iam', DATABASE_USERNAME: 'web', AWS_REGION: 'eu-west-1', DATABASE_SSL: 'disable' })).toEqual([
      'DATABASE_SSL=disable is not allowed with DATABASE_AUTH=iam (RDS accepts IAM tokens over TLS only)',
    ]);
    expect(problemsOf({ DATABASE_HOST: 'db', DATABASE_NAME: 'app', DATABASE_AUTH: 'files', DATABASE_CREDENTIALS_DIR: 'relative/dir' })).toEqual([
      'DATABASE_CREDENTIALS_DIR="relative/dir" is not an absolute directory path',
    ]);
    expect(problemsOf({ DATABASE_HOST: 'db', DATABASE_NAME: 'app', DATABASE_AUTH: 'files', DATABASE_SSL: 'yes' })).toEqual([
      'DATABASE_SSL="yes" is not one of disable, require, verify-full',
    ]);
    expect(problemsOf({ BUCKET_NAME: 'assets' })).toEqual(['AWS_REGION is required when BUCKET_NAME is set']);
  });

  it('describes how it logs in, which holds no secret', () => {
    const config = parseConfig({ DATABASE_HOST: 'db', DATABASE_NAME: 'app', DATABASE_AUTH: 'files', DATABASE_CREDENTIALS_DIR: '/etc/db' });
    expect(describeConfig(config).database).toEqual({ host: 'db', port: 5432, name: 'app', ssl: 'disable', credentials: 'files', directory: '/etc/db' });
  });
});

describe('modes and their settings', () => {
  const database = { DATABASE_HOST: 'db', DATABASE_NAME: 'app', DATABASE_AUTH: 'files' };

  it('reads the mode from the first argument: serve by default, worker, prune, migrate', () => {
    expect(parseMode([])).toBe('serve');
    expect(parseMode(['serve'])).toBe('serve');
    expect(parseMode(['worker'])).toBe('worker');
    expect(parseMode(['prune'])).toBe('prune');
    expect(parseMode(['migrate'])).toBe('migrate');
  });

  it('refuses an argument that is not a mode, or more than one argument, naming it and the modes', () => {
    expect(() => parseMode(['faulty'])).toThrow(new ConfigError(['argument "faulty" is not a mode; allowed: serve, worker, prune, migrate']));
    expect(() => parseMode(['worker', '--fast'])).toThrow(new ConfigError(['unexpected argument "--fast" after mode worker; allowed: one mode (serve, worker, prune, migrate)']));
  });

  it('has working worker and prune defaults', () => {
    expect(parseConfig(database, 'worker')).toMatchObject({ worker: { batchSize: 10, pollMs: 1000, stallMs: 30_000 }, pruneAfterSeconds: 604_800 });
    expect(parseConfig({ ...database, WORKER_BATCH_SIZE: '50', WORKER_POLL_MS: '250', WORKER_STALL_SECONDS: '2.5', PRUNE_AFTER_SECONDS: '0' }, 'prune')).toMatchObject({
      worker: { batchSize: 50, pollMs: 250, stallMs: 2500 },
      pruneAfterSeconds: 0,
    });
  });

  it('fails when the worker, prune or migrate mode has no database, naming the variable and the mode', () => {
    expect(() => parseConfig({}, 'migrate')).toThrow(new ConfigError(['DATABASE_HOST is required in migrate mode (its work is in the database)']));
    expect(() => parseConfig({}, 'worker')).toThrow(new ConfigError(['DATABASE_HOST is required in worker mode (its work is in the database)']));
    expect(() => parseConfig({}, 'prune')).toThrow(new ConfigError(['DATABASE_HOST is required in prune mode (its work is in the database)']));
    expect(parseConfig({}, 'serve').database).toBeUndefined(); // the web service runs without one (POST /work is 503)
  });

  it('fails on bad worker and prune values, naming the variable, the value and what is allowed', () => {
    const problems = (env: Record<string, string>) => {
      try {
        parseConfig({ ...database, ...env }, 'worker');
      } catch (error) {
        return [...(error as ConfigError).problems];
      }
      throw new Error('expected a ConfigError');
    };
    expect(problems({ WORKER_BATCH_SIZE: '0' })).toEqual(['WORKER_BATCH_SIZE="0" is not an integer from 1 to 1000']);
    expect(problems({ WORKER_BATCH_SIZE: 'many' })).toEqual(['WORKER_BATCH_SIZE="many" is not an integer from 1 to 1000']);
    expect(problems({ WORKER_POLL_MS: '1.5' })).toEqual(['WORKER_POLL_MS="1.5" is not an integer from 10 to 600000']);
    expect(problems({ WORKER_STALL_SECONDS: '0' })).toEqual(['WORKER_STALL_SECONDS="0" is not a number of seconds from 1 to 3600']);
    expect(problems({ PRUNE_AFTER_SECONDS: '-1' })).toEqual(['PRUNE_AFTER_SECONDS="-1" is not an integer from 0 to 315360000']);
  });

  it('fails when the worker polls less often than its stall time allows (an idle worker would be restarted)', () => {
    expect(() => parseConfig({ ...database, WORKER_POLL_MS: '5000', WORKER_STALL_SECONDS: '5' }, 'worker')).toThrow(
      new ConfigError(['WORKER_POLL_MS (5000) must be less than WORKER_STALL_SECONDS (5) in milliseconds, or an idle worker would count as stuck']),
    );
  });
});

describe('the settings the charts give the service (shared names, config/app-env.ts)', () => {
  const objects = (target: string, outputs?: ReturnType<typeof fakeOutputs>) =>
    renderTarget(platformConfig, target, { images: { app: 'registry.local/web:1.0.0' }, outputs }).objects as {
      kind: string;
      metadata: { name: string; labels?: Record<string, string> };
      data?: Record<string, string>;
      spec?: any;
    }[];

  it('an aws environment: the rendered ConfigMap is a complete, valid configuration of the service', () => {
    const outputs = fakeOutputs('dev', {
      account: '123456789012',
      bucketName: 'platform-dev-uploads',
      databaseEndpoint: 'db.cluster-x.eu-west-1.rds.amazonaws.com',
      databasePort: '5432',
    });
    const data = objects('dev', outputs).find((o) => o.kind === 'ConfigMap' && o.metadata.labels?.['platform.local/config-of'] === 'web')!.data!;
    const names: string[] = Object.values(APP_ENV);
    expect(Object.keys(data).filter((k) => !names.includes(k))).toEqual([]);
    const config = parseConfig(data);
    expect(config).toMatchObject({ port: DEFAULT_WORKLOAD_PORT, environment: 'dev', region: outputs.region, bucketName: 'platform-dev-uploads', bucketPrefix: 'web/' });
    expect(config.database).toMatchObject({ host: outputs.databaseEndpoint, name: WORKLOAD_DATABASE_NAME, ssl: 'require', credentials: { kind: 'iam', username: 'web' } });
  });

  it('a portable target: every variable from the ConfigMap or a Secret is one the service reads', () => {
    const generic = objects('generic');
    const container = generic.find((o) => o.kind === 'Deployment' && o.metadata.name === 'web')!.spec.template.spec.containers[0];
    const fromSecrets = (container.env as { name: string }[]).map((e) => e.name);
    const fromConfigMap = Object.keys(generic.find((o) => o.kind === 'ConfigMap' && o.metadata.labels?.['platform.local/config-of'] === 'web')!.data!);
    const names: string[] = Object.values(APP_ENV);
    expect([...fromSecrets, ...fromConfigMap].filter((k) => !names.includes(k))).toEqual([]);
    // Only where the database is; the login itself is mounted as files, never a variable.
    expect(fromSecrets.sort()).toEqual([APP_ENV.databaseHost, APP_ENV.databaseName, APP_ENV.databasePort].sort());
  });
});
