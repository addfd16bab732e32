/**
 * The web service's work-queue routes over real HTTP: input checks (400 naming what is wrong), 503 without a
 * database or when it fails, 404 for unknown ids, and their counts in the request metrics. The queue itself (the
 * SQL) is exercised against a real PostgreSQL in work-queue.integration.test.ts; here it is a recording stand-in.
 */
import { parseConfig } from '../../app/src/config';
import { createLogger } from '../../app/src/logger';
import { createMetrics, listenMetrics } from '../../app/src/metrics';
import { createApp, type App, type WorkQueueApi } from '../../app/src/server';
import { WorkQueue, type WorkItem } from '../../app/src/work-queue';
import { METRIC_NAMES } from '../../config';
import { parseExposition } from '../../deploy/canary/verdict';
import { get, send } from './helpers';

const quiet = createLogger({ out: { write: () => undefined }, err: { write: () => undefined } });

/** Records what it is given; `fail` makes every call fail as a database error would. */
function recordingQueue(fail?: Error): WorkQueueApi & { payloads: string[] } {
  const payloads: string[] = [];
  return {
    payloads,
    async add(payload) {
      if (fail) throw fail;
      payloads.push(payload);
      return String(payloads.length);
    },
    async get(id): Promise<WorkItem | undefined> {
      if (fail) throw fail;
      const index = Number(id) - 1;
      return payloads[index] === undefined ? undefined : { id, createdAt: '2026-12-01T00:00:00.000Z', processedAt: null, processedBy: null };
    },
  };
}

describe('POST /work and GET /work/<id>', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.shutdown('test end');
    app = undefined;
  });
  const start = async (workQueue?: WorkQueueApi, metrics = createMetrics()) => {
    app = createApp({ config: parseConfig({ PORT: '0', APP_ENV: 'test' }), logger: quiet, workQueue, metrics });
    return app.listen('127.0.0.1');
  };

  it('records a payload (202 with its id) and shows the item (200), unknown ids 404', async () => {
    const queue = recordingQueue();
    const port = await start(queue);
    const posted = await send(port, '/work', 'POST', { payload: 'résumé ✓' });
    expect(posted.status).toBe(202);
    expect(JSON.parse(posted.body)).toEqual({ id: '1' });
    expect(queue.payloads).toEqual(['résumé ✓']);
    const item = await get(port, '/work/1');
    expect(item.status).toBe(200);
    expect(JSON.parse(item.body)).toEqual({ id: '1', createdAt: '2026-12-01T00:00:00.000Z', processedAt: null, processedBy: null });
    expect(await get(port, '/work/2')).toMatchObject({ status: 404, body: '{"error":"no work item \\"2\\""}' });
    expect((await get(port, '/work/1', 'DELETE')).headers.allow).toBe('GET');
    expect((await get(port, '/work', 'GET')).headers.allow).toBe('POST');
  });

  it('refuses bad input with 400 naming what is wrong, and records nothing', async () => {
    const queue = recordingQueue();
    const port = await start(queue);
    const expected = '{"payload": "<text of at most 1024 bytes>"}';
    const refused = async (body: unknown) => {
      const reply = await send(port, '/work', 'POST', body);
      expect(reply.status).toBe(400);
      return (JSON.parse(reply.body) as { error: string }).error;
    };
    expect(await refused('{"payload": ')).toBe(`body is not valid JSON; expected ${expected}`);
    expect(await refused(['x'])).toBe(`body is not a JSON object; expected ${expected}`);
    expect(await refused({})).toBe(`"payload" is missing; expected ${expected}`);
    expect(await refused({ payload: 42 })).toBe(`"payload" is a number; expected ${expected}`);
    expect(await refused({ payload: null })).toBe(`"payload" is null; expected ${expected}`);
    expect(await refused({ payload: 'x', priority: 1 })).toBe('unknown field "priority"; allowed: payload');
    // 1 KiB of UTF-8: 512 two-byte characters fit, one more byte does not.
    expect((await send(port, '/work', 'POST', { payload: 'é'.repeat(512) })).status).toBe(202);
    expect(await refused({ payload: `${'é'.repeat(512)}x` })).toBe('"payload" is 1025 bytes; allowed: at most 1024 bytes (UTF-8)');
    expect((await send(port, '/work', 'POST', { payload: 'x'.repeat(9000) })).status).toBe(413);
    expect(queue.payloads).toEqual(['é'.repeat(512)]);
  });

  it('answers 503 without a database, and 503 (not 500) when the database fails', async () => {
    let port = await start(undefined);
    expect(await send(port, '/work', 'POST', { payload: 'x' })).toMatchObject({ status: 503, body: '{"error":"no database configured (DATABASE_HOST)"}' });
    expect(await get(port, '/work/1')).toMatchObject({ status: 503, body: '{"error":"no database configured (DATABASE_HOST)"}' });
    await app!.shutdown('next');
    port = await start(recordingQueue(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })));
    expect(await send(port, '/work', 'POST', { payload: 'x' })).toMatchObject({ status: 503, body: '{"error":"work queue unavailable"}' });
    expect(await get(port, '/work/1')).toMatchObject({ status: 503, body: '{"error":"work queue unavailable"}' });
  });

  it('counts the routes in the request metrics, every id under one label', async () => {
    const metrics = createMetrics();
    const port = await start(recordingQueue(), metrics);
    const listener = await listenMetrics(metrics, 0, '127.0.0.1');
    try {
      await send(port, '/work', 'POST', { payload: 'a' });
      await send(port, '/work', 'POST', { nope: true });
      for (const id of ['1', '2', 'abc']) await get(port, `/work/${id}`);
      const samples = parseExposition((await get(listener.port, '/metrics')).body);
      const count = (route: string, statusClass: string) =>
        samples.find((s) => s.name === METRIC_NAMES.requests && s.labels.route === route && s.labels.status_class === statusClass)?.value;
      expect([count('POST /work', '2xx'), count('POST /work', '4xx'), count('GET /work/:id', '2xx'), count('GET /work/:id', '4xx')]).toEqual([1, 1, 1, 2]);
      expect(samples.some((s) => String(s.labels.route).includes('abc'))).toBe(false);
    } finally {
      listener.server.close();
    }
  });
});

describe('WorkQueue.ensureTable', () => {
  /** Stands in for DatabaseConnection.run: each call fails with the next SQLSTATE given (or succeeds on undefined). */
  const failingWith = (...codes: Array<string | undefined>) => {
    let calls = 0;
    const run = (async () => {
      const code = codes[calls++];
      if (code) throw Object.assign(new Error(`database error ${code}`), { code });
      return { rows: [] };
    }) as unknown as ConstructorParameters<typeof WorkQueue>[0];
    return { run, calls: () => calls };
  };

  it('accepts a table another web pod created at the same moment (IF NOT EXISTS is not atomic)', async () => {
    for (const code of ['23505', '42P07']) await expect(new WorkQueue(failingWith(code).run).ensureTable()).resolves.toBeUndefined();
  });

  it('fails on any other error, and tries again on the next use', async () => {
    const database = failingWith('42501', undefined);
    const queue = new WorkQueue(database.run);
    await expect(queue.ensureTable()).rejects.toMatchObject({ code: '42501' });
    await expect(queue.ensureTable()).resolves.toBeUndefined();
    await queue.ensureTable(); // once created, not asked again
    expect(database.calls()).toBe(2);
  });
});
