/**
 * The worker loop and its health listener, in process with a stand-in queue whose batches the test holds and
 * releases (the real queue's SQL is exercised against PostgreSQL in work-queue.integration.test.ts): a stalled
 * loop fails /healthz, a failing database fails /readyz, a shutdown finishes the batch in hand and claims no more.
 */
import { createLogger } from '../../app/src/logger';
import { createWorkerMetrics, listenMetrics, WORKER_METRIC_NAMES } from '../../app/src/metrics';
import { createWorker, listenHealth, type BatchSource, type Worker } from '../../app/src/worker';
import { parseExposition } from '../../deploy/canary/verdict';
import { get, sleep } from './helpers';

const quiet = createLogger({ out: { write: () => undefined }, err: { write: () => undefined } });

/** A queue whose every batch waits until the test settles it. */
function heldQueue() {
  const calls: Array<{ limit: number; worker: string; settle: (result: number | Error) => void }> = [];
  let notify: (() => void) | undefined;
  const queue: BatchSource = {
    processBatch: (limit, worker) =>
      new Promise<number>((resolve, reject) => {
        calls.push({ limit, worker, settle: (result) => (result instanceof Error ? reject(result) : resolve(result)) });
        notify?.();
      }),
  };
  /** Resolves once the n-th batch (1-based) has been asked for. */
  const batch = async (n: number) => {
    while (calls.length < n) await new Promise<void>((resolve) => (notify = resolve));
    return calls[n - 1];
  };
  return { queue, calls, batch };
}

const config = { batchSize: 5, pollMs: 20, stallMs: 1000 };

describe('worker loop', () => {
  const workers: Worker[] = [];
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop(100);
  });
  const start = (queue: BatchSource, options: { now?: () => number } = {}) => {
    const metrics = createWorkerMetrics();
    const worker = createWorker({ config, name: 'worker-a', queue, logger: quiet, metrics, ...options });
    workers.push(worker);
    worker.start();
    return { worker, metrics };
  };

  it('claims batches under its name, again at once after a full batch, and counts processed items and failures', async () => {
    const { queue, batch } = heldQueue();
    const { worker, metrics } = start(queue);
    expect(worker.health()).toEqual({ alive: true, ready: false }); // no round-trip yet
    (await batch(1)).settle(5); // full: more may be waiting
    const second = await batch(2);
    expect(second).toMatchObject({ limit: 5, worker: 'worker-a' });
    second.settle(2);
    await batch(3).then((third) => third.settle(new Error('connection terminated')));
    await batch(4);
    const listener = await listenMetrics(metrics, 0, '127.0.0.1');
    try {
      const samples = parseExposition((await get(listener.port, '/metrics')).body);
      expect(samples.find((s) => s.name === WORKER_METRIC_NAMES.processed)?.value).toBe(7);
      expect(samples.find((s) => s.name === WORKER_METRIC_NAMES.failed)?.value).toBe(1);
    } finally {
      listener.server.close();
    }
    expect(worker.health()).toEqual({ alive: true, ready: false }); // the last round-trip failed
    (await batch(4)).settle(0);
    await batch(5);
    expect(worker.health()).toEqual({ alive: true, ready: true });
    (await batch(5)).settle(0);
  });

  it('/healthz turns 503 when the loop stalls past the stall time, and 200 again once it completes an iteration', async () => {
    let clock = 1_000_000;
    const { queue, batch } = heldQueue();
    const { worker } = start(queue, { now: () => clock });
    const health = await listenHealth(worker, 0, '127.0.0.1');
    try {
      (await batch(1)).settle(0);
      const stuck = await batch(2); // this call never returns on its own: a hung round-trip
      expect(await get(health.port, '/healthz')).toMatchObject({ status: 200, body: '{"status":"ok"}' });
      expect((await get(health.port, '/readyz')).status).toBe(200);
      clock += 1001; // past WORKER_STALL_SECONDS without a completed iteration
      expect(await get(health.port, '/healthz')).toMatchObject({ status: 503, body: '{"status":"stalled"}' });
      stuck.settle(new Error('query read timeout'));
      await batch(3);
      expect((await get(health.port, '/healthz')).status).toBe(200); // a failed iteration still counts as alive
      expect(await get(health.port, '/readyz')).toMatchObject({ status: 503, body: '{"status":"not ready"}' });
      expect((await get(health.port, '/metrics')).status).toBe(404);
      (await batch(3)).settle(0);
    } finally {
      health.server.close();
    }
  });

  it('on shutdown: not ready at once, finishes the batch in hand, claims no more, resolves 0', async () => {
    const { queue, calls, batch } = heldQueue();
    const { worker } = start(queue);
    (await batch(1)).settle(0);
    const inHand = await batch(2);
    const stopped = worker.stop(2000);
    expect(worker.health().ready).toBe(false);
    let resolved = false;
    void stopped.then(() => (resolved = true));
    await sleep(50);
    expect(resolved).toBe(false); // waits for the batch
    inHand.settle(5); // a full batch: without the shutdown it would claim again at once
    await expect(stopped).resolves.toBe(0);
    await sleep(50);
    expect(calls).toHaveLength(2);
  });

  it('an idle worker stops at once, without waiting for its poll interval', async () => {
    const { queue, batch } = heldQueue();
    const worker = createWorker({ config: { ...config, pollMs: 60_000 }, name: 'idle', queue, logger: quiet });
    worker.start();
    (await batch(1)).settle(0); // now sleeping for a minute
    await sleep(20);
    const started = Date.now();
    await expect(worker.stop(5000)).resolves.toBe(0);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('a batch that never finishes does not hold the shutdown past its timeout: resolves 1', async () => {
    const { queue, batch } = heldQueue();
    const { worker } = start(queue);
    await batch(1); // never settled
    const started = Date.now();
    await expect(worker.stop(300)).resolves.toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
