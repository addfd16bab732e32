/**
 * Entry point of the sample service's TEST images (never of the production image): the real service with one
 * fault built in, chosen when the image is built (`PLATFORM_VARIANT`, replaced by esbuild at bundle time: there
 * is no configuration that turns it on or off at run time). Every response names the variant and the pod
 * (`x-platform-variant`, `x-platform-pod`), so that a load test can tell which release answered.
 *
 *   ok           the service as it is (a labelled good release)
 *   never-ready  starts and stays alive, but /readyz always answers 503
 *   crash        exits 1 at start, before listening
 *   http-5xx     Ready, but every 5th request (20 %) other than the probes answers 500
 *   slow         Ready, but every request other than the probes waits 400 ms first
 *   cpu-heavy    Ready, but every request other than the probes first does a fixed amount of CPU work (PBKDF2,
 *                CPU_HEAVY_ITERATIONS): a bounded load raises the pods' CPU, for the autoscaling test
 *   migration-fails  the service as it is, but its schema migration (mode `migrate`) logs an error and exits 1
 *
 * The fault is the web service's (mode `serve`, the default). The image's other modes (`migrate`, `worker`, `prune`:
 * the workloads' commands) run the real application, so a release of these images runs web's real migration first;
 * `crash` exits at start in every mode but `migrate` (a worker on it crashes too), `migration-fails` only in `migrate`.
 */
import { pbkdf2Sync } from 'node:crypto';
import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseConfig } from '../../../app/src/config';
import { createLogger } from '../../../app/src/logger';
import { createMetrics, listenMetrics } from '../../../app/src/metrics';
import { createApp } from '../../../app/src/server';
import { CPU_HEAVY_ITERATIONS, VARIANTS, type Variant } from './variants';

declare const PLATFORM_VARIANT: string;

const variant = PLATFORM_VARIANT as Variant;
if (!VARIANTS.includes(variant)) throw new Error(`unknown test variant ${JSON.stringify(variant)} (one of ${VARIANTS.join(', ')})`);

const logger = createLogger({ base: { service: 'platform-web', variant } });
const mode = process.argv[2] ?? 'serve';
if (variant === 'crash' && mode !== 'migrate') {
  logger.error('test variant "crash": exiting at start');
  process.exit(1);
}
if (variant === 'migration-fails' && mode === 'migrate') {
  logger.info('migration started', { steps: 2 });
  logger.error('test variant "migration-fails": step 2 of 2 failed: relation "work_items" cannot be altered', { step: 2 });
  process.exit(1);
}
if (mode === 'serve') serve();
// The application's own modes, as the production image runs them (its entry point reads the mode again).
else void import('../../../app/src/main');

function serve(): void {
  const config = parseConfig(process.env);
  // Metrics are counted here, around the fault (an injected 500, the added latency), as a canary analysis must see
  // them: not inside the service, which never sees the injected answers and times only its own part.
  const metrics = createMetrics();
  void listenMetrics(metrics, config.metricsPort);
  const app = createApp({ config, logger });
  const pod = hostname();
  const probe = (path: string) => path === '/healthz' || path === '/readyz';
  let served = 0;
  /** Route labels: a bounded set. */
  const ROUTES = new Set(['/', '/healthz', '/readyz', '/api/info', '/api/echo']);

  const [handler] = app.server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  app.server.removeAllListeners('request');
  app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('x-platform-variant', variant);
    res.setHeader('x-platform-pod', pod);
    const path = (req.url ?? '/').split('?')[0];
    const start = process.hrtime.bigint();
    metrics.started();
    res.on('close', () => metrics.finished(ROUTES.has(path) ? `${req.method} ${path}` : 'other', res.statusCode, Number(process.hrtime.bigint() - start) / 1e9));
    if (variant === 'never-ready' && path === '/readyz') {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"never-ready"}');
      return;
    }
    if (variant === 'http-5xx' && !probe(path) && ++served % 5 === 0) {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json', connection: 'close' }).end('{"error":"test variant http-5xx"}');
      return;
    }
    // A fixed amount of work, not a fixed time: a throttled pod takes longer but burns the same CPU per request.
    if (variant === 'cpu-heavy' && !probe(path)) pbkdf2Sync(pod, 'cpu-heavy', CPU_HEAVY_ITERATIONS, 32, 'sha256');
    if (variant === 'slow' && !probe(path)) {
      setTimeout(() => handler(req, res), 400);
      return;
    }
    handler(req, res);
  });

  const stop = (reason: string) => void app.shutdown(reason).then((code) => process.exit(code));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  app.listen().catch(() => process.exit(1));
}
