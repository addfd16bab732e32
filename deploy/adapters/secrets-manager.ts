/** Reads the OIDC client secret from Secrets Manager (loaded only when an Ingress needs it: no AWS SDK otherwise). */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsClientOptions } from './eks';
import { clusterError, inputError } from '../errors';
import type { OidcClientCredentials } from '../rules/secrets';

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>` → region. */
export function secretArnRegion(arn: string): string {
  const m = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:.+$/.exec(arn);
  if (!m) throw inputError(`userPoolClientSecretArn "${arn}" is not a Secrets Manager secret ARN; expected arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>`);
  return m[1];
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
