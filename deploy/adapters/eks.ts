/**
 * The environment's EKS cluster, reached without the AWS CLI: DescribeCluster for the endpoint and CA, and a
 * bearer token made from a presigned STS GetCallerIdentity URL (what aws-iam-authenticator / `aws eks get-token` do).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { STSClient } from '@aws-sdk/client-sts';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { dump } from 'js-yaml';
import { clusterError } from '../errors';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}
export type CredentialSource = AwsCredentials | (() => Promise<AwsCredentials>);

export interface EksCluster {
  readonly name: string;
  readonly region: string;
  readonly arn: string;
  readonly endpoint: string;
  /** Base64 CA bundle as returned by DescribeCluster (certificate-authority-data). */
  readonly certificateAuthorityData: string;
  readonly version?: string;
  readonly status?: string;
}

export interface AwsClientOptions {
  /**
   * API endpoint override (moto_server in tests).
   * @default - the SDK's regional endpoint
   */
  readonly endpoint?: string;
  /**
   * Explicit credentials.
   * @default - the SDK's default credential chain
   */
  readonly credentials?: CredentialSource;
}

export const TOKEN_PREFIX = 'k8s-aws-v1.';
const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
const QUERY_ORDER = ['Action', 'Version', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Security-Token', 'X-Amz-Signature'];

/**
 * Looks the cluster up and checks it is the one the outputs name, in their region (and, given `account`, in the
 * environment's account: the multi-account layout looks it up with that account's deploy role), and ACTIVE.
 */
export async function describeEksCluster(name: string, region: string, options: AwsClientOptions = {}, account?: string): Promise<EksCluster> {
  const where = account ? `region ${region} of account ${account}` : `region ${region}`;
  const client = new EKSClient({ region, endpoint: options.endpoint, credentials: options.credentials, maxAttempts: 2 });
  let cluster;
  try {
    cluster = (await client.send(new DescribeClusterCommand({ name }))).cluster;
  } catch (e) {
    const err = e as { name?: string; message?: string };
    if (err.name === 'ResourceNotFoundException') {
      throw clusterError(
        `EKS cluster "${name}" was not found in ${where}; check --outputs (clusterName, region) and that the environment stack is deployed in that region${account ? ", with credentials of that account (the environment's deploy role)" : ''}`,
      );
    }
    if (err.name === 'CredentialsProviderError' || /credential/i.test(err.message ?? '')) {
      throw clusterError(`no AWS credentials to look up EKS cluster "${name}" in ${region}: ${err.message}`);
    }
    throw clusterError(`cannot describe EKS cluster "${name}" in ${region}: ${err.name ?? 'Error'}: ${err.message}`);
  } finally {
    client.destroy();
  }
  if (!cluster?.endpoint || !cluster.certificateAuthority?.data || !cluster.arn) {
    throw clusterError(`EKS cluster "${name}" in ${region} has no endpoint or certificate authority yet (status ${cluster?.status ?? 'unknown'})`);
  }
  const arn = parseClusterArn(cluster.arn);
  if (!arn || arn.name !== name || arn.region !== region || (account !== undefined && arn.account !== account)) {
    throw clusterError(`EKS answered with cluster ${cluster.arn}, which is not "${name}" in ${where}: refusing to deploy to the wrong cluster`);
  }
  if (cluster.status && cluster.status !== 'ACTIVE') {
    throw clusterError(`EKS cluster "${name}" in ${region} is ${cluster.status}, not ACTIVE`);
  }
  return {
    name,
    region,
    arn: cluster.arn,
    endpoint: cluster.endpoint,
    certificateAuthorityData: cluster.certificateAuthority.data,
    version: cluster.version,
    status: cluster.status,
  };
}

/** `arn:aws:eks:<region>:<account>:cluster/<name>` → parts (any partition). */
export function parseClusterArn(arn: string): { region: string; account: string; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:eks:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9_-]+)$/.exec(arn);
  return m ? { region: m[1], account: m[2], name: m[3] } : undefined;
}

/**
 * An EKS bearer token: "k8s-aws-v1." + base64url (no padding) of a presigned STS GetCallerIdentity URL whose
 * signed headers include `x-k8s-aws-id: <cluster>`. The URL is presigned for 60 s (X-Amz-Expires=60); EKS accepts
 * such a token for about 15 minutes.
 */
export async function eksToken(clusterName: string, region: string, options: { credentials?: CredentialSource; now?: Date } = {}): Promise<string> {
  const credentials = options.credentials ?? defaultCredentials(region);
  const hostname = `sts.${region}.amazonaws.com`;
  const signer = new SignatureV4({ service: 'sts', region, credentials, sha256: Sha256, applyChecksum: false });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    headers: { host: hostname, [CLUSTER_ID_HEADER]: clusterName },
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
  });
  const signed = await signer.presign(request, { expiresIn: 60, signingDate: options.now });
  // The order `aws eks get-token` (botocore) writes: the same token byte for byte (the signature covers the sorted
  // query, so any order would verify; one order makes tokens comparable).
  const rank = (k: string) => QUERY_ORDER.indexOf(k) + 1 || QUERY_ORDER.length + 1;
  const query = Object.entries(signed.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v as string]]))
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v ?? '')}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The AWS SDK's default credential chain (env, SSO, shared files, web identity, container/instance metadata). */
export function defaultCredentials(region: string): () => Promise<AwsCredentials> {
  const sts = new STSClient({ region });
  return async () => {
    try {
      return await sts.config.credentials();
    } catch (e) {
      throw clusterError(`no AWS credentials for the EKS token: ${(e as Error).message}`);
    }
  };
}

/** A kubeconfig (YAML) for the cluster with a static bearer token. */
export function eksKubeconfig(cluster: EksCluster, token: string): string {
  const name = cluster.arn;
  return dump(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster: { server: cluster.endpoint, 'certificate-authority-data': cluster.certificateAuthorityData } }],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: name, user: name } }],
      'current-context': name,
    },
    { lineWidth: -1 },
  );
}

/**
 * A temporary kubeconfig (0600, in a private temp dir) for the EKS cluster, with a token that is refreshed
 * before it gets old (tokens last ~15 minutes; long rollouts outlive one). `dispose()` deletes it.
 */
export class TemporaryEksKubeconfig {
  readonly dir: string;
  readonly path: string;
  private issuedAt = 0;

  private constructor(
    readonly cluster: EksCluster,
    private readonly credentials: CredentialSource | undefined,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'platform-deploy-'));
    chmodSync(this.dir, 0o700);
    this.path = join(this.dir, 'kubeconfig');
  }

  static async create(cluster: EksCluster, credentials?: CredentialSource): Promise<TemporaryEksKubeconfig> {
    const k = new TemporaryEksKubeconfig(cluster, credentials);
    // Also on an abrupt exit (signal): the token must not outlive the command on disk.
    process.once('exit', () => k.dispose());
    try {
      await k.refresh(true);
    } catch (e) {
      k.dispose();
      throw e;
    }
    return k;
  }

  /** Rewrites the kubeconfig with a fresh token when the current one is older than 10 minutes. */
  async refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.issuedAt < 10 * 60_000) return;
    const token = await eksToken(this.cluster.name, this.cluster.region, { credentials: this.credentials });
    writeFileSync(this.path, eksKubeconfig(this.cluster, token), { mode: 0o600 });
    chmodSync(this.path, 0o600);
    this.issuedAt = Date.now();
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
