/**
 * Worker mode: claims work items in batches and processes them until SIGTERM, with a health listener on PORT so
 * Kubernetes can tell a stuck worker (restart it) from one that cannot reach its database (not ready).
 *
 * `/healthz`: 200 while the loop completed an iteration (successful or failed) within the stall time, 503 after:
 * the loop is stuck (a hung call, a deadlock), and only a restart helps. `/readyz`: 200 while the last database
 * round-trip succeeded and no shutdown started. Shutdown: stop claiming, let the batch in hand finish, resolve 0;
 * past the timeout resolve 1 (the batch's transaction is then rolled back by the database when the process exits).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerConfig } from './config';
import { errorFields, type Logger } from './logger';
import type { WorkerMetrics } from './metrics';

/** The part of the work queue the loop needs: one batch, resolving with the number of items processed. */
export interface BatchSource {
  processBatch(limit: number, worker: string): Promise<number>;
}

export interface WorkerDependencies {
  readonly config: WorkerConfig;
  /** The worker's name in `processed_by` (the pod's hostname). */
  readonly name: string;
  readonly queue: BatchSource;
  readonly logger: Logger;
  /**
   * Where processed items and failed iterations are counted.
   * @default - not counted
   */
  readonly metrics?: WorkerMetrics;
  /**
   * Milliseconds since the epoch (tests move it to show a stall).
   * @default Date.now
   */
  readonly now?: () => number;
}

export interface Health {
  /** The loop completed an iteration within the stall time. */
  readonly alive: boolean;
  /** The last database round-trip succeeded and no shutdown started. */
  readonly ready: boolean;
}

export interface Worker {
  /** Starts the loop (once). */
  start(): void;
  health(): Health;
  /** Stops claiming and waits for the batch in hand, up to `timeoutMs`; resolves 0 (finished) or 1 (timed out). Idempotent. */
  stop(timeoutMs: number): Promise<number>;
}

export function createWorker(deps: WorkerDependencies): Worker {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  let lastIteration = now(); // the grace period of the first iteration counts from the start
  let lastSucceeded = false;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let stopped: Promise<number> | undefined;
  let wake: (() => void) | undefined;

  /** Waits `ms`, or less when a shutdown starts. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async (): Promise<void> => {
    while (!stopping) {
      let processed = 0;
      try {
        processed = await deps.queue.processBatch(config.batchSize, deps.name);
        lastSucceeded = true;
        if (processed > 0) {
          deps.metrics?.processed(processed);
          logger.info('batch processed', { items: processed });
        }
      } catch (error) {
        lastSucceeded = false;
        deps.metrics?.failed();
        logger.error('batch failed', errorFields(error));
      }
      lastIteration = now();
      // A full batch means more may be waiting: claim again at once; otherwise poll.
      if (!stopping && (processed < config.batchSize || !lastSucceeded)) await pause(config.pollMs);
    }
  };

  return {
    start() {
      loop ??= run();
    },
    health: () => ({ alive: now() - lastIteration <= config.stallMs, ready: lastSucceeded && !stopping }),
    stop(timeoutMs) {
      stopped ??= (async () => {
        stopping = true;
        wake?.();
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        });
        const outcome = await Promise.race([(loop ?? Promise.resolve()).then(() => 'finished' as const), deadline]);
        clearTimeout(timer);
        return outcome === 'finished' ? 0 : 1;
      })();
      return stopped;
    },
  };
}

/** The health listener: GET /healthz and /readyz only. Resolves with the bound port. */
export function listenHealth(worker: Pick<Worker, 'health'>, port: number, host?: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const health = worker.health();
    const check = req.method === 'GET' || req.method === 'HEAD' ? { '/healthz': health.alive, '/readyz': health.ready }[path] : undefined;
    if (check === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const body = JSON.stringify({ status: check ? 'ok' : path === '/healthz' ? 'stalled' : 'not ready' });
    res.writeHead(check ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}
