import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertSafeTarget, longRequest, percentile, startLoad, summarize } from './load';

describe('load generator (against a local server on 127.0.0.1)', () => {
  let server: Server;
  let port = 0;
  let served = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      served += 1;
      if (req.url === '/api/echo') {
        let bytes = 0;
        req.on('data', (d: Buffer) => (bytes += d.length));
        req.on('end', () => res.writeHead(200, { 'x-platform-pod': 'p1' }).end(JSON.stringify({ bytes })));
        return;
      }
      if (served % 10 === 0) return void res.writeHead(503).end();
      res.writeHead(200, { 'x-platform-variant': 'ok' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('sends at the given rate, stops at its request bound, counts every non-2xx as failed', async () => {
    served = 0;
    const load = startLoad({ host: '127.0.0.1', port, ratePerSecond: 200, maxRequests: 100, maxSeconds: 10 });
    await load.done;
    const samples = await load.stop();
    const s = summarize(samples);
    expect(s.requests).toBe(100);
    expect(s.failed).toBe(10);
    expect(s.failures).toEqual({ '503': 10 });
    expect(s.variants).toEqual({ ok: 90, production: 10 });
    // 100 requests at 200/s: sent over ~0.5 s
    expect(samples[samples.length - 1].t).toBeGreaterThanOrEqual(450);
    expect(s.p50Ms).not.toBeNull();
  });

  test('stops at its time bound; refused connections are failures', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const load = startLoad({ host: '127.0.0.1', port: deadPort, ratePerSecond: 100, maxRequests: 10_000, maxSeconds: 0.3 });
    await load.done;
    const s = summarize(await load.stop());
    expect(s.requests).toBeGreaterThan(10);
    expect(s.requests).toBeLessThanOrEqual(31);
    expect(s.failed).toBe(s.requests);
    expect(Object.keys(s.failures)).toEqual(['ECONNREFUSED']);
  });

  test('a long request stays in flight for its duration and checks the echoed size', async () => {
    const r = await longRequest('127.0.0.1', port, 300, Date.now(), 4);
    expect(r).toMatchObject({ ok: true, outcome: '200 (4000 bytes)', pod: 'p1' });
    expect(r.ms).toBeGreaterThanOrEqual(290);
  });

  test('refuses targets outside loopback and 198.18.0.0/15', () => {
    expect(() => assertSafeTarget('10.0.0.1')).toThrow(/outside 198\.18\.0\.0\/15 and loopback/);
    expect(() => assertSafeTarget('192.168.1.1')).toThrow(/outside/);
    expect(() => assertSafeTarget('web.example')).toThrow(/not an IPv4 address/);
    expect(() => assertSafeTarget('127.0.0.1')).not.toThrow();
  });

  test('percentiles and windows', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([], 50)).toBeNull();
    const samples = [0, 100, 200, 300].map((t, i) => ({ t, ms: 10 * (i + 1), ok: i !== 2, outcome: i === 2 ? 'timeout' : '200' }));
    expect(summarize(samples, 100, 300)).toMatchObject({ requests: 2, failed: 1, failures: { timeout: 1 }, p50Ms: 20 });
  });
});
