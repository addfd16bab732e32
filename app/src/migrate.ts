/**
 * Migrate mode (the Job the deploy command runs before web's pods change): brings web's schema up to date, logs one
 * line with what it did and exits 0; on failure logs the error (name, message and code: never a stack, never a
 * credential) and exits 1, so the Job fails and the release stops before any pod changes.
 */
import { errorFields, type Logger } from './logger';

export interface MigrateDependencies {
  readonly queue: { migrate(): Promise<number> };
  readonly logger: Logger;
}

/** One run; resolves with the process exit code. */
export async function runMigrate(deps: MigrateDependencies): Promise<number> {
  const started = Date.now();
  try {
    const statements = await deps.queue.migrate();
    deps.logger.info('migrated', { statements, durationMs: Date.now() - started });
    return 0;
  } catch (error) {
    deps.logger.error('migration failed', { durationMs: Date.now() - started, ...errorFields(error) });
    return 1;
  }
}
