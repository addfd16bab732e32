/**
 * The work queue end to end on a real PostgreSQL (Debian's packages, as database.integration.test.ts), with each
 * mode's database role made by the platform's own bootstrap (lambda/database-role): `web` owns schema web, `worker`
 * and `prune` have readWrite on it and no schema of their own. The three modes run as the bundled file the image
 * runs, as child processes:
 *
 * web records work (and creates the table it owns) → two workers in parallel never take the same item (SKIP
 * LOCKED, in process so the test can hold a batch open) → the bundled worker processes what web records, reports
 * health and metrics, and stops on SIGTERM with exit 0 → prune deletes only processed items older than
 * PRUNE_AFTER_SECONDS and exits 0, or exits 1 with a logged error and no secret when it cannot log in.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { DatabaseConnection, FileCredentials } from '../../app/src/dependencies';
import { WORKER_METRIC_NAMES } from '../../app/src/metrics';
import { WorkQueue, type ClaimedItem } from '../../app/src/work-queue';
import { parseExposition } from '../../deploy/canary/verdict';
import { ensureDatabaseRole } from '../../lambda/database-role/role';
import { get, send, sleep } from './helpers';
import { literal, startPostgres, type Postgres } from './postgres';

jest.setTimeout(30_000);

const root = resolve(__dirname, '../..');
const DATABASE = 'app';
const MASTER_PASSWORD = `master-${randomBytes(8).toString('hex')}`;
/** Every password handed out here: none may appear in any output of the app. */
const passwords: Record<string, string> = {};

let dir = '';
let bundle = '';
let pg: Postgres | undefined;
const children: ChildProcess[] = [];

interface Running {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  raw: string[];
  waitFor(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/** Runs the bundle in a mode with a role's credentials files, as its pod would. */
function run(mode: string | undefined, role: string, env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, mode ? [bundle, mode] : [bundle], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      METRICS_PORT: '0',
      APP_ENV: 'test',
      DATABASE_HOST: '127.0.0.1',
      DATABASE_PORT: String(pg!.port),
      DATABASE_NAME: DATABASE,
      DATABASE_SSL: 'disable',
      DATABASE_AUTH: 'files',
      DATABASE_CREDENTIALS_DIR: join(dir, role),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const logs: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const take = (text: string) => {
    raw.push(text);
    logs.push(JSON.parse(text) as Record<string, unknown>); // every line is JSON, or the test fails here
  };
  createInterface({ input: child.stdout! }).on('line', take);
  createInterface({ input: child.stderr! }).on('line', take);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const waitFor = async (msg: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = logs.find((l) => l.msg === msg);
      if (line) return line;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no "${msg}" log line (exit ${child.exitCode}): ${raw.join('\n')}`);
      await sleep(20);
    }
  };
  return { child, logs, raw, waitFor, exited };
}

/** Writes a role's credentials as a mounted Secret would hold them. */
function writeCredentials(role: string, password: string): void {
  mkdirSync(join(dir, role), { recursive: true });
  writeFileSync(join(dir, role, 'username'), `${role}\n`);
  writeFileSync(join(dir, role, 'password'), password);
}

async function asMaster<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ host: '127.0.0.1', port: pg!.port, user: 'postgres', password: MASTER_PASSWORD, database: DATABASE });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
const inApp = (text: string) => asMaster(async (c) => (await c.query(text)).rows as Array<Record<string, unknown>>);

/** The queue as a role sees it, in process. */
function queueAs(role: string): { queue: WorkQueue; connection: DatabaseConnection } {
  const connection = new DatabaseConnection(
    { host: '127.0.0.1', port: pg!.port, name: DATABASE, ssl: 'disable', credentials: { kind: 'files', directory: join(dir, role) } },
    new FileCredentials(join(dir, role)),
    { applicationName: `test-${role}` },
  );
  return { queue: new WorkQueue((work) => connection.run(work)), connection };
}

const expectNoSecrets = (running: Running) => {
  const all = running.raw.join('\n');
  for (const secret of [...Object.values(passwords), MASTER_PASSWORD]) expect(all).not.toContain(secret);
  expect(all).not.toMatch(/\n\s+at /); // no stack trace
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'platform-work-it-'));
  bundle = join(dir, 'server.js');
  const build = promisify(execFile)(process.execPath, [join(root, 'app/build.mjs'), bundle], { cwd: root, timeout: 60_000 });
  const [built, database] = await Promise.allSettled([build, startPostgres()]);
  if (database.status === 'fulfilled') pg = database.value;
  for (const part of [built, database]) if (part.status === 'rejected') throw part.reason;

  await pg!.sql(`ALTER ROLE postgres PASSWORD ${literal(MASTER_PASSWORD)}`);
  await pg!.sql('CREATE ROLE rds_iam NOLOGIN');
  await pg!.sql(`CREATE DATABASE ${DATABASE}`);
  // The platform's order: the owner of the schema first, then the roles granted on it.
  await asMaster((c) => ensureDatabaseRole(c, { roleName: 'web', databaseName: DATABASE, schemaName: 'web', iamAuthentication: false }));
  for (const role of ['worker', 'prune']) {
    await asMaster((c) => ensureDatabaseRole(c, { roleName: role, databaseName: DATABASE, grants: [{ schema: 'web', access: 'readWrite' }], iamAuthentication: false }));
  }
  for (const role of ['web', 'worker', 'prune']) {
    passwords[role] = `${role}-${randomBytes(12).toString('hex')}`;
    await pg!.sql(`ALTER ROLE ${role} PASSWORD ${literal(passwords[role])}`); // the operator's part on the generic target
    writeCredentials(role, passwords[role]);
  }
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('web records, workers process, prune deletes (real PostgreSQL, the bundled modes)', () => {
  let web: Running;
  let webPort = 0;
  const post = async (payload: string) => {
    const reply = await send(webPort, '/work', 'POST', { payload });
    expect(reply.status).toBe(202);
    return (JSON.parse(reply.body) as { id: string }).id;
  };
  const item = async (id: string) => JSON.parse((await get(webPort, `/work/${id}`)).body) as Record<string, unknown>;

  it('web creates the table it owns at start-up and records work (202, then 200 with the item)', async () => {
    web = run(undefined, 'web');
    await web.waitFor('work queue ready');
    webPort = (await web.waitFor('listening')).port as number;
    expect(await inApp("SELECT schemaname, tableowner FROM pg_tables WHERE tablename = 'work_items'")).toEqual([{ schemaname: 'web', tableowner: 'web' }]);
    const id = await post('first');
    expect(await item(id)).toEqual({ id, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), processedAt: null, processedBy: null });
    expect((await get(webPort, '/work/999999')).status).toBe(404);
  });

  it('two workers in parallel never take the same item (FOR UPDATE SKIP LOCKED)', async () => {
    for (let i = 0; i < 11; i += 1) await post(`item ${i}`);
    const pending = (await inApp('SELECT id FROM web.work_items WHERE processed_at IS NULL ORDER BY id')).map((row) => String(row.id));
    expect(pending.length).toBe(12);
    const a = queueAs('worker');
    const b = queueAs('worker');
    try {
      // A claims a batch and holds it open; B, meanwhile, gets the next ones and does not wait for A's.
      let release!: () => void;
      const held = new Promise<void>((done) => (release = done));
      let claimedByA: readonly ClaimedItem[] = [];
      const batchA = a.queue.processBatch(5, 'worker-a', async (items) => {
        claimedByA = items;
        await held;
      });
      while (claimedByA.length === 0) await sleep(10);
      const claimedByB: string[] = [];
      const countB = await b.queue.processBatch(5, 'worker-b', async (items) => void claimedByB.push(...items.map((i) => i.id)));
      expect(countB).toBe(5);
      expect(claimedByA.map((i) => i.id)).toEqual(pending.slice(0, 5));
      expect(claimedByB).toEqual(pending.slice(5, 10));
      // While A holds its five, the rest is two: B takes them, never one of A's.
      expect(await b.queue.processBatch(5, 'worker-b', async (items) => void claimedByB.push(...items.map((i) => i.id)))).toBe(2);
      expect(await b.queue.processBatch(5, 'worker-b')).toBe(0);
      release();
      expect(await batchA).toBe(5);

      // Then both loop as fast as they can over 150 more: every item exactly once.
      for (let i = 0; i < 150; i += 1) await post(`bulk ${i}`);
      const seen = { a: [] as string[], b: [] as string[] };
      const drain = async (queue: WorkQueue, name: 'a' | 'b') => {
        while ((await queue.processBatch(7, `worker-${name}`, async (items) => void seen[name].push(...items.map((i) => i.id)))) > 0);
      };
      await Promise.all([drain(a.queue, 'a'), drain(b.queue, 'b')]);
      const all = [...seen.a, ...seen.b];
      expect(all.length).toBe(150);
      expect(new Set(all).size).toBe(150);
      expect(seen.a.length).toBeGreaterThan(0);
      expect(seen.b.length).toBeGreaterThan(0);
      const byWorker = await inApp("SELECT processed_by, count(*)::int AS n FROM web.work_items WHERE payload LIKE 'bulk %' GROUP BY 1 ORDER BY 1");
      expect(byWorker).toEqual([
        { processed_by: 'worker-a', n: seen.a.length },
        { processed_by: 'worker-b', n: seen.b.length },
      ]);
    } finally {
      await Promise.all([a.connection.close(), b.connection.close()]);
    }
  });

  it('the bundled worker processes what web records, is healthy and ready, counts it, and stops on SIGTERM with exit 0', async () => {
    const worker = run('worker', 'worker', { WORKER_POLL_MS: '50', WORKER_BATCH_SIZE: '3', SHUTDOWN_TIMEOUT_SECONDS: '5' });
    const healthPort = (await worker.waitFor('worker started')).port as number;
    const metricsPort = (await worker.waitFor('metrics listening')).port as number;
    const ids = [await post('for the worker 1'), await post('for the worker 2'), await post('for the worker 3'), await post('for the worker 4')];
    const deadline = Date.now() + 10_000;
    while ((await Promise.all(ids.map(item))).some((i) => i.processedAt === null)) {
      if (Date.now() > deadline) throw new Error(`not processed within 10 s: ${worker.raw.join('\n')}`);
      await sleep(50);
    }
    for (const id of ids) expect(await item(id)).toMatchObject({ id, processedAt: expect.stringMatching(/^\d{4}-/), processedBy: hostname() });
    expect(await get(healthPort, '/healthz')).toMatchObject({ status: 200, body: '{"status":"ok"}' });
    expect((await get(healthPort, '/readyz')).status).toBe(200);
    const samples = parseExposition((await get(metricsPort, '/metrics')).body);
    expect(samples.find((s) => s.name === WORKER_METRIC_NAMES.processed)?.value).toBe(4);
    expect(samples.find((s) => s.name === WORKER_METRIC_NAMES.failed)?.value).toBe(0);
    // Its sessions are its own role's, never web's or the master's.
    expect(await pg!.sql("SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = 'platform-worker'")).toEqual([{ usename: 'worker' }]);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.logs.find((l) => l.msg === 'shutdown complete')).toMatchObject({ reason: 'SIGTERM', outcome: 'finished', exitCode: 0 });
    expect(worker.logs.filter((l) => l.msg === 'batch processed').reduce((n, l) => n + (l.items as number), 0)).toBe(4);
    expectNoSecrets(worker);
  });

  it('a worker that cannot log in: alive but not ready, and no secret in its logs', async () => {
    writeCredentials('wrong', 'not-the-password');
    const worker = run('worker', 'wrong', { WORKER_POLL_MS: '50' });
    const healthPort = (await worker.waitFor('worker started')).port as number;
    await worker.waitFor('batch failed');
    expect((await get(healthPort, '/healthz')).status).toBe(200);
    expect((await get(healthPort, '/readyz')).status).toBe(503);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.logs.find((l) => l.msg === 'batch failed')).toMatchObject({ error: { message: 'password authentication failed for user "wrong"' } });
    expectNoSecrets(worker);
  });

  it('prune deletes only processed items older than PRUNE_AFTER_SECONDS, logs the count and exits 0', async () => {
    const old = await post('old, processed');
    const oldUnprocessed = await post('old, never processed');
    const recent = await post('recent, processed');
    await inApp(`UPDATE web.work_items SET processed_at = now() - interval '8 days', processed_by = 'w' WHERE id = ${old}`);
    await inApp(`UPDATE web.work_items SET created_at = now() - interval '30 days' WHERE id = ${oldUnprocessed}`);
    await inApp(`UPDATE web.work_items SET processed_at = now() - interval '6 days', processed_by = 'w' WHERE id = ${recent}`);
    // Everything processed before this test is recent (minutes old), but a day's setting shows the cut-off.
    await inApp("UPDATE web.work_items SET processed_at = now() - interval '2 days' WHERE payload = 'first'");
    const expected = Number((await inApp("SELECT count(*) AS n FROM web.work_items WHERE processed_at < now() - interval '7 days'"))[0].n);
    expect(expected).toBe(1);

    const prune = run('prune', 'prune');
    expect(await prune.exited).toBe(0);
    expect(prune.logs.filter((l) => l.level !== 'debug').map((l) => [l.msg, l.deleted, l.olderThanSeconds])).toEqual([['pruned', 1, 604_800]]);
    expect((await get(webPort, `/work/${old}`)).status).toBe(404);
    expect((await get(webPort, `/work/${oldUnprocessed}`)).status).toBe(200);
    expect((await get(webPort, `/work/${recent}`)).status).toBe(200);

    const dayOld = run('prune', 'prune', { PRUNE_AFTER_SECONDS: '86400' });
    expect(await dayOld.exited).toBe(0);
    expect(dayOld.logs.find((l) => l.msg === 'pruned')).toMatchObject({ deleted: 2, olderThanSeconds: 86_400 }); // recent (6 days) and first (2 days)
    expect(await inApp('SELECT count(*)::int AS n FROM web.work_items WHERE processed_at IS NULL')).toEqual([{ n: 1 }]);
    expectNoSecrets(prune);
  });

  it('prune exits 1 with a logged error, without a stack or a secret, when it cannot log in', async () => {
    writeCredentials('prune', 'a-stale-password');
    const prune = run('prune', 'prune');
    expect(await prune.exited).toBe(1);
    expect(prune.logs).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'prune failed',
        error: expect.objectContaining({ message: 'password authentication failed for user "prune"', code: '28P01' }),
      }),
    ]);
    expect(prune.raw.join('\n')).not.toContain('a-stale-password');
    expectNoSecrets(prune);
    writeCredentials('prune', passwords.prune);
  });

  it('web stops on SIGTERM with exit 0 and never logged a secret', async () => {
    web.child.kill('SIGTERM');
    expect(await web.exited).toBe(0);
    expectNoSecrets(web);
  });
});

describe("migrate: web's migration Job (real PostgreSQL, the bundled mode; after web created its table at start-up)", () => {
  it("migrate brings the schema up to date as web's role, twice over (idempotent), and exits 0; the queue works on", async () => {
    const index = "SELECT indexname FROM pg_indexes WHERE schemaname = 'web' AND indexname = 'work_items_unprocessed'";
    expect(await inApp(index)).toEqual([]); // web created the table at start-up, not the index
    for (let i = 0; i < 2; i += 1) {
      const migrate = run('migrate', 'web');
      expect(await migrate.exited).toBe(0);
      expect(migrate.logs.filter((l) => l.level !== 'debug').map((l) => [l.msg, l.statements])).toEqual([['migrated', 2]]);
      expectNoSecrets(migrate);
    }
    expect(await inApp(index)).toEqual([{ indexname: 'work_items_unprocessed' }]);
    expect(await inApp("SELECT tableowner FROM pg_tables WHERE tablename = 'work_items'")).toEqual([{ tableowner: 'web' }]);
    const web = queueAs('web');
    try {
      expect(await web.queue.add('after the migration')).toMatch(/^\d+$/);
    } finally {
      await web.connection.close();
    }
  });

  it('migrate exits 1 with a logged error, without a stack or a secret, as a role that does not own the schema', async () => {
    await inApp('DROP INDEX web.work_items_unprocessed');
    const migrate = run('migrate', 'worker');
    expect(await migrate.exited).toBe(1);
    expect(migrate.logs).toEqual([
      expect.objectContaining({ level: 'error', msg: 'migration failed', error: expect.objectContaining({ message: 'permission denied for schema web', code: '42501' }) }),
    ]);
    expectNoSecrets(migrate);
  });
});
