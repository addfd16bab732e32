/**
 * Composition root of the sample application: reads the mode (the first argument: serve, worker, prune or migrate) and the
 * configuration once, starts that mode and turns SIGTERM/SIGINT into a graceful shutdown.
 */
import { hostname } from 'node:os';
import { ConfigError, parseConfig, parseMode, type AppConfig, type AppMode } from './config';
import { createLogger, errorFields, type Logger } from './logger';
import { startMigrate, startPrune, startServe, startWorker } from './modes';

/** EX_USAGE: an argument that is not a mode; EX_CONFIG: a bad environment. */
const EXIT_USAGE = 64;
const EXIT_CONFIG = 78;

function configure(bootLogger: Logger): { mode: AppMode; config: AppConfig } | undefined {
  let mode: AppMode;
  try {
    mode = parseMode(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    bootLogger.error('invalid arguments', { problems: error.problems });
    process.exitCode = EXIT_USAGE;
    return undefined;
  }
  try {
    return { mode, config: parseConfig(process.env, mode) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    bootLogger.error('invalid configuration', { mode, problems: error.problems });
    process.exitCode = EXIT_CONFIG;
    return undefined;
  }
}

function main(): void {
  const configured = configure(createLogger({ base: { service: 'platform-web' } }));
  if (!configured) return;
  const { mode, config } = configured;
  const logger = createLogger({ base: { service: 'platform-web', mode, environment: config.environment, version: config.version } });
  process.on('unhandledRejection', (error) => logger.error('unhandled rejection', errorFields(error)));
  // Node prints process warnings (deprecations, the AWS SDK's Node version notice...) as multi-line text on
  // stderr; as one JSON line each instead, so every line of output stays a log event.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn('process warning', { warning: { name: warning.name, message: warning.message } }));

  if (mode === 'prune' || mode === 'migrate') {
    void (mode === 'prune' ? startPrune : startMigrate)(config, logger).then((code) => process.exit(code));
    return;
  }
  const running = mode === 'worker' ? startWorker(config, logger, hostname()) : startServe(config, logger);
  const stop = (reason: string) => void running.stop(reason).then((code) => process.exit(code));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  running.started.catch((error: unknown) => {
    logger.error('cannot listen', { port: config.port, ...errorFields(error) });
    process.exit(1);
  });
}

main();
