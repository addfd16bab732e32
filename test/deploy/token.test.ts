import { eksKubeconfig, eksToken, parseClusterArn, TOKEN_PREFIX } from '../../deploy/eks';
import { load } from 'js-yaml';

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
