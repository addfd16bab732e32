/**
 * The service's Prometheus metrics over real HTTP, read back with the deploy command's canary parser (the two sides
 * of config/metrics.ts must agree).
 */
import { parseConfig } from '../../app/src/config';
import { createLogger } from '../../app/src/logger';
import { createMetrics, listenMetrics } from '../../app/src/metrics';
import { createApp } from '../../app/src/server';
import { METRIC_NAMES } from '../../config';
import { parseExposition, quantileMs, trafficOf } from '../../deploy/canary/verdict';
import { get } from './helpers';

const quiet = createLogger({ out: { write: () => undefined }, err: { write: () => undefined } });

describe('metrics', () => {
  test('count requests by route and status class, time them, and serve them on their own port', async () => {
    const metrics = createMetrics();
    const app = createApp({ config: parseConfig({ PORT: '0', APP_ENV: 'test' }), logger: quiet, metrics });
    const port = await app.listen('127.0.0.1');
    const listener = await listenMetrics(metrics, 0, '127.0.0.1');
    try {
      for (let i = 0; i < 5; i++) expect((await get(port, '/')).status).toBe(200);
      expect((await get(port, '/api/db')).status).toBe(404);
      expect((await get(port, '/no/such/path')).status).toBe(404);
      const scrape = await get(listener.port, '/metrics');
      expect(scrape.status).toBe(200);
      expect(scrape.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const samples = parseExposition(scrape.body);
      const count = (route: string, statusClass: string) =>
        samples.find((s) => s.name === METRIC_NAMES.requests && s.labels.route === route && s.labels.status_class === statusClass)?.value;
      expect([count('GET /', '2xx'), count('GET /api/db', '4xx'), count('unmatched', '4xx')]).toEqual([5, 1, 1]);
      // Unknown paths share one label value: the label set stays bounded whatever clients send.
      expect(samples.some((s) => s.labels.route === 'GET /no/such/path')).toBe(false);
      const traffic = trafficOf(scrape.body);
      expect(traffic).toMatchObject({ requests: 7, errors: 0 });
      expect(quantileMs(0.95, traffic.buckets)).toBeLessThan(100);
      expect(samples.find((s) => s.name === METRIC_NAMES.inFlight)?.value).toBe(0);
      expect((await get(listener.port, '/')).status).toBe(404);
      // The service port does not serve the metrics (they are not behind the Service or the load balancer).
      expect((await get(port, '/metrics')).status).toBe(404);
    } finally {
      await app.shutdown('test end');
      listener.server.close();
    }
  });

  test('a 5xx counts as an error for the canary', async () => {
    const metrics = createMetrics();
    metrics.started();
    metrics.finished('GET /', 503, 0.2);
    metrics.started();
    metrics.finished('GET /', 200, 0.01);
    expect(trafficOf(await metrics.registry.metrics())).toMatchObject({ requests: 2, errors: 1 });
  });

  test('fails when the metrics port equals the service port', () => {
    expect(() => parseConfig({ PORT: '8080', METRICS_PORT: '8080' })).toThrow('METRICS_PORT (8080) must differ from PORT');
    expect(parseConfig({}).metricsPort).toBe(9090);
  });
});
