/**
 * The HTTP service on node:http and its graceful shutdown.
 *
 * Shutdown (SIGTERM): readiness fails at once (`/readyz` → 503) → after SHUTDOWN_DELAY_SECONDS the listener
 * closes (no new connections) → requests in flight finish; their connections, and idle keep-alive ones, are
 * closed after their current response → `shutdown()` resolves 0. Past SHUTDOWN_TIMEOUT_SECONDS the remaining
 * connections are cut and it resolves 1.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeConfig, type AppConfig } from './config';
import { errorFields, type Logger } from './logger';
import type { CheckResult, Probe } from './dependencies';
import { ALB_IDENTITY_HEADER, type Verification } from './alb-identity';
import type { RequestMetrics } from './metrics';
import { MAX_PAYLOAD_BYTES, type WorkItem } from './work-queue';

/** The web service's side of the work queue (./work-queue.ts). */
export interface WorkQueueApi {
  add(payload: string): Promise<string>;
  get(id: string): Promise<WorkItem | undefined>;
}

/** Verifies the identity header a trusted proxy added; absent when the target has no such proxy (`/api/me` is 401). */
export interface IdentityVerifier {
  verify(value: string | string[] | undefined): Promise<Verification>;
}

export interface AppDependencies {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly database?: Probe;
  readonly bucket?: Probe;
  readonly identity?: IdentityVerifier;
  /**
   * Where requests are counted (the Prometheus metrics of ./metrics.ts).
   * @default - not counted
   */
  readonly metrics?: RequestMetrics;
  /**
   * Where `POST /work` records items and `GET /work/<id>` reads them.
   * @default - no database: both answer 503
   */
  readonly workQueue?: WorkQueueApi;
}

export type LifecycleState = 'starting' | 'serving' | 'draining' | 'stopped';

export interface App {
  readonly server: Server;
  state(): LifecycleState;
  /** Starts listening on the configured port; resolves with the bound port. */
  listen(host?: string): Promise<number>;
  /** Graceful shutdown; resolves with the process exit code (0 drained, 1 forced at the timeout). Idempotent. */
  shutdown(reason: string): Promise<number>;
}

/** Largest request body accepted by POST /api/echo. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Largest request body accepted by POST /work: a 1 KiB payload, JSON-escaped (up to 6 bytes per byte), with room. */
export const MAX_WORK_BODY_BYTES = 8 * 1024;
const WORK_BODY = `{"payload": "<text of at most ${MAX_PAYLOAD_BYTES} bytes>"}`;

/** Paths with a parameter, and the route they count under (bounded metric labels). */
const PATTERNS: ReadonlyArray<[RegExp, string]> = [[/^\/work\/[^/]+$/, '/work/:id']];
const routePath = (path: string): string => PATTERNS.find(([pattern]) => pattern.test(path))?.[1] ?? path;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** Reads a small body whole; larger than `limit` is 413. */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > limit) throw new HttpError(413, `body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The payload of a POST /work body, or a 400 naming what is wrong. */
function workPayload(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, `body is not valid JSON; expected ${WORK_BODY}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, `body is not a JSON object; expected ${WORK_BODY}`);
  const unknown = Object.keys(body).filter((key) => key !== 'payload');
  if (unknown.length > 0) throw new HttpError(400, `unknown field ${JSON.stringify(unknown[0].slice(0, 40))}; allowed: payload`);
  const { payload } = body as { payload?: unknown };
  if (typeof payload !== 'string')
    throw new HttpError(400, `"payload" is ${payload === undefined ? 'missing' : payload === null ? 'null' : `a ${typeof payload}`}; expected ${WORK_BODY}`);
  const bytes = Buffer.byteLength(payload);
  if (bytes > MAX_PAYLOAD_BYTES) throw new HttpError(400, `"payload" is ${bytes} bytes; allowed: at most ${MAX_PAYLOAD_BYTES} bytes (UTF-8)`);
  return payload;
}

function checkBody(result: CheckResult): Record<string, unknown> {
  return { ok: result.ok, latencyMs: result.latencyMs, ...(result.detail ? { detail: result.detail } : {}) };
}

export function createApp(deps: AppDependencies): App {
  const { config, logger } = deps;
  let state: LifecycleState = 'starting';
  let shutdownPromise: Promise<number> | undefined;
  let inFlight = 0;
  const startedAt = Date.now();

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void> = {
    'GET /healthz': (_req, res) => sendJson(res, 200, { status: 'alive' }),
    'GET /readyz': (_req, res) => (state === 'serving' ? sendJson(res, 200, { status: 'ready' }) : sendJson(res, 503, { status: state })),
    'GET /': (_req, res) => sendJson(res, 200, { service: 'platform-web', environment: config.environment, version: config.version }),
    'GET /api/info': (_req, res) =>
      sendJson(res, 200, {
        service: 'platform-web',
        node: process.version,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        config: describeConfig(config),
      }),
    'GET /api/db': async (_req, res) => {
      if (!deps.database) return sendJson(res, 404, { error: 'no database configured (DATABASE_HOST)' });
      const result = await deps.database.check();
      sendJson(res, result.ok ? 200 : 503, checkBody(result));
    },
    'GET /api/bucket': async (_req, res) => {
      if (!deps.bucket) return sendJson(res, 404, { error: 'no bucket configured (BUCKET_NAME)' });
      const result = await deps.bucket.check();
      sendJson(res, result.ok ? 200 : 503, checkBody(result));
    },
    // The signed-in user, only as verified from the load balancer's signed header; anything else is 401.
    'GET /api/me': async (req, res) => {
      if (!deps.identity) return sendJson(res, 401, { error: 'unauthenticated', reason: 'no verifiable identity on this target (IDENTITY_SOURCE=none)' });
      const result = await deps.identity.verify(req.headers[ALB_IDENTITY_HEADER]);
      if (!result.ok) {
        logger.info('identity refused', { reason: result.reason });
        return sendJson(res, 401, { error: 'unauthenticated', reason: result.reason });
      }
      sendJson(res, 200, { user: result.user });
    },
    // Reads the request body and answers with its size and SHA-256: a request whose duration the client controls.
    'POST /api/echo': async (req, res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
        hash.update(chunk);
      }
      sendJson(res, 200, { bytes, sha256: hash.digest('hex') });
    },
    // Records work for the worker; 202: it is processed later (GET /work/<id> shows when and by whom).
    'POST /work': async (req, res) => {
      const payload = workPayload(await readBody(req, MAX_WORK_BODY_BYTES));
      if (!deps.workQueue) return sendJson(res, 503, { error: 'no database configured (DATABASE_HOST)' });
      const id = await queueCall(() => deps.workQueue!.add(payload));
      sendJson(res, 202, { id });
    },
    'GET /work/:id': async (req, res) => {
      if (!deps.workQueue) return sendJson(res, 503, { error: 'no database configured (DATABASE_HOST)' });
      const id = (req.url ?? '').split('?')[0].slice('/work/'.length);
      const item = await queueCall(() => deps.workQueue!.get(id));
      if (!item) return sendJson(res, 404, { error: `no work item ${JSON.stringify(id.slice(0, 40))}` });
      sendJson(res, 200, item);
    },
  };

  /** A work-queue call; a database failure is 503 (logged without secrets), not a 500. */
  const queueCall = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      logger.error('work queue unavailable', errorFields(error));
      throw new HttpError(503, 'work queue unavailable');
    }
  };

  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000, requestTimeout: 120_000 }, (req, res) => {
    const start = process.hrtime.bigint();
    inFlight += 1;
    deps.metrics?.started();
    // While draining, every response closes its connection, so keep-alive clients reconnect elsewhere.
    if (state !== 'serving') res.setHeader('connection', 'close');
    const path = (req.url ?? '/').split('?')[0];
    const route = routePath(path);
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const handler = routes[`${method} ${route}`];
    res.on('close', () => {
      inFlight -= 1;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      deps.metrics?.finished(Object.hasOwn(routes, `${method} ${route}`) ? `${method} ${route}` : 'unmatched', res.statusCode, seconds);
      const durationMs = Math.round(seconds * 1e4) / 10;
      if (path !== '/healthz' && path !== '/readyz') {
        logger.info('request', { method: req.method, path, status: res.statusCode, durationMs, completed: res.writableFinished });
      }
      if (state === 'draining') server.closeIdleConnections();
    });
    const run = async (): Promise<void> => {
      if (!handler) {
        const allowed = Object.keys(routes).filter((key) => key.endsWith(` ${route}`));
        if (allowed.length > 0) {
          res.setHeader('allow', allowed.map((key) => key.split(' ')[0]).join(', '));
          throw new HttpError(405, 'method not allowed');
        }
        throw new HttpError(404, 'not found');
      }
      await handler(req, res);
    };
    run().catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) logger.error('request failed', { method: req.method, path, ...errorFields(error) });
      if (!res.headersSent) {
        res.setHeader('connection', 'close');
        sendJson(res, status, { error: status === 500 ? 'internal error' : (error as Error).message });
      } else {
        res.destroy();
      }
    });
  });
  server.on('clientError', (error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    logger.debug('client error', errorFields(error));
  });

  const listen = (host?: string): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, host, () => {
        server.off('error', reject);
        // A SIGTERM can arrive while a hostname is still being resolved: never turn ready (or keep the port) after it.
        if (state !== 'starting') {
          server.close();
          reject(new Error(`shutdown started before the server was listening (state ${state})`));
          return;
        }
        state = 'serving';
        const port = (server.address() as AddressInfo).port;
        logger.info('listening', { ...describeConfig(config), port });
        resolve(port);
      });
    });

  const shutdown = (reason: string): Promise<number> => {
    shutdownPromise ??= (async () => {
      const started = Date.now();
      state = 'draining';
      logger.info('shutdown started', { reason, inFlight, delayMs: config.shutdownDelayMs, timeoutMs: config.shutdownTimeoutMs });
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs);
      });
      const drained = (async () => {
        if (config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
        await new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve()); // stops accepting; also closes idle keep-alive connections
          logger.info('listener closed', { inFlight });
          server.closeIdleConnections();
        });
        return 'drained' as const;
      })();
      const outcome = await Promise.race([drained, deadline]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        logger.warn('shutdown timeout: closing remaining connections', { inFlight });
        server.closeAllConnections();
      }
      await Promise.all([deps.database?.close?.(), deps.bucket?.close?.()]).catch((error: unknown) => logger.warn('closing dependencies failed', errorFields(error)));
      state = 'stopped';
      const code = outcome === 'drained' ? 0 : 1;
      logger.info('shutdown complete', { reason, outcome, exitCode: code, durationMs: Date.now() - started });
      return code;
    })();
    return shutdownPromise;
  };

  return { server, state: () => state, listen, shutdown };
}
