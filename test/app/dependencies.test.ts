import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PostgresProbe, S3BucketProbe, SecretsManagerCredentials, StaticCredentials } from '../../app/src/dependencies';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';

describe('SecretsManagerCredentials', () => {
  it('reads the RDS-generated JSON once and caches it', async () => {
    const read = jest.fn(async () => JSON.stringify({ username: 'web', password: 'p@ss', engine: 'postgres', host: 'h', port: 5432 }));
    const source = new SecretsManagerCredentials(ARN, read);
    await expect(source.get()).resolves.toEqual({ username: 'web', password: 'p@ss' });
    await source.get();
    expect(read).toHaveBeenCalledTimes(1);
    expect(read).toHaveBeenCalledWith(ARN);
    source.invalidate();
    await source.get();
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('explains a malformed secret without echoing it, and retries later', async () => {
    const read = jest.fn().mockResolvedValueOnce('not json: hunter2').mockResolvedValueOnce('{"username":"web"}').mockResolvedValueOnce('{"username":"u","password":"p"}');
    const source = new SecretsManagerCredentials(ARN, read);
    await expect(source.get()).rejects.toThrow(`secret ${ARN} is not JSON`);
    await expect(source.get()).rejects.toThrow(/lacks string "username" and "password"/);
    await expect(source.get()).resolves.toEqual({ username: 'u', password: 'p' });
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

describe('PostgresProbe', () => {
  it('reports an unreachable database as not ok, within its timeout', async () => {
    // A port that accepts TCP but never speaks the PostgreSQL protocol.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const probe = new PostgresProbe(
      { host: '127.0.0.1', port, name: 'app', ssl: 'disable', credentials: { kind: 'static', username: 'u', password: 'p' } },
      new StaticCredentials({ username: 'u', password: 'p' }),
      300,
    );
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
    const credentials = { get: jest.fn().mockResolvedValue({ username: 'u', password: 'p' }) };
    // Port 1 on loopback refuses at once: the checks fail fast, after the pool was created.
    const probe = new PostgresProbe({ host: '127.0.0.1', port: 1, name: 'app', ssl: 'disable', credentials: { kind: 'static', username: 'u', password: 'p' } }, credentials, 300);
    const results = await Promise.all([probe.check(), probe.check(), probe.check()]);
    expect(results.map((result) => result.ok)).toEqual([false, false, false]);
    expect(credentials.get).toHaveBeenCalledTimes(1);
    await probe.close();
  });
});
