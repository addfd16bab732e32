/**
 * The signed-in user, as the AWS Application Load Balancer vouches for it after OIDC/Cognito authentication.
 *
 * The ALB adds `x-amzn-oidc-data`: a JWT signed with ES256 by a regional key named in its header (`kid`), whose
 * header also names the `signer` (the load balancer's ARN) and the expiry. As AWS documents it, the service must
 * check the signer, fetch the public key from `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>` and
 * verify the signature and the expiry. Anything a client could send itself (a request that did not come through
 * this load balancer, a header signed by another one, altered or stale) is refused.
 *
 * The ALB's base64url segments may carry `=` padding, which strict JWT libraries reject; this decoder accepts it.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export const ALB_IDENTITY_HEADER = 'x-amzn-oidc-data';

export interface AlbUser {
  /** The IdP's subject (Cognito user ID). */
  readonly sub: string;
  readonly email?: string;
  readonly username?: string;
  /** Expiry of the ALB's assertion (ISO time). */
  readonly expiresAt: string;
}

export type Verification = { readonly ok: true; readonly user: AlbUser } | { readonly ok: false; readonly reason: string };

/** Fetches the PEM public key for a `kid` (an HTTPS GET on AWS's endpoint; a local server in tests). */
export type KeyFetcher = (url: string) => Promise<string>;

export interface AlbIdentityOptions {
  /** Expected `signer`: an exact ALB ARN, or an ARN ending in `/*` (any load balancer ID under that name). */
  readonly signer: string;
  /** Base URL of the regional key endpoint, without the trailing slash. */
  readonly publicKeysUrl: string;
  /** @default an HTTPS GET with a 3 s timeout */
  readonly fetchKey?: KeyFetcher;
  /** @default Date.now */
  readonly now?: () => number;
  /** Accepted clock difference between the ALB and this pod. @default 30 s */
  readonly clockSkewSeconds?: number;
}

const KID = /^[A-Za-z0-9_-]{1,128}$/;
/** Keys kept in memory (the ALB rotates them rarely; a bound keeps a flood of unknown kids from growing it). */
const MAX_CACHED_KEYS = 32;

function decodeSegment(segment: string): Buffer {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(segment)) throw new Error('not base64url');
  return Buffer.from(segment.replace(/=+$/, ''), 'base64url');
}

function decodeJson(segment: string): Record<string, unknown> {
  const value = JSON.parse(decodeSegment(segment).toString('utf8')) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
  return value as Record<string, unknown>;
}

function signerMatches(expected: string, actual: unknown): boolean {
  if (typeof actual !== 'string') return false;
  if (!expected.endsWith('/*')) return actual === expected;
  const prefix = expected.slice(0, -1); // keeps the trailing "/"
  return actual.startsWith(prefix) && /^[0-9a-f]{16}$/.test(actual.slice(prefix.length));
}

export function httpsKeyFetcher(timeoutMs = 3000): KeyFetcher {
  return (url) =>
    new Promise((resolve, reject) => {
      const get = url.startsWith('https://') ? httpsRequest : httpRequest;
      const req = get(url, { method: 'GET', timeout: timeoutMs }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > 8192) req.destroy(new Error('public key response larger than 8 KiB'));
        });
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`public key endpoint answered HTTP ${res.statusCode}`))));
      });
      req.on('timeout', () => req.destroy(new Error(`public key endpoint did not answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
}

export class AlbIdentityVerifier {
  private readonly keys = new Map<string, Promise<KeyObject>>();
  private readonly fetchKey: KeyFetcher;
  private readonly now: () => number;
  private readonly skew: number;

  constructor(private readonly options: AlbIdentityOptions) {
    this.fetchKey = options.fetchKey ?? httpsKeyFetcher();
    this.now = options.now ?? Date.now;
    this.skew = options.clockSkewSeconds ?? 30;
  }

  /** Verifies the header's value; the reason of a refusal is safe to log (it never contains the token). */
  async verify(value: string | string[] | undefined): Promise<Verification> {
    if (value === undefined || value === '') return { ok: false, reason: `no ${ALB_IDENTITY_HEADER} header` };
    if (Array.isArray(value)) return { ok: false, reason: `more than one ${ALB_IDENTITY_HEADER} header` };
    const parts = value.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'not a JWT (expected 3 segments)' };
    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    let signature: Buffer;
    try {
      header = decodeJson(parts[0]);
      payload = decodeJson(parts[1]);
      signature = decodeSegment(parts[2]);
    } catch {
      return { ok: false, reason: 'malformed JWT segments' };
    }
    if (header.alg !== 'ES256') return { ok: false, reason: `alg ${JSON.stringify(header.alg)} is not ES256` };
    // The signer first: a header from another load balancer (or made up) never triggers a key fetch.
    if (!signerMatches(this.options.signer, header.signer)) return { ok: false, reason: 'signer is not this load balancer' };
    if (typeof header.kid !== 'string' || !KID.test(header.kid)) return { ok: false, reason: 'kid missing or malformed' };
    if (signature.length !== 64) return { ok: false, reason: 'signature is not a 64-byte ES256 signature' };

    let key: KeyObject;
    try {
      key = await this.key(header.kid);
    } catch (error) {
      return { ok: false, reason: `public key ${header.kid} unavailable: ${(error as Error).message}` };
    }
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii');
    if (!verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature)) return { ok: false, reason: 'bad signature' };

    // The ALB puts exp in the header; a payload exp, when present, must hold too.
    const expiries = [header.exp, payload.exp].filter((e) => e !== undefined);
    if (expiries.length === 0 || expiries.some((e) => typeof e !== 'number')) return { ok: false, reason: 'exp missing' };
    const exp = Math.min(...(expiries as number[]));
    if (exp + this.skew <= this.now() / 1000) return { ok: false, reason: `expired at ${new Date(exp * 1000).toISOString()}` };
    if (typeof payload.sub !== 'string' || payload.sub === '') return { ok: false, reason: 'sub missing' };

    return {
      ok: true,
      user: {
        sub: payload.sub,
        ...(typeof payload.email === 'string' ? { email: payload.email } : {}),
        ...(typeof payload.username === 'string' ? { username: payload.username } : {}),
        expiresAt: new Date(exp * 1000).toISOString(),
      },
    };
  }

  private key(kid: string): Promise<KeyObject> {
    const cached = this.keys.get(kid);
    if (cached) return cached;
    const loading = this.fetchKey(`${this.options.publicKeysUrl}/${kid}`).then((pem) => {
      const key = createPublicKey(pem);
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not a P-256 key');
      return key;
    });
    if (this.keys.size >= MAX_CACHED_KEYS) this.keys.delete(this.keys.keys().next().value!);
    this.keys.set(kid, loading);
    loading.catch(() => this.keys.delete(kid)); // a failed fetch is retried on the next request
    return loading;
  }
}
