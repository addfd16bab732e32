import { createHash } from 'node:crypto';
import { parseConfig } from '../../app/src/config';
import type { Probe } from '../../app/src/dependencies';
import { createLogger } from '../../app/src/logger';
import { createApp, type App } from '../../app/src/server';
import { get, sleep, slowUpload } from './helpers';

function quietLogger(lines: string[] = []) {
  const sink = { write: (line: string) => void lines.push(line) };
  return createLogger({ out: sink, err: sink });
}

async function start(env: Record<string, string> = {}, probes: { database?: Probe; bucket?: Probe } = {}, lines: string[] = []) {
  const app = createApp({ config: parseConfig({ PORT: '0', APP_ENV: 'test', APP_VERSION: '1.2.3', ...env }), logger: quietLogger(lines), ...probes });
  const port = await app.listen('127.0.0.1');
  return { app, port };
}

describe('sample service over real HTTP', () => {
  let running: App | undefined;
  afterEach(async () => {
    await running?.shutdown('test end');
    running = undefined;
  });

  it('serves health, readiness, the index and info', async () => {
    const { app, port } = await start();
    running = app;
    expect((await get(port, '/healthz')).status).toBe(200);
    expect(await get(port, '/readyz')).toMatchObject({ status: 200, body: '{"status":"ready"}' });
    const index = await get(port, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(index.body)).toEqual({ service: 'platform-web', environment: 'test', version: '1.2.3' });
    const info = JSON.parse((await get(port, '/api/info')).body);
    expect(info.config).toMatchObject({ environment: 'test', database: null, bucketName: null });
    expect((await get(port, '/nope')).status).toBe(404);
    const wrongMethod = await get(port, '/healthz', 'DELETE');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET');
    expect((await get(port, '/healthz', 'HEAD')).status).toBe(200);
  });

  it('reports the database and the bucket through their probes', async () => {
    const database: Probe = { check: async () => ({ ok: false, latencyMs: 1, detail: 'database error 57P03' }), close: jest.fn(async () => undefined) };
    const bucket: Probe = { check: async () => ({ ok: true, latencyMs: 2 }) };
    const { app, port } = await start({}, { database, bucket });
    running = app;
    expect(await get(port, '/api/db')).toMatchObject({ status: 503, body: '{"ok":false,"latencyMs":1,"detail":"database error 57P03"}' });
    expect(await get(port, '/api/bucket')).toMatchObject({ status: 200, body: '{"ok":true,"latencyMs":2}' });
    await app.shutdown('test');
    expect(database.close).toHaveBeenCalled();
  });

  it('answers 404 for stores that are not configured, 413 for oversized bodies', async () => {
    const { app, port } = await start();
    running = app;
    expect((await get(port, '/api/db')).status).toBe(404);
    expect((await get(port, '/api/bucket')).status).toBe(404);
    const big = 'x'.repeat(1024 * 1024 + 1);
    const upload = slowUpload(port, big, '');
    await upload.accepted;
    upload.finish();
    expect((await upload.reply).status).toBe(413);
  });

  it('on shutdown: readiness fails first, the in-flight request completes, then it exits 0', async () => {
    const lines: string[] = [];
    const { app, port } = await start({ SHUTDOWN_DELAY_SECONDS: '0.3' }, {}, lines);
    const upload = slowUpload(port, 'hello ', 'world');
    await upload.accepted;

    const exit = app.shutdown('SIGTERM');
    expect(app.state()).toBe('draining');
    const ready = await get(port, '/readyz');
    expect(ready).toMatchObject({ status: 503, body: '{"status":"draining"}' });
    expect(ready.headers.connection).toBe('close');
    expect((await get(port, '/healthz')).status).toBe(200); // liveness holds while draining

    await sleep(500); // past the delay: the listener is closed
    await expect(get(port, '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    upload.finish();
    const reply = await upload.reply;
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ bytes: 11, sha256: createHash('sha256').update('hello world').digest('hex') });
    expect(reply.headers.connection).toBe('close');
    await expect(exit).resolves.toBe(0);
    expect(app.state()).toBe('stopped');
    const messages = lines.map((line) => JSON.parse(line).msg);
    expect(messages).toEqual(expect.arrayContaining(['shutdown started', 'listener closed', 'shutdown complete']));
  });

  it('fails when shutdown starts before listening finished: never turns ready, never keeps the port', async () => {
    const app = createApp({ config: parseConfig({ PORT: '0', APP_ENV: 'test', SHUTDOWN_DELAY_SECONDS: '0' }), logger: quietLogger() });
    const listening = app.listen('localhost'); // a hostname: bound only after a DNS lookup
    try {
      const code = await app.shutdown('early SIGTERM');
      await expect(listening).rejects.toThrow('shutdown started before the server was listening (state stopped)');
      expect(code).toBe(0);
      expect(app.state()).toBe('stopped');
      expect(app.server.listening).toBe(false);
    } finally {
      if (app.server.listening) app.server.close(); // so a failing run does not keep jest alive
    }
  });

  it('closes idle keep-alive connections and bounds the drain with the timeout (exit 1)', async () => {
    const { app, port } = await start({ SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const stuck = slowUpload(port, 'never finished', ' ...');
    await stuck.accepted;
    const cut = expect(stuck.reply).rejects.toThrow();
    const started = Date.now();
    await expect(app.shutdown('SIGTERM')).resolves.toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(3000);
    await cut;
  });
});
