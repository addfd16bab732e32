/**
 * Composition root of the sample service: reads the configuration once, wires the backing stores, starts the
 * server and turns SIGTERM/SIGINT into a graceful shutdown.
 */
import { ConfigError, parseConfig, type AppConfig } from './config';
import { credentialsSource, PostgresProbe, S3BucketProbe } from './dependencies';
import { createLogger, errorFields } from './logger';
import { AlbIdentityVerifier } from './alb-identity';
import { createMetrics, listenMetrics } from './metrics';
import { createApp } from './server';

function main(): void {
  const bootLogger = createLogger({ base: { service: 'platform-web' } });
  let config: AppConfig;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      bootLogger.error('invalid configuration', { problems: error.problems });
      process.exitCode = 78; // EX_CONFIG
      return;
    }
    throw error;
  }

  const logger = createLogger({ base: { service: 'platform-web', environment: config.environment, version: config.version } });
  const database = config.database ? new PostgresProbe(config.database, credentialsSource(config.database, config.region)) : undefined;
  const bucket = config.bucketName && config.region ? S3BucketProbe.create(config.region, config.bucketName) : undefined;
  const identity = config.identity.kind === 'alb' ? new AlbIdentityVerifier({ signer: config.identity.signer, publicKeysUrl: config.identity.publicKeysUrl }) : undefined;
  const metrics = createMetrics();
  const app = createApp({ config, logger, database, bucket, identity, metrics });
  // Separate listener: not behind the Service or the load balancer; read through the API server's pod proxy.
  const metricsListener = listenMetrics(metrics, config.metricsPort);
  metricsListener.then(
    ({ port }) => logger.info('metrics listening', { port }),
    (error: unknown) => logger.error('cannot listen for metrics', { port: config.metricsPort, ...errorFields(error) }),
  );

  const stop = (reason: string) => {
    // The metrics listener stays up through the drain (the last intervals of a canary analysis still count).
    void app.shutdown(reason).then((code) => process.exit(code));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (error) => logger.error('unhandled rejection', errorFields(error)));
  // Node prints process warnings (deprecations, the AWS SDK's Node version notice...) as multi-line text on
  // stderr; as one JSON line each instead, so every line of output stays a log event.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn('process warning', { warning: { name: warning.name, message: warning.message } }));

  app.listen().catch((error: unknown) => {
    logger.error('cannot listen', { port: config.port, ...errorFields(error) });
    process.exit(1);
  });
}

main();
