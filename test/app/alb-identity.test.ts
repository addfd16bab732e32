/**
 * The ALB's x-amzn-oidc-data header, verified as AWS documents it, with a locally generated P-256 key pair served
 * by a local key endpoint (the shape of https://public-keys.auth.elb.<region>.amazonaws.com/<kid>: a PEM body).
 * Cases: valid, expired, wrong signer, tampered, missing, plus the attacks a JWT verifier must refuse.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlbIdentityVerifier, httpsKeyFetcher } from '../../app/src/alb-identity';
import { parseConfig } from '../../app/src/config';
import { createLogger } from '../../app/src/logger';
import { createApp, type App } from '../../app/src/server';

const SIGNER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/platform-dev-web/50dc6c495c0c9188';
const SIGNER_PATTERN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/platform-dev-web/*';
const KID = '0b7e2f4c-1d2a-4c3b-9e8f-123456789abc';
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

const alb = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** Base64url as the ALB writes it: with `=` padding (standard JWT libraries reject that; AWS documents it). */
const segment = (value: object, padded = true) => {
  const text = Buffer.from(JSON.stringify(value)).toString('base64url');
  return padded ? text.padEnd(Math.ceil(text.length / 4) * 4, '=') : text;
};

function jwt(options: { header?: Record<string, unknown>; payload?: Record<string, unknown>; key?: KeyObject } = {}): string {
  const exp = NOW / 1000 + 120;
  const header = { alg: 'ES256', kid: KID, signer: SIGNER, iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf', client: 'client-id', exp, ...options.header };
  const payload = { sub: '7f1c0000-aaaa-bbbb-cccc-0123456789ab', email: 'ada@example.com', username: 'ada', exp, iss: header.iss, ...options.payload };
  const signed = `${segment(header)}.${segment(payload)}`;
  const signature = sign('sha256', Buffer.from(signed), { key: options.key ?? alb.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signed}.${signature.toString('base64url')}`;
}

let keyServer: Server;
let keysUrl = '';
const keyRequests: string[] = [];

beforeAll(async () => {
  keyServer = createServer((req, res) => {
    keyRequests.push(req.url ?? '');
    if (req.url === `/${KID}`) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(alb.publicKey.export({ type: 'spki', format: 'pem' }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  keysUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => keyServer.close(resolve)));
beforeEach(() => (keyRequests.length = 0));

const verifier = (signer = SIGNER_PATTERN, now = NOW) => new AlbIdentityVerifier({ signer, publicKeysUrl: keysUrl, fetchKey: httpsKeyFetcher(2000), now: () => now });

describe('AlbIdentityVerifier', () => {
  it('accepts a valid header (padded segments) and returns the user', async () => {
    const result = await verifier().verify(jwt());
    expect(result).toEqual({ ok: true, user: { sub: '7f1c0000-aaaa-bbbb-cccc-0123456789ab', email: 'ada@example.com', username: 'ada', expiresAt: '2026-12-01T12:02:00.000Z' } });
    expect(keyRequests).toEqual([`/${KID}`]);
    // An exact ARN works too.
    expect((await verifier(SIGNER).verify(jwt())).ok).toBe(true);
  });

  it('fetches a key once per kid', async () => {
    const v = verifier();
    await v.verify(jwt());
    await v.verify(jwt());
    expect(keyRequests).toEqual([`/${KID}`]);
  });

  it('refuses a missing header', async () => {
    await expect(verifier().verify(undefined)).resolves.toEqual({ ok: false, reason: 'no x-amzn-oidc-data header' });
    await expect(verifier().verify('')).resolves.toEqual({ ok: false, reason: 'no x-amzn-oidc-data header' });
    await expect(verifier().verify([jwt(), jwt()])).resolves.toEqual({ ok: false, reason: 'more than one x-amzn-oidc-data header' });
  });

  it('refuses an expired header (30 s clock skew allowed)', async () => {
    const expired = jwt({ header: { exp: NOW / 1000 - 31 }, payload: { exp: NOW / 1000 - 31 } });
    await expect(verifier().verify(expired)).resolves.toEqual({ ok: false, reason: 'expired at 2026-12-01T11:59:29.000Z' });
    expect((await verifier().verify(jwt({ header: { exp: NOW / 1000 - 10 }, payload: { exp: NOW / 1000 - 10 } }))).ok).toBe(true);
    // An expired payload is not rescued by a later header exp.
    expect(await verifier().verify(jwt({ payload: { exp: NOW / 1000 - 100 } }))).toMatchObject({ ok: false, reason: expect.stringMatching(/^expired at/) });
    expect(await verifier().verify(jwt({ header: { exp: undefined }, payload: { exp: undefined } }))).toEqual({ ok: false, reason: 'exp missing' });
  });

  it('refuses another load balancer as signer, without fetching a key', async () => {
    const other = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/attacker-web/50dc6c495c0c9188';
    await expect(verifier().verify(jwt({ header: { signer: other } }))).resolves.toEqual({ ok: false, reason: 'signer is not this load balancer' });
    const otherAccount = SIGNER.replace('123456789012', '210987654321');
    await expect(verifier().verify(jwt({ header: { signer: otherAccount } }))).resolves.toMatchObject({ ok: false });
    // The pattern's "*" is one load balancer ID, nothing more.
    await expect(verifier().verify(jwt({ header: { signer: `${SIGNER}/extra` } }))).resolves.toMatchObject({ ok: false });
    await expect(verifier(SIGNER).verify(jwt({ header: { signer: SIGNER.replace('9188', '9189') } }))).resolves.toMatchObject({ ok: false });
    expect(keyRequests).toEqual([]);
  });

  it('refuses a tampered header: changed payload, changed header, or another key under the same kid', async () => {
    const [h, p, s] = jwt().split('.');
    const forgedPayload = segment({ sub: 'admin', email: 'root@example.com', exp: NOW / 1000 + 120 });
    await expect(verifier().verify(`${h}.${forgedPayload}.${s}`)).resolves.toEqual({ ok: false, reason: 'bad signature' });
    const forgedHeader = segment({ alg: 'ES256', kid: KID, signer: SIGNER, exp: NOW / 1000 + 9999 });
    await expect(verifier().verify(`${forgedHeader}.${p}.${s}`)).resolves.toEqual({ ok: false, reason: 'bad signature' });
    await expect(verifier().verify(jwt({ key: attacker.privateKey }))).resolves.toEqual({ ok: false, reason: 'bad signature' });
    const flipped = Buffer.from(s, 'base64url');
    flipped[10] ^= 1;
    await expect(verifier().verify(`${h}.${p}.${flipped.toString('base64url')}`)).resolves.toEqual({ ok: false, reason: 'bad signature' });
  });

  it('refuses alg none/HS256, malformed tokens, odd kids and unknown keys', async () => {
    const [, p] = jwt().split('.');
    await expect(verifier().verify(`${segment({ alg: 'none', kid: KID, signer: SIGNER })}.${p}.`)).resolves.toEqual({ ok: false, reason: 'malformed JWT segments' });
    await expect(verifier().verify(jwt({ header: { alg: 'HS256' } }))).resolves.toEqual({ ok: false, reason: 'alg "HS256" is not ES256' });
    await expect(verifier().verify('a.b')).resolves.toEqual({ ok: false, reason: 'not a JWT (expected 3 segments)' });
    await expect(verifier().verify('!!.??.**')).resolves.toEqual({ ok: false, reason: 'malformed JWT segments' });
    await expect(verifier().verify(jwt({ header: { kid: '../../evil' } }))).resolves.toEqual({ ok: false, reason: 'kid missing or malformed' });
    const unknown = await verifier().verify(jwt({ header: { kid: 'unknown-kid' } }));
    expect(unknown).toEqual({ ok: false, reason: 'public key unknown-kid unavailable: public key endpoint answered HTTP 404' });
  });
});

describe('GET /api/me', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.shutdown('test end');
    app = undefined;
  });

  async function me(port: number, header?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/me', agent: false, headers: header === undefined ? {} : { 'x-amzn-oidc-data': header } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('returns the verified user, 401 for anything else, and never logs the token', async () => {
    const lines: string[] = [];
    const sink = { write: (line: string) => void lines.push(line) };
    const env = { PORT: '0', AWS_REGION: 'eu-west-1', IDENTITY_SOURCE: 'alb', ALB_SIGNER: SIGNER_PATTERN, ALB_PUBLIC_KEYS_URL: keysUrl };
    const config = parseConfig(env);
    if (config.identity.kind !== 'alb') throw new Error('expected alb identity');
    const identity = new AlbIdentityVerifier({ signer: config.identity.signer, publicKeysUrl: config.identity.publicKeysUrl, now: () => NOW });
    app = createApp({ config, logger: createLogger({ out: sink, err: sink }), identity });
    const port = await app.listen('127.0.0.1');
    const token = jwt();
    expect(await me(port, token)).toEqual({
      status: 200,
      body: { user: { sub: '7f1c0000-aaaa-bbbb-cccc-0123456789ab', email: 'ada@example.com', username: 'ada', expiresAt: '2026-12-01T12:02:00.000Z' } },
    });
    expect(await me(port)).toEqual({ status: 401, body: { error: 'unauthenticated', reason: 'no x-amzn-oidc-data header' } });
    expect(await me(port, jwt({ key: attacker.privateKey }))).toEqual({ status: 401, body: { error: 'unauthenticated', reason: 'bad signature' } });
    expect(lines.join('\n')).not.toContain(token.split('.')[2]);
    expect(lines.some((line) => line.includes('"identity refused"'))).toBe(true);
  });

  it('is 401 on a target without a verifiable identity (generic), whatever the request claims', async () => {
    app = createApp({ config: parseConfig({ PORT: '0' }), logger: createLogger({ out: { write: () => undefined }, err: { write: () => undefined } }) });
    const port = await app.listen('127.0.0.1');
    expect(await me(port, jwt())).toEqual({ status: 401, body: { error: 'unauthenticated', reason: 'no verifiable identity on this target (IDENTITY_SOURCE=none)' } });
  });
});
