/**
 * Bounded HTTP load from the test process at a Service of the real node, every request counted.
 *
 * Open loop at a fixed rate (requests are sent on schedule whether or not earlier ones answered), one new TCP
 * connection per request (as a load balancer spreading new connections would), bounded in count and time: it
 * stops by itself at `maxRequests` or `maxSeconds`, whichever comes first. A request fails on a connection
 * error, on a timeout, or on a non-2xx status. Targets are checked first: loopback, or an address in the real
 * node's ranges (198.18.0.0/15) that `ip route get` sends through the node's bridge, nothing else.
 */
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { isIP } from 'node:net';
import { POD_HEADER, VARIANT_HEADER } from '../e2e/variants/variants';

export const NODE_BRIDGE = 'platbr0';

/** Throws unless `ip` is loopback or inside 198.18.0.0/15 and routed through the node's bridge. */
export function assertSafeTarget(ip: string): void {
  if (isIP(ip) !== 4) throw new Error(`load target ${JSON.stringify(ip)} is not an IPv4 address`);
  const [a, b] = ip.split('.').map(Number);
  if (a === 127) return;
  if (!(a === 198 && (b === 18 || b === 19))) throw new Error(`load target ${ip} is outside 198.18.0.0/15 and loopback: refusing to send traffic there`);
  const route = execFileSync('ip', ['route', 'get', ip], { encoding: 'utf8' });
  if (!new RegExp(`\\bdev ${NODE_BRIDGE}\\b`).test(route)) throw new Error(`ip route get ${ip} does not go through ${NODE_BRIDGE}: ${route.trim()}`);
}

export interface Sample {
  /** ms since the load started, when the request was sent */
  readonly t: number;
  readonly ms: number;
  readonly ok: boolean;
  /** "200", "503", "ECONNREFUSED", "timeout", … */
  readonly outcome: string;
  /** x-platform-variant of the answer ("production" when absent: the production image sets none). */
  readonly variant?: string;
  readonly pod?: string;
}

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  readonly path?: string;
  readonly ratePerSecond: number;
  readonly maxRequests: number;
  readonly maxSeconds: number;
  /** per request */
  readonly timeoutMs?: number;
}

export interface Load {
  /** ms since the load started */
  now(): number;
  /** Stops sending, waits for the requests in flight, returns every sample. */
  stop(): Promise<Sample[]>;
  /** Resolves when the load stopped by itself (bound reached). */
  readonly done: Promise<void>;
}

function get(host: string, port: number, path: string, timeoutMs: number, t0: number): Promise<Sample> {
  const sent = Date.now();
  const t = sent - t0;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: string, ok: boolean, variant?: string, pod?: string) => {
      if (settled) return;
      settled = true;
      resolve({ t, ms: Date.now() - sent, ok, outcome, ...(variant ? { variant } : {}), ...(pod ? { pod } : {}) });
    };
    const req = request({ host, port, path, method: 'GET', agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        finish(String(status), status >= 200 && status < 300, (res.headers[VARIANT_HEADER] as string | undefined) ?? 'production', res.headers[POD_HEADER] as string | undefined);
      });
      res.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? 'response error', false));
    });
    req.on('timeout', () => {
      finish('timeout', false);
      req.destroy();
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message, false));
    req.end();
  });
}

export function startLoad(options: LoadOptions): Load {
  assertSafeTarget(options.host);
  if (options.ratePerSecond <= 0 || options.ratePerSecond > 1000) throw new Error(`ratePerSecond ${options.ratePerSecond} is not in (0, 1000]`);
  if (options.maxSeconds <= 0 || options.maxSeconds > 900) throw new Error(`maxSeconds ${options.maxSeconds} is not in (0, 900]`);
  const t0 = Date.now();
  const inFlight = new Set<Promise<Sample>>();
  const samples: Sample[] = [];
  let sent = 0;
  let stopped = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const tick = setInterval(() => {
    const elapsed = (Date.now() - t0) / 1000;
    if (stopped || sent >= options.maxRequests || elapsed >= options.maxSeconds) {
      stop();
      return;
    }
    const due = Math.min(Math.floor(elapsed * options.ratePerSecond), options.maxRequests);
    while (sent < due) {
      sent += 1;
      const p = get(options.host, options.port, options.path ?? '/', options.timeoutMs ?? 5000, t0).then((s) => {
        samples.push(s);
        inFlight.delete(p);
        return s;
      });
      inFlight.add(p);
    }
  }, 5);
  const stop = () => {
    if (!stopped) {
      stopped = true;
      clearInterval(tick);
      resolveDone();
    }
  };
  return {
    now: () => Date.now() - t0,
    done,
    async stop() {
      stop();
      await Promise.all([...inFlight]);
      return samples.sort((a, b) => a.t - b.t);
    },
  };
}

export interface Summary {
  readonly requests: number;
  readonly failed: number;
  readonly ratePerSecond: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** failed requests by outcome, e.g. { ECONNREFUSED: 3, "503": 1 } */
  readonly failures: Record<string, number>;
  /** answers by variant */
  readonly variants: Record<string, number>;
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Counts and latency percentiles of the samples sent in [fromMs, toMs). */
export function summarize(samples: readonly Sample[], fromMs = 0, toMs = Infinity): Summary {
  const window = samples.filter((s) => s.t >= fromMs && s.t < toMs);
  const latencies = window
    .filter((s) => s.ok)
    .map((s) => s.ms)
    .sort((a, b) => a - b);
  const count = (key: (s: Sample) => string | undefined, of: readonly Sample[]) =>
    of.reduce<Record<string, number>>((acc, s) => {
      const k = key(s);
      if (k !== undefined) acc[k] = (acc[k] ?? 0) + 1;
      return acc;
    }, {});
  const span = window.length > 1 ? (window[window.length - 1].t - window[0].t) / 1000 : 0;
  return {
    requests: window.length,
    failed: window.filter((s) => !s.ok).length,
    ratePerSecond: span > 0 ? Math.round((window.length / span) * 10) / 10 : 0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    failures: count((s) => (s.ok ? undefined : s.outcome), window),
    variants: count((s) => s.variant, window),
  };
}

export interface LongRequestResult {
  readonly startedMs: number;
  readonly ms: number;
  readonly ok: boolean;
  readonly outcome: string;
  readonly pod?: string;
}

/**
 * A POST /api/echo whose body is sent in `chunks` pieces over `durationMs` (the service answers once the body is
 * complete): a request that stays in flight for as long as the client wants. ok when it answers 200 with the size
 * of everything sent.
 */
export function longRequest(host: string, port: number, durationMs: number, t0: number, chunks = 10): Promise<LongRequestResult> {
  assertSafeTarget(host);
  const started = Date.now();
  const piece = Buffer.alloc(1000, 'x');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (ok: boolean, outcome: string, pod?: string) => {
      if (settled) return;
      settled = true;
      resolve({ startedMs: started - t0, ms: Date.now() - started, ok, outcome, ...(pod ? { pod } : {}) });
    };
    const req = request(
      {
        host,
        port,
        path: '/api/echo',
        method: 'POST',
        agent: false,
        headers: { connection: 'close', 'content-type': 'application/octet-stream', 'content-length': piece.length * chunks },
        timeout: durationMs + 30_000,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => {
          let bytes = -1;
          try {
            bytes = (JSON.parse(body) as { bytes: number }).bytes;
          } catch {
            /* not JSON */
          }
          finish(res.statusCode === 200 && bytes === piece.length * chunks, `${res.statusCode} (${bytes} bytes)`, res.headers[POD_HEADER] as string | undefined);
        });
        res.on('error', (e: NodeJS.ErrnoException) => finish(false, e.code ?? 'response error'));
      },
    );
    req.on('timeout', () => {
      finish(false, 'timeout');
      req.destroy();
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish(false, e.code ?? e.message));
    let sentChunks = 0;
    const send = () => {
      if (settled) return;
      req.write(piece);
      sentChunks += 1;
      if (sentChunks === chunks) req.end();
      else setTimeout(send, durationMs / (chunks - 1));
    };
    send();
  });
}
