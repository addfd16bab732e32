/**
 * The one typed description of the platform: every environment, the shared services and who may deploy.
 *
 * Read once at an entry point (infra/main.ts, charts/main.ts, deploy/commands/deploy.ts), validated by
 * `validatePlatformConfig`, then passed down as props. Nothing below the entry points reads `process.env`.
 *
 * This module has no runtime dependencies so that `charts/` (portable workloads) and `lambda/` can share it
 * without pulling in aws-cdk-lib.
 */

import type { OperationsConfig } from './operations';
import type { ReleaseStrategy } from './release-strategy';
import type { ImageConfig, Workload } from './workloads';

export type { CanaryConfig, ReleaseStrategy } from './release-strategy';

/** What triggers a deployment of an environment from GitHub. */
export type DeployTrigger =
  /** Every push to this branch deploys the environment. */
  | { readonly kind: 'branch'; readonly branch: string }
  /** Every published GitHub release deploys the environment. */
  | { readonly kind: 'release' };

/** How the EKS API endpoint is reachable. */
export type EndpointAccess = 'public-and-private' | 'private';

/** EKS control-plane log types, as EKS spells them. */
export type ControlPlaneLogType = 'api' | 'audit' | 'authenticator' | 'controllerManager' | 'scheduler';

/** Which traffic the VPC flow logs record: every flow, or only rejected ones (a fraction of the volume). */
export type FlowLogTraffic = 'all' | 'reject';

/** Cognito threat protection of the user pool: "off" uses the Essentials feature plan, the others need Plus. */
export type ThreatProtection = 'full' | 'audit' | 'off';

/** What happens to stateful stores (database, buckets) when their stack or resource is removed. */
export type RemovalBehaviour = 'destroy' | 'snapshot' | 'retain';

export interface ClusterConfig {
  /**
   * Kubernetes minor version of the cluster, e.g. "1.35": the control plane's, the node group's, and the row of pinned
   * add-on versions in config/kubernetes.ts. Changing it is the whole upgrade, one minor at a time (docs/upgrades.md).
   */
  readonly kubernetesVersion: string;
  /** EC2 instance types of the managed node group, e.g. ["t4g.large"] (Graviton). */
  readonly nodeInstanceTypes: readonly string[];
  readonly minNodes: number;
  readonly desiredNodes: number;
  readonly maxNodes: number;
  /**
   * Reachability of the Kubernetes API.
   * A private-only endpoint is not reachable from GitHub-hosted runners: deploy from a runner inside the VPC.
   */
  readonly endpointAccess: EndpointAccess;
  /** CIDRs allowed to reach the public endpoint. Required (and non-empty) when the endpoint is public. */
  readonly publicAccessCidrs: readonly string[];
  /**
   * Full ARN of the IAM role (or user) that gets cluster-admin through an EKS access entry, path included, e.g.
   * "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef"
   * (an IAM Identity Center permission set's role) or "arn:aws:iam::111122223333:role/PlatformAdmin". It must exist
   * before the environment's first deploy: EKS refuses an access entry for a missing principal, 15 minutes into the
   * create. Identity Center gives a permission set's role a new suffix when its last assignment is removed and
   * re-added: update the ARN then.
   * @default - no admin entry: only the pipeline has access (its CloudFormation role creates the cluster and keeps
   * cluster-admin, the deploy role is admin in the application namespace); add one when people need `kubectl`
   * (docs/first-deployment.md#cluster-administrator)
   */
  readonly adminPrincipalArn?: string;
  /**
   * Control-plane log types sent to CloudWatch Logs (billed per GB ingested; "api" and "audit" are the bulk).
   * Must include "audit".
   * @default - all five in production; ["audit", "authenticator"] elsewhere
   */
  readonly controlPlaneLogTypes?: readonly ControlPlaneLogType[];
}

export interface DatabaseConfig {
  /** RDS instance class without the "db." prefix, e.g. "t4g.medium". */
  readonly instanceType: string;
  readonly allocatedStorageGiB: number;
  /** Upper bound for storage autoscaling. */
  readonly maxAllocatedStorageGiB: number;
  readonly multiAz: boolean;
  /** Days of automated backups (1 to 35). */
  readonly backupRetentionDays: number;
}

export interface DataRetentionConfig {
  /** RDS deletion protection. Must be true in production. */
  readonly deletionProtection: boolean;
  /** Removal behaviour of the database ("snapshot" or "retain" in production). Buckets are retained unless "destroy". */
  readonly removal: RemovalBehaviour;
}

export interface EnvironmentConfig {
  /** Short lowercase name, e.g. "dev". Used in stack names, resource names and manifest folders. */
  readonly name: string;
  /**
   * AWS account ID (12 digits) of this environment's stacks: one account per environment is AWS's recommended
   * multi-account layout (see `PlatformConfig.sharedServicesAccount`). Either every environment names an account or
   * none does; a production environment's account is its own (no other environment, not the shared-services account).
   * @default - account-agnostic: every stack lands in the account of the deploying credentials (single account)
   */
  readonly account?: string;
  /** AWS region, e.g. "eu-west-1". */
  readonly region: string;
  /** Production environments get the strict data-retention rules and at least two replicas. */
  readonly production: boolean;
  /** What deploys this environment from GitHub Actions. */
  readonly deployFrom: DeployTrigger;
  /** IPv4 CIDR of the VPC; must not overlap another environment's. */
  readonly vpcCidr: string;
  /** NAT gateways: 1 (enough for dev) or 2 (one per availability zone, for high availability). */
  readonly natGateways: number;
  /**
   * Interface VPC endpoints for ECR (API and registry), Secrets Manager and STS, so image pulls and secret reads do
   * not pay NAT data processing; each costs an hourly fee per availability zone. The S3 gateway endpoint (free; image
   * layers and the application bucket) is always there.
   * @default - true in production, false elsewhere
   */
  readonly interfaceEndpoints?: boolean;
  /**
   * Traffic the VPC flow logs record.
   * @default - "all" in production, "reject" elsewhere
   */
  readonly flowLogTraffic?: FlowLogTraffic;
  readonly cluster: ClusterConfig;
  readonly database: DatabaseConfig;
  /** Kubernetes namespace of the workloads; the CI deploy role is scoped to it. */
  readonly namespace: string;
  /** The services, workers and CronJobs this environment runs (config/workloads.ts). */
  readonly workloads: readonly Workload[];
  readonly dataRetention: DataRetentionConfig;
  /**
   * How the services' releases replace the running ones, unless a service says otherwise.
   * @default - production: a canary with DEFAULT_CANARY; otherwise the rolling update
   */
  readonly release?: ReleaseStrategy;
  /** API Gateway steady-state request rate per second. */
  readonly apiThrottleRatePerSecond: number;
  /** API Gateway burst. */
  readonly apiThrottleBurst: number;
  /**
   * Reserved concurrency of the API function: its guaranteed share of the account's Lambda pool and its ceiling, so a
   * flood of uploads cannot starve the account's other functions (secret rotation, the database-role bootstrap).
   * Opt-in: a reservation needs room in the account's "Concurrent executions" quota (Lambda always keeps part of it
   * unreserved, and new accounts may start with a quota far below 1,000), otherwise the deploy fails with
   * "decreases account's UnreservedConcurrentExecution below its minimum value" and rolls back (docs/first-deployment.md#quotas).
   * @default - no reservation: the function draws on the account's unreserved pool
   */
  readonly apiReservedConcurrency?: number;
  /**
   * Alarms and who hears of them, log retention, database maintenance window, backups (config/operations.ts).
   * @default - the defaults of config/operations.ts (production must name a pager)
   */
  readonly operations?: OperationsConfig;
}

/** One ACM certificate per region, shared by every environment in that region. */
export interface CertificateConfig {
  /** Main name of the certificate, e.g. "*.eu-west-1.example.com" or "*.example.com". */
  readonly domainName: string;
  /**
   * Further names on the certificate.
   * @default - none
   */
  readonly subjectAlternativeNames?: readonly string[];
}

export interface DnsConfig {
  /** The public hosted zone that validates certificates (DNS validation), e.g. "example.com". */
  readonly zoneName: string;
  /** Route 53 hosted zone ID of `zoneName`. */
  readonly hostedZoneId: string;
}

/** Centralized sign-in: one Cognito user pool in one region for every environment. */
export interface IdentityConfig {
  /** Region of the central user pool. ALBs in this region use `auth-type: cognito`; others use `auth-type: oidc`. */
  readonly region: string;
  /** Prefix of the Cognito hosted domain (`<prefix>.auth.<region>.amazoncognito.com`), globally unique. */
  readonly domainPrefix: string;
  /** Multi-factor authentication: optional (users may enrol) or required. */
  readonly mfa: 'optional' | 'required';
  /**
   * Cognito threat protection (adaptive authentication, compromised credentials). "full" blocks risky sign-ins,
   * "audit" only records them; both need the Plus feature plan (billed per monthly active user). "off" uses Essentials.
   * @default - "full" when any environment is production, "off" otherwise
   */
  readonly threatProtection?: ThreatProtection;
}

export interface GitHubConfig {
  /** Owner (organisation or user) of the repository that deploys the platform. */
  readonly owner: string;
  /** Repository name. Deploy roles trust only this repository. */
  readonly repository: string;
}

/** GitLab CI/CD: its OIDC issuer and the one project whose pipelines may push images and deploy. */
export interface GitLabConfig {
  /** The GitLab instance, which is the OIDC issuer: "https://gitlab.com" or a self-managed URL (https, no trailing slash). */
  readonly url: string;
  /** Full path of the project, e.g. "example-org/platform" (groups and subgroups included). */
  readonly projectPath: string;
}

/** Bitbucket Pipelines: its OIDC issuer (per workspace) and the one repository whose deployments may deploy. */
export interface BitbucketConfig {
  /** Workspace slug: the issuer is https://api.bitbucket.org/2.0/workspaces/<slug>/pipelines-config/identity/oidc. */
  readonly workspace: string;
  /** Workspace UUID with braces, e.g. "{…}" (Repository settings → OpenID Connect): the audience is ari:cloud:bitbucket::workspace/<uuid without braces>. */
  readonly workspaceUuid: string;
  /** Repository UUID with braces: the start of every token's `sub`. */
  readonly repositoryUuid: string;
  /**
   * UUID (with braces) of the Bitbucket deployment environment of each environment (same names) and of "images" (the
   * push step). A deployment step's `sub` is `<repositoryUuid><environmentUuid>:<stepUuid>`. An environment (or
   * "images") without an entry gets no Bitbucket trust.
   */
  readonly deploymentEnvironmentUuids: Readonly<Record<string, string>>;
}

/** Jenkins: agents in each environment's VPC whose instance (or pod) role may assume that environment's deploy role. */
export interface JenkinsConfig {
  /**
   * Name of the agent role per environment (an existing role in the environment's account), and "images" for the
   * agent that pushes images; an environment without one gets no Jenkins trust.
   */
  readonly agentRoleNames: Readonly<Record<string, string>>;
}

/** CI systems beside GitHub Actions that deliver the platform; each one gets OIDC (or agent-role) trusts in infra. */
export interface DeliveryConfig {
  /**
   * Tags that release production on GitLab, Bitbucket and Jenkins (GitHub: a published release), as a glob such as
   * "v*". Protect them in the CI system (protected tags) so only maintainers can create them.
   */
  readonly releaseTagPattern: string;
  /** @default - no GitLab trust */
  readonly gitlab?: GitLabConfig;
  /** @default - no Bitbucket trust */
  readonly bitbucket?: BitbucketConfig;
  /** @default - no Jenkins agent trust */
  readonly jenkins?: JenkinsConfig;
}

/**
 * A Kubernetes cluster outside AWS (another cloud, on-prem, a local cluster): the same workload with no
 * AWS-specific part. Database and bucket settings come from a ConfigMap/Secret the operator provides.
 */
export interface PortableTargetConfig {
  /** Manifest folder name, e.g. "generic". Must not clash with an environment name. */
  readonly name: string;
  /** Kubernetes namespace of the workloads. */
  readonly namespace: string;
  /** The services, workers and CronJobs this target runs (config/workloads.ts). */
  readonly workloads: readonly Workload[];
  /** IngressClass of the cluster's ingress controller, e.g. "nginx" (ingress-nginx). */
  readonly ingressClassName: string;
  /**
   * Name of a TLS Secret (type kubernetes.io/tls) in the namespace, e.g. issued by cert-manager.
   * @default - no TLS section (terminate TLS in front of the ingress)
   */
  readonly tlsSecretName?: string;
  /**
   * How releases replace the running one.
   * @default - the rolling update
   */
  readonly release?: ReleaseStrategy;
  /**
   * Where the API server's pod proxy connects from (the canary analysis reads each pod's metrics port through it):
   * the only sources the NetworkPolicy admits to the metrics port. On a kubeadm-style cluster the control-plane
   * nodes' addresses; with a konnectivity proxy, the addresses of its agents.
   * @default DEFAULT_METRICS_SCRAPE_CIDRS (the local cluster's node address, where its API server runs)
   */
  readonly metricsScrapeCidrs?: readonly string[];
  /**
   * Where the external database (the host in each `<workload>-database` Secret) is, as an IPv4 CIDR: the only
   * destination of the NetworkPolicy's database egress (port DATABASE_PORT). The local environment's is the real
   * node's bridge address, "198.18.0.1/32".
   * @default "0.0.0.0/0" (any address: the database's address is often not known when the manifests are rendered)
   */
  readonly databaseCidr?: string;
}

export interface PlatformConfig {
  /** Short project name used as a prefix for stacks and resources, e.g. "platform". */
  readonly project: string;
  readonly github: GitHubConfig;
  /**
   * The other CI systems that may push images and deploy (GitLab, Bitbucket, Jenkins).
   * @default - GitHub Actions only
   */
  readonly delivery?: DeliveryConfig;
  readonly dns: DnsConfig;
  readonly identity: IdentityConfig;
  /** Certificates by region. Every region that hosts an environment needs one. */
  readonly certificates: Readonly<Record<string, CertificateConfig>>;
  /** The images the platform builds (one ECR repository each, replicated to the other environment regions). */
  readonly images: readonly ImageConfig[];
  /**
   * AWS account ID (12 digits) of the shared services: sign-in (Cognito), the image registry (ECR and its replicas),
   * the image push role and the shared stacks' deploy role. Required when the environments name accounts.
   * @default - no shared-services account: the single-account layout (shared stacks beside the environments)
   */
  readonly sharedServicesAccount?: string;
  readonly environments: readonly EnvironmentConfig[];
  /** Manifests for clusters outside AWS. */
  readonly portableTargets: readonly PortableTargetConfig[];
}
