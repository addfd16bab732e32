/**
 * The real bundled server (the file the image runs) as a child process, stopped with a real SIGTERM.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { get, slowUpload } from './helpers';

const root = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'platform-web-'));
const bundle = join(dir, 'server.js');

interface Running {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  stderr: string[];
  /** Resolves with the first log line with this `msg`. */
  waitFor(msg: string): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(env: Record<string, string>, args: string[] = []): Running {
  const child = spawn(process.execPath, [bundle, ...args], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', METRICS_PORT: '0', APP_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters: Array<{ msg: string; resolve: (line: Record<string, unknown>) => void }> = [];
  const take = (text: string) => {
    const line = JSON.parse(text) as Record<string, unknown>; // every line is JSON, or the test fails here
    logs.push(line);
    for (const waiter of waiters.filter((w) => w.msg === line.msg)) waiter.resolve(line);
  };
  createInterface({ input: child.stdout! }).on('line', take);
  createInterface({ input: child.stderr! }).on('line', (text) => {
    stderr.push(text);
    take(text);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  const waitFor = (msg: string) => {
    const seen = logs.find((line) => line.msg === msg);
    return seen ? Promise.resolve(seen) : new Promise<Record<string, unknown>>((done) => waiters.push({ msg, resolve: done }));
  };
  return { child, logs, stderr, waitFor, exited };
}

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'app/build.mjs'), bundle], { cwd: root, stdio: 'inherit' });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bundled server process', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('SIGTERM: readiness 503 at once, the request in flight completes with 200, new connections refused, exit 0', async () => {
    const server = run({ SHUTDOWN_DELAY_SECONDS: '1', SHUTDOWN_TIMEOUT_SECONDS: '10' });
    children.push(server.child);
    const port = (await server.waitFor('listening')).port as number;
    expect((await get(port, '/readyz')).status).toBe(200);

    const upload = slowUpload(port, 'in flight ', 'when SIGTERM arrived');
    await upload.accepted;
    server.child.kill('SIGTERM');
    await server.waitFor('shutdown started');
    expect(await get(port, '/readyz')).toMatchObject({ status: 503, body: '{"status":"draining"}' });
    expect((await get(port, '/healthz')).status).toBe(200);

    await server.waitFor('listener closed');
    await expect(get(port, '/')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    upload.finish();
    const reply = await upload.reply;
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).bytes).toBe('in flight when SIGTERM arrived'.length);

    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.logs.find((line) => line.msg === 'shutdown complete')).toMatchObject({ outcome: 'drained', exitCode: 0 });
    const echo = server.logs.find((line) => line.msg === 'request' && line.path === '/api/echo');
    expect(echo).toMatchObject({ status: 200, completed: true });
  }, 20_000);

  it('a request that never ends does not hold the process past SHUTDOWN_TIMEOUT_SECONDS', async () => {
    const server = run({ SHUTDOWN_TIMEOUT_SECONDS: '1' });
    children.push(server.child);
    const port = (await server.waitFor('listening')).port as number;
    const stuck = slowUpload(port, 'stuck', '...');
    await stuck.accepted;
    const cut = expect(stuck.reply).rejects.toThrow(/socket hang up|ECONNRESET/);
    const started = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(Date.now() - started).toBeLessThan(4000);
    await cut;
  }, 20_000);

  it('refuses bad configuration, naming each variable, before listening', async () => {
    const server = run({ PORT: 'abc', DATABASE_HOST: 'db', APP_ENV: 'test' });
    children.push(server.child);
    expect(await server.exited).toEqual({ code: 78, signal: null });
    const problems = JSON.stringify(server.logs.find((line) => line.msg === 'invalid configuration'));
    expect(problems).toContain('PORT=\\"abc\\" is not an integer');
    expect(problems).toContain('DATABASE_NAME is required');
    expect(server.logs.some((line) => line.msg === 'listening')).toBe(false);
  }, 20_000);

  it('refuses an argument that is not a mode (the image has no other), exit 64 before doing anything', async () => {
    const server = run({}, ['faulty']);
    children.push(server.child);
    expect(await server.exited).toEqual({ code: 64, signal: null });
    expect(server.logs).toEqual([
      expect.objectContaining({ level: 'error', msg: 'invalid arguments', problems: ['argument "faulty" is not a mode; allowed: serve, worker, prune, migrate'] }),
    ]);
  }, 20_000);

  it('refuses the worker and prune modes without a database, naming the variable, exit 78', async () => {
    for (const mode of ['worker', 'prune']) {
      const server = run({}, [mode]);
      children.push(server.child);
      expect(await server.exited).toEqual({ code: 78, signal: null });
      expect(server.logs).toEqual([
        expect.objectContaining({ msg: 'invalid configuration', mode, problems: [`DATABASE_HOST is required in ${mode} mode (its work is in the database)`] }),
      ]);
    }
  }, 20_000);

  it('serve is the default mode and can be named', async () => {
    const server = run({}, ['serve']);
    children.push(server.child);
    const port = (await server.waitFor('listening')).port as number;
    expect((await get(port, '/readyz')).status).toBe(200);
    expect(server.logs.find((line) => line.msg === 'listening')).toMatchObject({ mode: 'serve' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  }, 20_000);

  it('logs structured JSON without secrets', async () => {
    const credentials = join(dir, 'database');
    mkdirSync(credentials, { recursive: true });
    writeFileSync(join(credentials, 'username'), 'web');
    writeFileSync(join(credentials, 'password'), 'hunter2-secret');
    const server = run({ DATABASE_HOST: '127.0.0.1', DATABASE_PORT: '1', DATABASE_NAME: 'app', DATABASE_AUTH: 'files', DATABASE_CREDENTIALS_DIR: credentials });
    children.push(server.child);
    const port = (await server.waitFor('listening')).port as number;
    expect((await get(port, '/api/db')).status).toBe(503);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    const all = JSON.stringify(server.logs);
    expect(all).not.toContain('hunter2-secret');
    expect(server.logs.every((line) => typeof line.time === 'string' && typeof line.level === 'string')).toBe(true);
  }, 20_000);
});
