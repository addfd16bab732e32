/**
 * Integration: the real bundled server (the file the image runs) against a real PostgreSQL (Debian's packages,
 * started here in a temp dir) and moto_server for S3. The application role is created by the same bootstrap the
 * platform runs (lambda/database-role), never the master user.
 *
 * Generic target (DATABASE_AUTH=files): username and password files, as a mounted Kubernetes Secret; a password
 * the database no longer accepts → a clear failure without the password; the files replaced (the kubelet swaps
 * them atomically) → recovery without restart; a full rotation under a running app → no failed check at all
 * (the password file is read for every new connection); no secret in the service's stdout/stderr.
 *
 * AWS target (DATABASE_AUTH=iam), in process with a frozen clock: the SDK-signed token is what the service sends
 * as the role's password. Plain PostgreSQL cannot check IAM tokens, so the test stands in for RDS by setting the
 * role's password to exactly the token signed for that instant (the token itself is checked against botocore in
 * rds-token.test.ts); 16 minutes later the service signs another token, which is refused: a clear failure without it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { CreateBucketCommand, DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { get, sleep, type Reply } from './helpers';
import { FAKE_AWS_CREDENTIALS, startMoto, type Moto } from '../support/moto';
import { literal, startPostgres, type Postgres } from './postgres';
import { IamTokenCredentials, PostgresProbe, rdsTokenSigner } from '../../app/src/dependencies';
import { ensureDatabaseRole } from '../../lambda/database-role/role';
import { Client } from 'pg';

jest.setTimeout(20_000);

const root = resolve(__dirname, '../..');
const REGION = 'eu-west-1';
const BUCKET = 'platform-web-integration';
const DATABASE = 'app';
const USER = 'web';
const MASTER_PASSWORD = `master-${randomBytes(8).toString('hex')}`;
/** Every password this file hands out: none may appear in a response or a log line. */
const passwords: string[] = [];
const newPassword = (label: string): string => {
  // Characters that need quoting in SQL and escaping in JSON, so both paths are exercised.
  const password = `${label}-${randomBytes(12).toString('hex')}-'q"`;
  passwords.push(password);
  return password;
};

let dir: string | undefined;
let pg: Postgres | undefined;
let moto: Moto | undefined;
let app: ChildProcess | undefined;
let appPort = 0;
let credentialsDir = '';
let s3: S3Client;
const output: string[] = [];
const timings: Record<string, number> = {};

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[name] = Date.now() - started;
  }
}

/** Writes the credentials as the kubelet updates a Secret volume: new files in a fresh directory, then one rename. */
function writeCredentials(username: string, password: string): void {
  const next = join(dir!, `creds-${randomBytes(4).toString('hex')}`);
  mkdirSync(next);
  writeFileSync(join(next, 'username'), `${username}\n`);
  writeFileSync(join(next, 'password'), password);
  rmSync(credentialsDir, { recursive: true, force: true });
  renameSync(next, credentialsDir);
}

/** Runs SQL as the master (the bootstrap's connection) on the application database. */
async function asMaster<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ host: '127.0.0.1', port: pg!.port, user: 'postgres', password: MASTER_PASSWORD, database: DATABASE });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Starts the bundled server with the environment a pod gets (plus the moto endpoint); resolves with its port. */
function startApp(bundle: string): Promise<number> {
  const child = spawn(process.execPath, [bundle], {
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
      DATABASE_CREDENTIALS_DIR: credentialsDir,
      BUCKET_NAME: BUCKET,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: FAKE_AWS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAKE_AWS_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL: moto!.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  app = child;
  createInterface({ input: child.stdout! }).on('line', (line) => output.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not log "listening" within 10 s: ${output.join('\n')}`)), 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening: ${output.join('\n')}`));
    });
    const poll = setInterval(() => {
      const listening = output.map((line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {})).find((line) => line.msg === 'listening');
      if (listening) {
        clearInterval(poll);
        clearTimeout(timer);
        resolvePort(listening.port as number);
      }
    }, 20);
    child.once('exit', () => clearInterval(poll));
  });
}

/** Ends the app's database sessions, as connection recycling eventually does, and waits until they are gone. */
async function endAppSessions(): Promise<void> {
  await pg!.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'platform-web'");
  const deadline = Date.now() + 5000;
  while ((await pg!.sql("SELECT 1 FROM pg_stat_activity WHERE application_name = 'platform-web'")).length > 0) {
    if (Date.now() > deadline) throw new Error('the app sessions did not end within 5 s');
    await sleep(20);
  }
  await sleep(200); // lets the app's pool see the FATAL and drop its idle clients
}

async function check(path: '/api/db' | '/api/bucket'): Promise<Reply & { json: Record<string, unknown> }> {
  const reply = await get(appPort, path);
  for (const password of passwords) expect(reply.body).not.toContain(password);
  return { ...reply, json: JSON.parse(reply.body) as Record<string, unknown> };
}

beforeAll(async () => {
  const started = Date.now();
  dir = mkdtempSync(join(tmpdir(), 'platform-web-it-'));
  const bundle = join(dir, 'server.js');
  const build = () => promisify(execFile)(process.execPath, [join(root, 'app/build.mjs'), bundle], { cwd: root, timeout: 60_000 });
  // In parallel; whatever started is stopped by afterAll even when another part failed.
  const [built, database, aws] = await Promise.allSettled([timed('bundle', build), timed('postgres', startPostgres), timed('moto', () => startMoto())]);
  if (database.status === 'fulfilled') pg = database.value;
  if (aws.status === 'fulfilled') moto = aws.value;
  for (const part of [built, database, aws]) if (part.status === 'rejected') throw part.reason;

  // The platform's order: a database owned by the master, then the bootstrap creates the application role.
  await pg!.sql(`ALTER ROLE postgres PASSWORD ${literal(MASTER_PASSWORD)}`);
  await pg!.sql('CREATE ROLE rds_iam NOLOGIN');
  await pg!.sql(`CREATE DATABASE ${DATABASE}`);
  await asMaster((c) => ensureDatabaseRole(c, { roleName: USER, databaseName: DATABASE, schemaName: USER, iamAuthentication: false }));
  const password = newPassword('initial');
  await pg!.sql(`ALTER ROLE ${USER} PASSWORD ${literal(password)}`); // the operator's part on the generic target
  credentialsDir = join(dir, 'database');
  writeCredentials(USER, password);

  const client = { region: REGION, endpoint: moto!.endpoint, credentials: FAKE_AWS_CREDENTIALS };
  s3 = new S3Client({ ...client, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));

  appPort = await timed('app', () => startApp(bundle));
  timings.setup = Date.now() - started;
}, 120_000);

afterAll(async () => {
  const started = Date.now();
  const exited = app && app.exitCode === null && app.signalCode === null ? new Promise((done) => app!.once('exit', done)) : undefined;
  if (exited) {
    app!.kill('SIGKILL');
    await Promise.race([exited, sleep(5000)]);
  }
  await Promise.allSettled([pg?.stop(), moto?.stop()]);
  s3?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
  timings.teardown = Date.now() - started;
  if (process.env.APP_IT_TIMINGS) console.log(`app integration timings (ms): ${JSON.stringify(timings)}`);
}, 30_000);

describe('bundled server against PostgreSQL (credentials files) and moto (S3)', () => {
  it('reaches the database as its own role with the credentials files (SELECT 1 on the real server) and the bucket', async () => {
    const db = await check('/api/db');
    expect(db.status).toBe(200);
    expect(db.json).toMatchObject({ ok: true });
    // The pool's session is really there, logged in as the secret's user, on the configured database.
    const sessions = await pg!.sql("SELECT usename, datname FROM pg_stat_activity WHERE application_name = 'platform-web'");
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions[0]).toEqual({ usename: USER, datname: DATABASE });

    const bucket = await check('/api/bucket');
    expect(bucket.status).toBe(200);
    expect(bucket.json).toMatchObject({ ok: true });
  });

  it('reports a missing bucket as unreachable, and recovers once it exists again', async () => {
    await s3.send(new DeleteBucketCommand({ Bucket: BUCKET }));
    const missing = await check('/api/bucket');
    expect(missing.status).toBe(503);
    expect(missing.json).toMatchObject({ ok: false, detail: expect.stringMatching(/NotFound.*404/) });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    expect((await check('/api/bucket')).status).toBe(200);
  });

  it('a password the database no longer accepts: a clear failure naming the user, never the password', async () => {
    // The database moves to a new password; the files still hold the old one (the Secret not yet updated) and
    // the app's sessions end.
    const rotated = newPassword('rotated');
    await pg!.sql(`ALTER ROLE ${USER} PASSWORD ${literal(rotated)}`);
    await endAppSessions();

    for (let i = 0; i < 2; i += 1) {
      const db = await check('/api/db');
      expect(db.status).toBe(503);
      expect(db.json.ok).toBe(false);
      expect(db.json.detail).toBe(`database authentication failed (28P01): password authentication failed for user "${USER}"; the credentials files are re-read on the next check`);
    }

    // The Secret catches up (the kubelet swaps the files): the next connection reads them, no restart.
    writeCredentials(USER, rotated);
    const recovered = await check('/api/db');
    expect(recovered.status).toBe(200);
    expect(recovered.json).toMatchObject({ ok: true });
  });

  it('a full rotation (database and Secret) under the running app: not a single failed login', async () => {
    const next = newPassword('next');
    await pg!.sql(`ALTER ROLE ${USER} PASSWORD ${literal(next)}`);
    writeCredentials(USER, next);
    await endAppSessions(); // new connections need the new password
    const failures = () => pg!.log().split(`password authentication failed for user "${USER}"`).length - 1;
    const failuresBefore = failures();

    const db = await check('/api/db');
    expect(db.status).toBe(200);
    expect(db.json).toMatchObject({ ok: true });
    expect(failures()).toBe(failuresBefore); // the password file is read for every new connection
  });

  it('credentials files that are gone: a clear failure naming the file, and recovery once they are back', async () => {
    const current = passwords[passwords.length - 1];
    rmSync(credentialsDir, { recursive: true, force: true });
    await endAppSessions();
    const db = await check('/api/db');
    expect(db.status).toBe(503);
    expect(db.json.detail).toBe(`cannot read database credentials file ${join(credentialsDir, 'password')}: ENOENT`);
    writeCredentials(USER, current);
    expect((await check('/api/db')).status).toBe(200);
  });

  it('stops on SIGTERM and never logged a secret', async () => {
    const exited = new Promise<number | null>((done) => app!.once('exit', (code) => done(code)));
    app!.kill('SIGTERM');
    expect(await exited).toBe(0);

    expect(output.length).toBeGreaterThan(0);
    const lines = output.map((line) => JSON.parse(line) as Record<string, unknown>); // every line is JSON
    expect(lines.filter((line) => line.msg === 'request').map((line) => `${line.path} ${line.status}`)).toEqual(
      expect.arrayContaining(['/api/db 200', '/api/db 503', '/api/bucket 200', '/api/bucket 503']),
    );
    const all = output.join('\n');
    for (const secret of [...passwords, FAKE_AWS_CREDENTIALS.secretAccessKey]) expect(all).not.toContain(secret);
    expect(passwords.length).toBe(3);
  });
});

describe('IAM database authentication (in process, frozen clock)', () => {
  const IAM_USER = 'web_iam';
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const now = new Date('2026-12-01T12:00:00Z');
  const sign = () => rdsTokenSigner({ hostname: '127.0.0.1', port: pg!.port, username: IAM_USER, region: REGION, credentials })();
  const freeze = (at: Date) =>
    jest.useFakeTimers({
      now: at,
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'],
    });
  afterEach(() => jest.useRealTimers());

  it('connects as the bootstrapped IAM role with the signed token; a token from 16 minutes later is refused clearly, without the token', async () => {
    await asMaster((c) => ensureDatabaseRole(c, { roleName: IAM_USER, databaseName: DATABASE, schemaName: IAM_USER, iamAuthentication: true }));
    expect(
      await pg!.sql(`SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = '${IAM_USER}'`),
    ).toEqual([{ rolname: 'rds_iam' }]);
    freeze(now);
    const token = await sign();
    // Standing in for RDS's IAM check: this exact token (and no other) logs the role in.
    await pg!.sql(`ALTER ROLE ${IAM_USER} PASSWORD ${literal(token)}`);
    const probe = new PostgresProbe(
      { host: '127.0.0.1', port: pg!.port, name: DATABASE, ssl: 'disable', credentials: { kind: 'iam', username: IAM_USER } },
      new IamTokenCredentials(IAM_USER, sign),
    );
    try {
      expect(await probe.check()).toMatchObject({ ok: true });
      const sessions = await pg!.sql("SELECT usename FROM pg_stat_activity WHERE application_name = 'platform-web' AND usename = $1", [IAM_USER]);
      expect(sessions.length).toBeGreaterThan(0);

      // The token expired: a new connection signs a new one, which the database refuses.
      await probe.close();
      freeze(new Date(now.getTime() + 16 * 60_000));
      const expired = await probe.check();
      expect(expired.ok).toBe(false);
      expect(expired.detail).toBe(
        `database authentication failed (28P01): password authentication failed for user "${IAM_USER}"; the next connection signs a new IAM token; check rds-db:connect for this user and that it is a member of rds_iam`,
      );
      expect(JSON.stringify(expired)).not.toContain(token.split('X-Amz-Signature=')[1]);
      expect(JSON.stringify(expired)).not.toContain('X-Amz');
    } finally {
      await probe.close();
    }
  });
});
