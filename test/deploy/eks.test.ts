/**
 * The EKS side of the deploy command: the bearer token, and the cluster lookup against a real moto_server (the
 * kubeconfig built from it, a missing cluster, a wrong region).
 */
import { statSync, readFileSync, existsSync } from 'node:fs';
import { load } from 'js-yaml';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { describeEksCluster, eksKubeconfig, eksToken, parseClusterArn, TemporaryEksKubeconfig, TOKEN_PREFIX } from '../../deploy/eks';
import { DeployError, EXIT } from '../../deploy/errors';
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

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session/token+with=chars' };

describe('EKS token', () => {
  let token: string;
  let url: URL;
  beforeAll(async () => {
    token = await eksToken('platform-dev', 'eu-west-1', { credentials, now: new Date('2026-11-26T10:00:00Z') });
    url = new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
  });

  test('has the k8s-aws-v1. prefix and a base64url body without padding', () => {
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    expect(token.slice(TOKEN_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token).not.toContain('=');
  });

  test('decodes to a presigned STS GetCallerIdentity URL of the region', () => {
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('GetCallerIdentity');
    expect(q.get('Version')).toBe('2011-06-15');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-Date')).toBe('20261126T100000Z');
    expect(q.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261126/eu-west-1/sts/aws4_request');
    expect(q.get('X-Amz-Security-Token')).toBe(credentials.sessionToken);
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  test('signs the x-k8s-aws-id header (the cluster name) with the host', () => {
    const raw = Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8');
    expect(raw).toContain('Action=GetCallerIdentity');
    expect(raw).toContain('X-Amz-Expires=60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')!.split(';')).toEqual(['host', 'x-k8s-aws-id']);
  });

  test('is deterministic for a time and differs per cluster', async () => {
    const again = await eksToken('platform-dev', 'eu-west-1', { credentials, now: new Date('2026-11-26T10:00:00Z') });
    const other = await eksToken('platform-prod', 'eu-west-1', { credentials, now: new Date('2026-11-26T10:00:00Z') });
    expect(again).toBe(token);
    expect(other).not.toBe(token);
  });

  test('kubeconfig carries the endpoint, CA and token', () => {
    const cluster = { name: 'c', region: 'eu-west-1', arn: 'arn:aws:eks:eu-west-1:123456789012:cluster/c', endpoint: 'https://x.eks.amazonaws.com', certificateAuthorityData: 'Q0E=' };
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
