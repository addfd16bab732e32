/**
 * The EKS side of the deploy command: the bearer token, and the cluster lookup against a real moto_server (the
 * kubeconfig built from it, a missing cluster, a wrong region).
 */
import { statSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { describeEksCluster, eksKubeconfig, eksToken, parseClusterArn, TemporaryEksKubeconfig, TOKEN_PREFIX } from '../../../deploy/adapters/eks';
import { EXIT } from '../../../deploy/errors';
import { motoForThisFile, type Moto } from '../../support/moto';
import { deployRefusal as refusal } from '../fixtures';

jest.setTimeout(60_000);

const motoServer = motoForThisFile();
let moto: Moto;
let created: { endpoint: string; ca: string; arn: string };

beforeAll(async () => {
  moto = motoServer();
  const eks = new EKSClient({ region: 'eu-west-1', endpoint: moto.endpoint });
  const r = await eks.send(
    new CreateClusterCommand({ name: 'platform-dev', roleArn: 'arn:aws:iam::123456789012:role/eks', resourcesVpcConfig: { subnetIds: ['subnet-1'] }, version: '1.35' }),
  );
  created = { endpoint: r.cluster!.endpoint!, ca: r.cluster!.certificateAuthority!.data!, arn: r.cluster!.arn! };
});

describe('EKS cluster lookup (moto)', () => {
  test('DescribeCluster gives the endpoint and CA, and the temporary kubeconfig carries them with a token', async () => {
    const cluster = await describeEksCluster('platform-dev', 'eu-west-1', { endpoint: moto.endpoint });
    expect(cluster).toMatchObject({
      name: 'platform-dev',
      region: 'eu-west-1',
      arn: created.arn,
      endpoint: created.endpoint,
      certificateAuthorityData: created.ca,
      status: 'ACTIVE',
    });

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

describe('EKS token', () => {
  // Computed by botocore (test/deploy/adapters/vectors/eks-token.py), the signer `aws eks get-token` uses.
  const vector = JSON.parse(readFileSync(join(__dirname, 'vectors', 'eks-token.json'), 'utf8')) as {
    accessKeyId: string;
    secretAccessKey: string;
    cases: { cluster: string; region: string; time: string; session_token: string | null; token: string }[];
  };

  test.each(vector.cases.map((c) => [c.cluster, c.region, c] as const))(
    '%s in %s: exactly the token botocore computes for the same credentials and time',
    async (_cluster, _region, c) => {
      const credentials = { accessKeyId: vector.accessKeyId, secretAccessKey: vector.secretAccessKey, ...(c.session_token ? { sessionToken: c.session_token } : {}) };
      const token = await eksToken(c.cluster, c.region, { credentials, now: new Date(c.time) });
      const signature = (t: string) => new URL(Buffer.from(t.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8')).searchParams.get('X-Amz-Signature');
      expect(signature(token)).toBe(signature(c.token));
      expect(token).toBe(c.token);
    },
  );

  test('the token is a presigned GetCallerIdentity URL valid 60 s that signs the cluster name header', async () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
    const token = await eksToken('platform-dev', 'eu-west-1', { credentials, now: new Date('2026-11-26T10:00:00Z') });
    expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const url = new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
    expect([url.host, url.searchParams.get('Action'), url.searchParams.get('X-Amz-Expires'), url.searchParams.get('X-Amz-SignedHeaders')]).toEqual([
      'sts.eu-west-1.amazonaws.com',
      'GetCallerIdentity',
      '60',
      'host;x-k8s-aws-id',
    ]);
    expect(await eksToken('platform-prod', 'eu-west-1', { credentials, now: new Date('2026-11-26T10:00:00Z') })).not.toBe(token);
  });

  test('kubeconfig carries the endpoint, CA and token', () => {
    const token = vector.cases[0].token;
    const cluster = {
      name: 'c',
      region: 'eu-west-1',
      arn: 'arn:aws:eks:eu-west-1:123456789012:cluster/c',
      endpoint: 'https://x.eks.amazonaws.com',
      certificateAuthorityData: 'Q0E=',
    };
    const k = load(eksKubeconfig(cluster, token)) as { clusters: { cluster: Record<string, string> }[]; users: { user: { token: string } }[]; 'current-context': string };
    expect(k.clusters[0].cluster).toEqual({ server: 'https://x.eks.amazonaws.com', 'certificate-authority-data': 'Q0E=' });
    expect(k.users[0].user.token).toBe(token);
    expect(k['current-context']).toBe(cluster.arn);
  });

  test('parses cluster ARNs', () => {
    expect(parseClusterArn('arn:aws:eks:eu-west-1:123456789012:cluster/platform-dev')).toEqual({ region: 'eu-west-1', account: '123456789012', name: 'platform-dev' });
    expect(parseClusterArn('arn:aws:eks:eu-west-1:123456789012:nodegroup/x')).toBeUndefined();
  });
});

/**
 * Multi-account layout: the deploy command runs with the environment account's deploy role (GitHub OIDC → that
 * role), never with credentials of the shared-services account. moto keeps each account's resources apart and
 * serves them to credentials of that account (STS AssumeRole of a role in it), as AWS does.
 */
describe("EKS cluster lookup with the environment account's deploy role (moto, two accounts)", () => {
  const ENV_ACCOUNT = '222233334444';
  const SHARED_ACCOUNT = '111122223333';
  const roleCredentials = async (account: string, role: string) => {
    const sts = new STSClient({ region: 'eu-west-1', endpoint: moto.endpoint });
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${role}`, RoleSessionName: 'deploy-dev-1' }));
    return { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! };
  };
  let envRole: Awaited<ReturnType<typeof roleCredentials>>;
  let sharedRole: Awaited<ReturnType<typeof roleCredentials>>;
  let envCluster: string;

  beforeAll(async () => {
    envRole = await roleCredentials(ENV_ACCOUNT, 'platform-dev-github-deploy');
    sharedRole = await roleCredentials(SHARED_ACCOUNT, 'platform-github-shared-deploy');
    const create = async (credentials: typeof envRole, name: string) =>
      (
        await new EKSClient({ region: 'eu-west-1', endpoint: moto.endpoint, credentials }).send(
          new CreateClusterCommand({ name, roleArn: 'arn:aws:iam::222233334444:role/eks', resourcesVpcConfig: { subnetIds: ['subnet-1'] }, version: '1.35' }),
        )
      ).cluster!.arn!;
    envCluster = await create(envRole, 'platform-multi');
    // A cluster of the same name in another account must never be taken for the environment's.
    await create(sharedRole, 'platform-same-name');
  });

  test("finds the environment's cluster in its own account, and signs the token with the deploy role's session", async () => {
    const cluster = await describeEksCluster('platform-multi', 'eu-west-1', { endpoint: moto.endpoint, credentials: envRole }, ENV_ACCOUNT);
    expect(cluster.arn).toBe(envCluster);
    expect(parseClusterArn(cluster.arn)?.account).toBe(ENV_ACCOUNT);
    const token = await eksToken(cluster.name, cluster.region, { credentials: envRole });
    const url = new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString());
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(new RegExp(`^${envRole.accessKeyId}/\\d{8}/eu-west-1/sts/aws4_request$`));
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(envRole.sessionToken);
  });

  test("with another account's credentials the cluster is not found, and the error names the account the credentials must be of", async () => {
    const e = await refusal(describeEksCluster('platform-multi', 'eu-west-1', { endpoint: moto.endpoint, credentials: sharedRole }, ENV_ACCOUNT));
    expect(e.exitCode).toBe(EXIT.clusterUnreachable);
    expect(e.message).toMatch(/^EKS cluster "platform-multi" was not found in region eu-west-1 of account 222233334444; .*credentials of that account/);
  });

  test("refuses a cluster of the outputs' name in another account than the outputs' (wrong credentials), before anything is applied", async () => {
    const e = await refusal(describeEksCluster('platform-same-name', 'eu-west-1', { endpoint: moto.endpoint, credentials: sharedRole }, ENV_ACCOUNT));
    expect(e.exitCode).toBe(EXIT.clusterUnreachable);
    expect(e.message).toBe(
      `EKS answered with cluster arn:aws:eks:eu-west-1:${SHARED_ACCOUNT}:cluster/platform-same-name, which is not "platform-same-name" in region eu-west-1 of account ${ENV_ACCOUNT}: refusing to deploy to the wrong cluster`,
    );
  });
});
