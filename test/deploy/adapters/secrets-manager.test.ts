/** The OIDC client Secret read from Secrets Manager, against a real moto_server. */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EXIT } from '../../../deploy/errors';
import { toYaml } from '../../../deploy/manifests';
import { oidcClientSecretObject, redact } from '../../../deploy/rules/secrets';
import { readOidcClientSecret } from '../../../deploy/adapters/secrets-manager';
import { motoForThisFile, type Moto } from '../../support/moto';
import { deployRefusal as refusal } from '../fixtures';

jest.setTimeout(60_000);

const motoServer = motoForThisFile();
let moto: Moto;
beforeAll(() => {
  moto = motoServer();
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
