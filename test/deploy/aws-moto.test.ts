/**
 * The AWS side of the deploy command against a real moto_server: EKS cluster lookup and the kubeconfig built from
 * it, a missing cluster, a wrong region, and the OIDC client Secret read from Secrets Manager.
 */
import { statSync, readFileSync, existsSync } from 'node:fs';
import { load } from 'js-yaml';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describeEksCluster, TemporaryEksKubeconfig, TOKEN_PREFIX } from '../../deploy/eks';
import { DeployError, EXIT } from '../../deploy/errors';
import { oidcClientSecretObject, redact } from '../../deploy/secrets';
import { readOidcClientSecret } from '../../deploy/secrets-manager';
import { toYaml } from '../../deploy/manifests';
import { startMoto, useFakeAwsCredentials, type Moto } from '../support/moto';

jest.setTimeout(60_000);

let moto: Moto;
let restoreEnv: () => void;
let created: { endpoint: string; ca: string; arn: string };

beforeAll(async () => {
  restoreEnv = useFakeAwsCredentials();
  moto = await startMoto();
  const eks = new EKSClient({ region: 'eu-west-1', endpoint: moto.endpoint });
  const r = await eks.send(
    new CreateClusterCommand({ name: 'platform-dev', roleArn: 'arn:aws:iam::123456789012:role/eks', resourcesVpcConfig: { subnetIds: ['subnet-1'] }, version: '1.35' }),
  );
  created = { endpoint: r.cluster!.endpoint!, ca: r.cluster!.certificateAuthority!.data!, arn: r.cluster!.arn! };
});

afterAll(async () => {
  await moto?.stop();
  restoreEnv?.();
});

async function refusal(p: Promise<unknown>): Promise<DeployError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DeployError);
    return e as DeployError;
  }
  throw new Error('expected a refusal');
}

describe('EKS cluster lookup (moto)', () => {
  test('DescribeCluster gives the endpoint and CA, and the temporary kubeconfig carries them with a token', async () => {
    const cluster = await describeEksCluster('platform-dev', 'eu-west-1', { endpoint: moto.endpoint });
    expect(cluster).toMatchObject({ name: 'platform-dev', region: 'eu-west-1', arn: created.arn, endpoint: created.endpoint, certificateAuthorityData: created.ca, status: 'ACTIVE' });

    const kubeconfig = await TemporaryEksKubeconfig.create(cluster);
    try {
      expect(statSync(kubeconfig.path).mode & 0o777).toBe(0o600);
      expect(statSync(kubeconfig.dir).mode & 0o777).toBe(0o700);
      const k = load(readFileSync(kubeconfig.path, 'utf8')) as {
        clusters: { name: string; cluster: Record<string, string> }[];
        users: { user: { token: string } }[];
        'current-context': string;
      };
      expect(k.clusters[0].cluster.server).toBe(created.endpoint);
      expect(k.clusters[0].cluster['certificate-authority-data']).toBe(created.ca);
      expect(k.users[0].user.token.startsWith(TOKEN_PREFIX)).toBe(true);
      const url = new URL(Buffer.from(k.users[0].user.token.slice(TOKEN_PREFIX.length), 'base64url').toString());
      expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDFAKEFORTESTS0000\//);
      expect(k['current-context']).toBe(created.arn);
    } finally {
      kubeconfig.dispose();
    }
    expect(existsSync(kubeconfig.dir)).toBe(false);
  });

  test('fails when the cluster does not exist, naming the cluster and the region', async () => {
    const e = await refusal(describeEksCluster('platform-missing', 'eu-west-1', { endpoint: moto.endpoint }));
    expect(e.exitCode).toBe(EXIT.clusterUnreachable);
    expect(e.message).toMatch(/^EKS cluster "platform-missing" was not found in region eu-west-1/);
  });

  test('fails when the cluster is looked up in the wrong region', async () => {
    const e = await refusal(describeEksCluster('platform-dev', 'eu-central-1', { endpoint: moto.endpoint }));
    expect(e.exitCode).toBe(EXIT.clusterUnreachable);
    expect(e.message).toMatch(/^EKS cluster "platform-dev" was not found in region eu-central-1/);
  });

  test('fails when the endpoint does not answer (unreachable AWS API)', async () => {
    const e = await refusal(describeEksCluster('platform-dev', 'eu-west-1', { endpoint: 'http://127.0.0.1:9' }));
    expect(e.exitCode).toBe(EXIT.clusterUnreachable);
    expect(e.message).toMatch(/cannot describe EKS cluster "platform-dev" in eu-west-1/);
  });
});

describe('OIDC client Secret from Secrets Manager (moto)', () => {
  const value = { clientID: 'client-id-123', clientSecret: 'very-secret-value-do-not-print' };
  let arn: string;
  let badArn: string;
  beforeAll(async () => {
    // The secret lives in the environment's region (eu-central-1), not the test client's default.
    const sm = new SecretsManagerClient({ region: 'eu-central-1', endpoint: moto.endpoint });
    arn = (await sm.send(new CreateSecretCommand({ Name: 'platform/prod/oidc-client', SecretString: JSON.stringify(value) }))).ARN!;
    badArn = (await sm.send(new CreateSecretCommand({ Name: 'platform/prod/not-json', SecretString: 'very-secret-value-do-not-print' }))).ARN!;
  });

  test('reads the JSON secret in the ARN region and builds the Kubernetes Secret (not applied)', async () => {
    expect(arn).toMatch(/^arn:aws:secretsmanager:eu-central-1:/);
    const credentials = await readOidcClientSecret(arn, { endpoint: moto.endpoint });
    expect(credentials).toEqual(value);
    const secret = oidcClientSecretObject('web-oidc-client', 'web', credentials, 'prod');
    expect(secret).toMatchObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'web-oidc-client', namespace: 'web' }, stringData: value });
    // What is printed or written for review never holds the value.
    const review = toYaml([redact(secret)]);
    expect(review).toContain('clientSecret');
    expect(review).not.toContain(value.clientSecret);
    expect(review).not.toContain(value.clientID);
  });

  test('fails when the secret does not exist in the region', async () => {
    const e = await refusal(readOidcClientSecret(arn.replace('eu-central-1', 'eu-west-1'), { endpoint: moto.endpoint }));
    expect(e.message).toMatch(/does not exist in eu-west-1/);
  });

  test('fails when the secret is not the expected JSON, without echoing the value', async () => {
    const e = await refusal(readOidcClientSecret(badArn, { endpoint: moto.endpoint }));
    expect(e.message).toMatch(/is not a JSON object/);
    expect(e.message).not.toContain('very-secret');
  });

  test('fails when the ARN is not a Secrets Manager ARN', async () => {
    const e = await refusal(readOidcClientSecret('arn:aws:s3:::bucket', { endpoint: moto.endpoint }));
    expect(e.exitCode).toBe(EXIT.invalidInput);
  });
});
