/**
 * The sample service's Prometheus metrics: what app/ exposes and what the deploy command's canary analysis reads
 * (through the API server's pod proxy). One definition for both sides.
 */

/** Port of the metrics listener (separate from the service port: not routed by the Service or the load balancer). */
export const METRICS_PORT = 9090;
export const METRICS_PORT_NAME = 'metrics';
export const METRICS_PATH = '/metrics';

/**
 * Portable targets: where the API server's pod proxy connects from, by default. The local cluster's API server runs
 * on the machine and reaches pods through the node's bridge, from the node address (cluster/node/lib.sh NODE_IP).
 */
export const DEFAULT_METRICS_SCRAPE_CIDRS: readonly string[] = ['198.18.0.1/32'];

export const METRIC_NAMES = {
  /** Counter, labels `route` and `status_class` ("2xx" … "5xx"). */
  requests: 'http_requests_total',
  /** Histogram in seconds, label `route`. */
  duration: 'http_request_duration_seconds',
  /** Gauge. */
  inFlight: 'http_requests_in_flight',
} as const;

/**
 * Route labels of the probes (kubelet, load balancer health checks): not user traffic. The canary analysis leaves
 * them out, or a quiet canary would look busy and its probes would dilute errors and latency.
 */
export const PROBE_ROUTES: readonly string[] = ['GET /healthz', 'GET /readyz'];

/** Histogram buckets (seconds): fine enough around the canary's latency thresholds (hundreds of ms). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10];
