/**
 * The modes of the one image, each wired from the configuration: the web service (`serve`), the work-queue
 * consumer (`worker`), the nightly clean-up (`prune`) and the schema migration (`migrate`). main.ts picks one and owns the process (signals, exit).
 */
import { AlbIdentityVerifier } from './alb-identity';
import type { AppConfig, DatabaseConfig } from './config';
import { credentialsSource, DatabaseConnection, PostgresProbe, S3BucketProbe, type DatabaseConnectionOptions } from './dependencies';
import { errorFields, type Logger } from './logger';
import { createMetrics, createWorkerMetrics, listenMetrics } from './metrics';
import { runMigrate } from './migrate';
import { runPrune } from './prune';
import { createApp } from './server';
import { WorkQueue } from './work-queue';
import { createWorker, listenHealth } from './worker';

/** A long-running mode: `started` rejects when it cannot listen; `stop` resolves with the exit code. */
export interface Running {
  readonly started: Promise<unknown>;
  stop(reason: string): Promise<number>;
}

function connect(database: DatabaseConfig, region: string | undefined, options: DatabaseConnectionOptions): DatabaseConnection {
  return new DatabaseConnection(database, credentialsSource(database, region), options);
}

/** Logs where the metrics listener went (or why it could not listen: the service itself keeps running). */
function logMetricsListener(listening: Promise<{ port: number }>, logger: Logger, port: number): void {
  listening.then(
    (bound) => logger.info('metrics listening', { port: bound.port }),
    (error: unknown) => logger.error('cannot listen for metrics', { port, ...errorFields(error) }),
  );
}

export function startServe(config: AppConfig, logger: Logger): Running {
  // One small pool for the readiness probe of /api/db and the work queue.
  const connection = config.database && connect(config.database, config.region, { max: 4 });
  const database = connection && new PostgresProbe(config.database!, connection.credentials, 3000, connection);
  const workQueue = connection && new WorkQueue((work) => connection.run(work), { createTable: true });
  const bucket = config.bucketName && config.region ? S3BucketProbe.create(config.region, config.bucketName, config.bucketPrefix) : undefined;
  const identity = config.identity.kind === 'alb' ? new AlbIdentityVerifier({ signer: config.identity.signer, publicKeysUrl: config.identity.publicKeysUrl }) : undefined;
  const metrics = createMetrics();
  const app = createApp({ config, logger, database, bucket, identity, metrics, workQueue });
  // Separate listener: not behind the Service or the load balancer; read through the API server's pod proxy.
  // It stays up through the drain (the last intervals of a canary analysis still count).
  logMetricsListener(listenMetrics(metrics, config.metricsPort), logger, config.metricsPort);
  // The web service owns its schema: the table is there before the worker looks (retried on first use if not).
  workQueue?.ensureTable().then(
    () => logger.info('work queue ready'),
    (error: unknown) => logger.warn('work queue table not created yet; retried on first use', errorFields(error)),
  );
  return { started: app.listen(), stop: (reason) => app.shutdown(reason) };
}

export function startWorker(config: AppConfig, logger: Logger, name: string): Running {
  const connection = connect(config.database!, config.region, { max: 1, applicationName: 'platform-worker' });
  const metrics = createWorkerMetrics();
  const worker = createWorker({ config: config.worker, name, queue: new WorkQueue((work) => connection.run(work)), logger, metrics });
  logMetricsListener(listenMetrics(metrics, config.metricsPort), logger, config.metricsPort);
  const health = listenHealth(worker, config.port);
  const started = health.then(({ port }) => {
    logger.info('worker started', { port, name, batchSize: config.worker.batchSize, pollMs: config.worker.pollMs, stallMs: config.worker.stallMs });
    worker.start();
  });
  let stopping: Promise<number> | undefined;
  const stop = (reason: string): Promise<number> => {
    stopping ??= (async () => {
      const at = Date.now();
      logger.info('shutdown started', { reason, timeoutMs: config.shutdownTimeoutMs });
      const code = await worker.stop(config.shutdownTimeoutMs);
      await connection.close();
      await health.then(({ server }) => new Promise((done) => server.close(done))).catch(() => undefined);
      logger.info('shutdown complete', { reason, outcome: code === 0 ? 'finished' : 'timeout', exitCode: code, durationMs: Date.now() - at });
      return code;
    })();
    return stopping;
  };
  return { started, stop };
}

/** One prune run; resolves with the exit code. */
export async function startPrune(config: AppConfig, logger: Logger): Promise<number> {
  const connection = connect(config.database!, config.region, { max: 1, timeoutMs: 10_000, queryTimeoutMs: 300_000, applicationName: 'platform-prune' });
  try {
    return await runPrune({ queue: new WorkQueue((work) => connection.run(work)), afterSeconds: config.pruneAfterSeconds, logger });
  } finally {
    await connection.close();
  }
}

/** One migration of web's schema (run by the deploy command as a Job before web's pods change); resolves with the exit code. */
export async function startMigrate(config: AppConfig, logger: Logger): Promise<number> {
  const connection = connect(config.database!, config.region, { max: 1, timeoutMs: 10_000, queryTimeoutMs: 300_000, applicationName: 'platform-migrate' });
  try {
    return await runMigrate({ queue: new WorkQueue((work) => connection.run(work)), logger });
  } finally {
    await connection.close();
  }
}
