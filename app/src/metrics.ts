/**
 * The application's Prometheus metrics (prom-client), on a listener of their own (METRICS_PORT). The web service:
 * requests by route and status class, a latency histogram, requests in flight; the worker: items processed and
 * failed iterations. The deploy command's canary analysis reads them through
 * the API server's pod proxy; names, port and buckets are shared with it in config/metrics.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS, METRIC_NAMES, METRICS_PATH } from '../../config/metrics';

/** What the HTTP server reports per request. */
export interface RequestMetrics {
  started(): void;
  /** `route` is the matched route key ("GET /api/info") or "unmatched": bounded label values only. */
  finished(route: string, status: number, seconds: number): void;
}

export interface Metrics extends RequestMetrics {
  readonly registry: Registry;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const requests = new Counter({ name: METRIC_NAMES.requests, help: 'HTTP requests by route and status class.', labelNames: ['route', 'status_class'], registers: [registry] });
  const duration = new Histogram({
    name: METRIC_NAMES.duration,
    help: 'HTTP request latency in seconds, by route.',
    labelNames: ['route'],
    buckets: [...LATENCY_BUCKETS_SECONDS],
    registers: [registry],
  });
  const inFlight = new Gauge({ name: METRIC_NAMES.inFlight, help: 'HTTP requests being served.', registers: [registry] });
  return {
    registry,
    started: () => inFlight.inc(),
    finished(route, status, seconds) {
      inFlight.dec();
      requests.inc({ route, status_class: `${Math.floor(status / 100)}xx` });
      duration.observe({ route }, seconds);
    },
  };
}

/** What the worker reports per loop iteration. */
export interface WorkerMetrics {
  /** Items processed (a committed batch). */
  processed(items: number): void;
  /** An iteration that failed (the database unreachable, a failed transaction). */
  failed(): void;
}

/** Names of the worker's metrics (its own; the canary analysis reads only the HTTP ones). */
export const WORKER_METRIC_NAMES = {
  /** Counter. */
  processed: 'work_items_processed_total',
  /** Counter. */
  failed: 'worker_iterations_failed_total',
} as const;

export function createWorkerMetrics(): WorkerMetrics & { readonly registry: Registry } {
  const registry = new Registry();
  const processed = new Counter({ name: WORKER_METRIC_NAMES.processed, help: 'Work items processed (committed) by this worker.', registers: [registry] });
  const failed = new Counter({ name: WORKER_METRIC_NAMES.failed, help: 'Worker loop iterations that failed.', registers: [registry] });
  return { registry, processed: (items) => processed.inc(items), failed: () => failed.inc() };
}

/** The metrics listener: GET /metrics only. Resolves with the bound port. */
export function listenMetrics(metrics: { readonly registry: Registry }, port: number, host?: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}
