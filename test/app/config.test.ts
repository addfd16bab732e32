import { ConfigError, describeConfig, parseConfig } from '../../app/src/config';
import { renderTarget } from '../../charts/app';
import { APP_ENV, platformConfig, WORKLOAD_DATABASE_NAME, WORKLOAD_PORT } from '../../config';
import { realOutputs } from '../charts/helpers';

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

  it('reads an AWS environment (Secrets Manager credentials, TLS required by default)', () => {
    const config = parseConfig({
      PORT: '9090',
      APP_ENV: 'dev',
      APP_VERSION: 'abc123',
      AWS_REGION: 'eu-west-1',
      BUCKET_NAME: 'platform-dev-assets',
      DATABASE_HOST: 'db.cluster-x.eu-west-1.rds.amazonaws.com',
      DATABASE_PORT: '5433',
      DATABASE_NAME: 'app',
      DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:platform-dev-db-AbCdEf',
      SHUTDOWN_TIMEOUT_SECONDS: '30',
      SHUTDOWN_DELAY_SECONDS: '5',
    });
    expect(config).toMatchObject({ port: 9090, environment: 'dev', version: 'abc123', region: 'eu-west-1', bucketName: 'platform-dev-assets' });
    expect(config.database).toEqual({
      host: 'db.cluster-x.eu-west-1.rds.amazonaws.com',
      port: 5433,
      name: 'app',
      ssl: 'require',
      credentials: { kind: 'secrets-manager', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:platform-dev-db-AbCdEf' },
    });
    expect(config.shutdownTimeoutMs).toBe(30_000);
    expect(config.shutdownDelayMs).toBe(5_000);
  });

  it('reads a portable environment (credentials from a Kubernetes Secret, no AWS)', () => {
    const config = parseConfig({ DATABASE_HOST: 'postgres', DATABASE_NAME: 'app', DATABASE_USERNAME: 'web', DATABASE_PASSWORD: ' s3cret ' });
    expect(config.database).toEqual({
      host: 'postgres',
      port: 5432,
      name: 'app',
      ssl: 'disable',
      credentials: { kind: 'static', username: 'web', password: ' s3cret ' },
    });
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
      'set DATABASE_SECRET_ARN, or both DATABASE_USERNAME and DATABASE_PASSWORD, when DATABASE_HOST is set',
    ]);
    expect(problemsOf({ DATABASE_HOST: 'db', DATABASE_NAME: 'app', DATABASE_SECRET_ARN: 'my-secret' })[0]).toMatch(/^DATABASE_SECRET_ARN="my-secret" is not a Secrets Manager secret ARN/);
    expect(
      problemsOf({ DATABASE_HOST: 'db', DATABASE_NAME: 'app', DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x' }),
    ).toEqual(['AWS_REGION is required when DATABASE_SECRET_ARN is set']);
    expect(problemsOf({ DATABASE_HOST: 'db', DATABASE_NAME: 'app', DATABASE_USERNAME: 'u', DATABASE_PASSWORD: 'p', DATABASE_SSL: 'yes' })).toEqual([
      'DATABASE_SSL="yes" is not one of disable, require, verify-full',
    ]);
    expect(problemsOf({ BUCKET_NAME: 'assets' })).toEqual(['AWS_REGION is required when BUCKET_NAME is set']);
  });

  it('never describes secrets', () => {
    const config = parseConfig({ DATABASE_HOST: 'db', DATABASE_NAME: 'app', DATABASE_USERNAME: 'web', DATABASE_PASSWORD: 'hunter2-password' });
    const text = JSON.stringify(describeConfig(config));
    expect(text).not.toContain('hunter2-password');
    expect(text).not.toContain('"web"');
    expect(text).toContain('"credentials":"static"');
  });
});

describe('the settings the charts give the service (shared names, config/app-env.ts)', () => {
  const objects = (target: string, outputs?: ReturnType<typeof realOutputs>) =>
    renderTarget(platformConfig, target, { image: 'registry.local/web:1.0.0', outputs }).objects as { kind: string; data?: Record<string, string>; spec?: any }[];

  it('an aws environment: the rendered ConfigMap is a complete, valid configuration of the service', () => {
    const outputs = { ...realOutputs(platformConfig, 'dev'), bucketName: 'platform-dev-uploads', databaseEndpoint: 'db.cluster-x.eu-west-1.rds.amazonaws.com' };
    const data = objects('dev', outputs).find((o) => o.kind === 'ConfigMap')!.data!;
    const names: string[] = Object.values(APP_ENV);
    expect(Object.keys(data).filter((k) => !names.includes(k))).toEqual([]);
    const config = parseConfig(data);
    expect(config).toMatchObject({ port: WORKLOAD_PORT, environment: 'dev', region: outputs.region, bucketName: 'platform-dev-uploads' });
    expect(config.database).toMatchObject({ host: outputs.databaseEndpoint, name: WORKLOAD_DATABASE_NAME, credentials: { kind: 'secrets-manager', secretArn: outputs.databaseSecretArn } });
  });

  it('a portable target: every variable from the ConfigMap or a Secret is one the service reads', () => {
    const generic = objects('generic');
    const container = generic.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
    const fromSecrets = (container.env as { name: string }[]).map((e) => e.name);
    const fromConfigMap = Object.keys(generic.find((o) => o.kind === 'ConfigMap')!.data!);
    const names: string[] = Object.values(APP_ENV);
    expect([...fromSecrets, ...fromConfigMap].filter((k) => !names.includes(k))).toEqual([]);
    expect(fromSecrets.sort()).toEqual([APP_ENV.databaseHost, APP_ENV.databaseName, APP_ENV.databasePassword, APP_ENV.databasePort, APP_ENV.databaseUsername].sort());
  });
});
