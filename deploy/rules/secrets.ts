/**
 * The OIDC client Secret of a cross-region ALB (`auth-type: oidc`), created at deploy time from Secrets Manager.
 * The value is only ever held in memory and piped to kubectl's stdin: never logged, never written to a file.
 */
import { inputError } from '../errors';
import { clone, RELEASE_LABEL, type KubeObject } from '../manifests';

export interface OidcClientCredentials {
  readonly clientID: string;
  readonly clientSecret: string;
}

export const AUTH_TYPE_ANNOTATION = 'alb.ingress.kubernetes.io/auth-type';
export const OIDC_IDP_ANNOTATION = 'alb.ingress.kubernetes.io/auth-idp-oidc';
/**
 * Ingresses authenticating through OIDC, each with the Secret name it expects (auth-idp-oidc.secretName).
 * The controller reads only that name, so an Ingress without one is refused rather than given a guessed Secret.
 */
export function oidcSecretNames(objects: readonly KubeObject[]): string[] {
  const names = new Set<string>();
  const example = '{"issuer": …, "authorizationEndpoint": …, "tokenEndpoint": …, "userInfoEndpoint": …, "secretName": "alb-oidc-client"}';
  for (const o of objects) {
    if (o.kind !== 'Ingress' || o.metadata.annotations?.[AUTH_TYPE_ANNOTATION] !== 'oidc') continue;
    const idp = o.metadata.annotations?.[OIDC_IDP_ANNOTATION];
    let parsed: { secretName?: unknown } | undefined;
    try {
      parsed = idp ? (JSON.parse(idp) as { secretName?: unknown }) : undefined;
    } catch {
      throw inputError(`Ingress ${o.metadata.name}: annotation ${OIDC_IDP_ANNOTATION} is ${JSON.stringify(idp)}, not valid JSON; expected an object such as ${example}`);
    }
    if (typeof parsed?.secretName !== 'string' || parsed.secretName.length === 0) {
      throw inputError(
        `Ingress ${o.metadata.name}: auth-type is oidc but ${OIDC_IDP_ANNOTATION} is ${JSON.stringify(idp ?? null)}, with no secretName; expected an object such as ${example}`,
      );
    }
    names.add(parsed.secretName);
  }
  return [...names];
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
      labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'platform-deploy', [RELEASE_LABEL]: release },
      annotations: { 'platform.local/source': 'secretsmanager:userPoolClientSecretArn' },
    },
    stringData: { clientID: credentials.clientID, clientSecret: credentials.clientSecret },
  };
}

/** A copy of the object safe to print or write: the values of a Secret's data and stringData replaced by a marker. */
export function redact(o: KubeObject): KubeObject {
  if (o.kind !== 'Secret') return o;
  const r = clone(o) as KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };
  for (const field of ['data', 'stringData'] as const) {
    if (r[field]) r[field] = Object.fromEntries(Object.keys(r[field]!).map((k) => [k, '<redacted>']));
  }
  return r;
}
