/**
 * The OIDC client Secret of a cross-region ALB (`auth-type: oidc`), created at deploy time from Secrets Manager.
 * The value is only ever held in memory and piped to kubectl's stdin: never logged, never written to a file.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsClientOptions } from './eks';
import { clusterError, inputError } from './errors';
import type { KubeObject } from './manifests';

export const AUTH_TYPE_ANNOTATION = 'alb.ingress.kubernetes.io/auth-type';
export const OIDC_IDP_ANNOTATION = 'alb.ingress.kubernetes.io/auth-idp-oidc';
export const DEFAULT_OIDC_SECRET_NAME = 'web-oidc-client';

/** Ingresses authenticating through OIDC, each with the Secret name it expects (from auth-idp-oidc.secretName). */
export function oidcSecretNames(objects: readonly KubeObject[]): string[] {
  const names = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'Ingress' || o.metadata.annotations?.[AUTH_TYPE_ANNOTATION] !== 'oidc') continue;
    let name = DEFAULT_OIDC_SECRET_NAME;
    const idp = o.metadata.annotations?.[OIDC_IDP_ANNOTATION];
    if (idp) {
      try {
        const parsed = JSON.parse(idp) as { secretName?: unknown };
        if (typeof parsed.secretName === 'string' && parsed.secretName) name = parsed.secretName;
      } catch {
        throw inputError(`Ingress ${o.metadata.name}: annotation ${OIDC_IDP_ANNOTATION} is not valid JSON`);
      }
    }
    names.add(name);
  }
  return [...names];
}

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>` → region. */
export function secretArnRegion(arn: string): string {
  const m = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:.+$/.exec(arn);
  if (!m) throw inputError(`userPoolClientSecretArn "${arn}" is not a Secrets Manager secret ARN`);
  return m[1];
}

export interface OidcClientCredentials {
  readonly clientID: string;
  readonly clientSecret: string;
}

/** Reads the JSON secret `{ clientID, clientSecret }` in the ARN's region. Errors never include the value. */
export async function readOidcClientSecret(arn: string, options: AwsClientOptions = {}): Promise<OidcClientCredentials> {
  const region = secretArnRegion(arn);
  const client = new SecretsManagerClient({ region, endpoint: options.endpoint, credentials: options.credentials, maxAttempts: 2 });
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
  } catch (e) {
    const err = e as { name?: string; message?: string };
    if (err.name === 'ResourceNotFoundException') throw clusterError(`the OIDC client secret ${arn} does not exist in ${region}`);
    throw clusterError(`cannot read the OIDC client secret ${arn} in ${region}: ${err.name ?? 'Error'}: ${err.message}`);
  } finally {
    client.destroy();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    // JSON.parse messages quote the input: never surface them.
    throw inputError(`the OIDC client secret ${arn} is not a JSON object {"clientID", "clientSecret"}`);
  }
  const p = parsed as Partial<OidcClientCredentials> | null;
  if (!p || typeof p.clientID !== 'string' || !p.clientID || typeof p.clientSecret !== 'string' || !p.clientSecret) {
    throw inputError(`the OIDC client secret ${arn} lacks the string keys "clientID" and "clientSecret"`);
  }
  return { clientID: p.clientID, clientSecret: p.clientSecret };
}

/** The Kubernetes Secret the AWS Load Balancer Controller reads for `auth-type: oidc`. */
export function oidcClientSecretObject(name: string, namespace: string, credentials: OidcClientCredentials, release: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/managed-by': 'platform-deploy', 'platform.local/release': release },
      annotations: { 'platform.local/source': 'secretsmanager:userPoolClientSecretArn' },
    },
    stringData: { clientID: credentials.clientID, clientSecret: credentials.clientSecret },
  };
}

/** A copy of the object safe to print or write: Secret data replaced by a marker. */
export function redact(o: KubeObject): KubeObject {
  if (o.kind !== 'Secret') return o;
  const r = structuredClone(o) as KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };
  for (const field of ['data', 'stringData'] as const) {
    if (r[field]) r[field] = Object.fromEntries(Object.keys(r[field]!).map((k) => [k, '<redacted: from Secrets Manager at deploy time>']));
  }
  return r;
}
