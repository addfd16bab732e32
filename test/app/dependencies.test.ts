import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { FileCredentials, PostgresProbe, S3BucketProbe, type CredentialsSource } from '../../app/src/dependencies';
import { FAKE_AWS_CREDENTIALS, startMoto, type Moto } from '../support/moto';

const STATIC: CredentialsSource = { failureHint: 'test', login: async () => ({ username: 'u', password: async () => 'p' }) };

describe('FileCredentials', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'platform-web-creds-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads username and password files, the password again for every connection (a rotated Secret is followed)', async () => {
    writeFileSync(join(dir, 'username'), 'web\n');
    writeFileSync(join(dir, 'password'), 'first password\n');
    const login = await new FileCredentials(dir).login();
    expect(login.username).toBe('web');
    await expect(login.password()).resolves.toBe('first password'); // trailing newline dropped, inner space kept
    writeFileSync(join(dir, 'password'), 'second');
    await expect(login.password()).resolves.toBe('second');
  });

  it('explains a missing or empty file by its path, never by content', async () => {
    await expect(new FileCredentials(dir).login()).rejects.toThrow(`cannot read database credentials file ${join(dir, 'username')}: ENOENT`);
    writeFileSync(join(dir, 'username'), 'web');
    writeFileSync(join(dir, 'password'), '\n');
    const login = await new FileCredentials(dir).login();
    await expect(login.password()).rejects.toThrow(`${join(dir, 'password')} is empty`);
  });
});

describe('S3BucketProbe', () => {
  it('reports HeadBucket success and failure', async () => {
    const ok = new S3BucketProbe({ send: jest.fn().mockResolvedValue({}) } as never, 'assets');
    await expect(ok.check()).resolves.toMatchObject({ ok: true });
    const denied = Object.assign(new Error('Forbidden'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const failing = new S3BucketProbe({ send: jest.fn().mockRejectedValue(denied) } as never, 'assets');
    await expect(failing.check()).resolves.toMatchObject({ ok: false, detail: 'AccessDenied (HTTP 403)' });
  });
});

describe('S3BucketProbe with a granted prefix (moto_server)', () => {
  let moto: Moto;
  let s3: S3Client;
  const sent: object[] = [];
  const recording = { send: (command: never) => (sent.push(command), s3.send(command)) } as unknown as S3Client;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client({ region: 'eu-west-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: FAKE_AWS_CREDENTIALS });
    await s3.send(new CreateBucketCommand({ Bucket: 'platform-dev-data', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    await s3.send(new PutObjectCommand({ Bucket: 'platform-dev-data', Key: 'web/a.txt', Body: 'a' }));
  }, 60_000);
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });
  beforeEach(() => sent.splice(0));

  it('lists at most one key under the prefix instead of HeadBucket (the grant allows s3:ListBucket only there)', async () => {
    await expect(new S3BucketProbe(recording, 'platform-dev-data', 'web/').check()).resolves.toMatchObject({ ok: true });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(ListObjectsV2Command);
    expect((sent[0] as ListObjectsV2Command).input).toEqual({ Bucket: 'platform-dev-data', Prefix: 'web/', MaxKeys: 1 });
    // An empty prefix (nothing stored yet) is a healthy bucket too.
    await expect(new S3BucketProbe(recording, 'platform-dev-data', 'worker/').check()).resolves.toMatchObject({ ok: true });
  });

  it('without a prefix, checks the bucket with HeadBucket', async () => {
    await expect(new S3BucketProbe(recording, 'platform-dev-data').check()).resolves.toMatchObject({ ok: true });
    expect(sent[0]).toBeInstanceOf(HeadBucketCommand);
  });

  it('reports a missing bucket as not ok, naming the error and status', async () => {
    await expect(new S3BucketProbe(recording, 'platform-dev-missing', 'web/').check()).resolves.toMatchObject({ ok: false, detail: 'NoSuchBucket (HTTP 404)' });
  });
});

describe('PostgresProbe', () => {
  it('reports an unreachable database as not ok, within its timeout', async () => {
    // A port that accepts TCP but never speaks the PostgreSQL protocol.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const probe = new PostgresProbe({ host: '127.0.0.1', port, name: 'app', ssl: 'disable', credentials: { kind: 'files', directory: '/nonexistent' } }, STATIC, 300);
    const started = Date.now();
    const result = await probe.check();
    expect(result.ok).toBe(false);
    expect(result.detail).toBeDefined();
    expect(JSON.stringify(result)).not.toContain('"p"');
    expect(Date.now() - started).toBeLessThan(3000);
    await probe.close();
    silent.close();
  });

  it('shares one pool between concurrent first checks (credentials read once)', async () => {
    const credentials = { failureHint: 'test', login: jest.fn().mockResolvedValue({ username: 'u', password: async () => 'p' }) };
    // Port 1 on loopback refuses at once: the checks fail fast, after the pool was created.
    const probe = new PostgresProbe({ host: '127.0.0.1', port: 1, name: 'app', ssl: 'disable', credentials: { kind: 'files', directory: '/nonexistent' } }, credentials, 300);
    const results = await Promise.all([probe.check(), probe.check(), probe.check()]);
    expect(results.map((result) => result.ok)).toEqual([false, false, false]);
    expect(credentials.login).toHaveBeenCalledTimes(1);
    await probe.close();
  });
});
