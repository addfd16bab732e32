/**
 * Between connect and apply: the OIDC client Secret an Ingress with `auth-type: oidc` needs, read from Secrets
 * Manager. The value only lives in memory (and on kubectl's stdin); the AWS SDK is loaded only when needed.
 */
import type { DeployContext } from '../context';
import type { KubeObject } from '../manifests';
import { oidcClientSecretObject } from '../rules/secrets';
import type { PreparedRelease } from './prepare';

export async function releaseSecrets({ aws, log }: DeployContext, prepared: PreparedRelease): Promise<KubeObject[]> {
  if (prepared.oidcSecrets.length === 0) return [];
  const { readOidcClientSecret } = await import('../adapters/secrets-manager');
  const credentials = await readOidcClientSecret(prepared.outputs!.userPoolClientSecretArn, aws);
  log(`OIDC client Secret ${prepared.oidcSecrets.join(', ')}: read from Secrets Manager (value not shown)`);
  return prepared.oidcSecrets.map((name) => oidcClientSecretObject(name, prepared.release.namespace, credentials, prepared.target.name));
}
