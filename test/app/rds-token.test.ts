/**
 * The service's RDS IAM token (the AWS SDK's @aws-sdk/rds-signer, through `rdsTokenSigner`) against a known-good
 * vector from an independent implementation: botocore's `generate_db_auth_token` (installed with moto), with the
 * same fixed credentials and clock.
 */
import { execFileSync } from 'node:child_process';
import { IamTokenCredentials, rdsTokenSigner } from '../../app/src/dependencies';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const NOW = new Date('2026-12-01T12:34:56Z');
const TARGET = { hostname: 'platform-dev.abcdefghijkl.eu-west-1.rds.amazonaws.com', port: 5432, username: 'web', region: 'eu-west-1' };

/** botocore's token for TARGET at NOW with CREDENTIALS. */
function botocoreToken(): string {
  const script = `
import datetime, sys
from unittest import mock
import botocore.session
session = botocore.session.get_session()
session.set_credentials(${JSON.stringify(CREDENTIALS.accessKeyId)}, ${JSON.stringify(CREDENTIALS.secretAccessKey)})
client = session.create_client('rds', region_name=${JSON.stringify(TARGET.region)})
now = datetime.datetime(2026, 12, 1, 12, 34, 56, tzinfo=datetime.timezone.utc)
with mock.patch('botocore.auth.get_current_datetime', return_value=now):
    sys.stdout.write(client.generate_db_auth_token(${JSON.stringify(TARGET.hostname)}, ${TARGET.port}, ${JSON.stringify(TARGET.username)}))
`;
  return execFileSync('python3', ['-c', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' },
  });
}

/** Host and query parameters, in a stable order (the two implementations may order the query differently). */
function parts(token: string): { host: string; params: Array<[string, string]> } {
  const url = new URL(`https://${token}`);
  return { host: url.host, params: [...url.searchParams.entries()].sort(([a], [b]) => a.localeCompare(b)) };
}

describe('RDS IAM authentication token', () => {
  afterEach(() => jest.useRealTimers());

  it('matches botocore generate_db_auth_token for the same credentials, target and time', async () => {
    const expected = botocoreToken();
    // Only Date is frozen: the signer's promises and timers keep running.
    jest.useFakeTimers({
      now: NOW,
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'],
    });
    const token = await rdsTokenSigner({ ...TARGET, credentials: CREDENTIALS })();
    expect(parts(token)).toEqual(parts(expected));
    const params = Object.fromEntries(parts(token).params);
    expect(params).toMatchObject({
      Action: 'connect',
      DBUser: 'web',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261201/eu-west-1/rds-db/aws4_request',
      'X-Amz-Date': '20261201T123456Z',
      'X-Amz-Expires': '900',
      'X-Amz-SignedHeaders': 'host',
    });
    expect(params['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(token.startsWith(`${TARGET.hostname}:5432/?`)).toBe(true); // no scheme, as RDS expects
  });

  it('signs a different token for another user or another minute (a token is bound to both)', async () => {
    jest.useFakeTimers({
      now: NOW,
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'],
    });
    const first = await rdsTokenSigner({ ...TARGET, credentials: CREDENTIALS })();
    const otherUser = await rdsTokenSigner({ ...TARGET, username: 'admin', credentials: CREDENTIALS })();
    jest.setSystemTime(new Date(NOW.getTime() + 60_000));
    const later = await rdsTokenSigner({ ...TARGET, credentials: CREDENTIALS })();
    expect(new Set([first, otherUser, later]).size).toBe(3);
  });

  it('IamTokenCredentials logs in as the role with a fresh token per connection, never a stored password', async () => {
    let n = 0;
    const source = new IamTokenCredentials('web', async () => `token-${++n}`);
    const login = await source.login();
    expect(login.username).toBe('web');
    await expect(login.password()).resolves.toBe('token-1');
    await expect(login.password()).resolves.toBe('token-2');
  });
});
