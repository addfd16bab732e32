import type { EnvironmentConfig, PlatformConfig } from './types';
import type { Workload } from './workloads';

/**
 * The platform's default configuration. Synthesizes with no AWS account: stacks are account-agnostic and the
 * hosted zone, domain and repository below are placeholders to replace with your own.
 *
 * Adding an environment is one entry in `environments`.
 */
const nonProductionCluster: EnvironmentConfig['cluster'] = {
  kubernetesVersion: '1.35',
  nodeInstanceTypes: ['t4g.large'],
  minNodes: 2,
  desiredNodes: 2,
  maxNodes: 4,
  endpointAccess: 'public-and-private',
  // Documentation range (RFC 5737): replace with your office / VPN egress CIDRs.
  publicAccessCidrs: ['203.0.113.0/24'],
  // No admin access entry until you name an existing role: cluster.adminPrincipalArn (config/types.ts).
};

/** The sample application's one image (app/): three workloads run it in three modes. */
export const SAMPLE_IMAGE = 'app';

interface SampleSizing {
  /** The web service's public host, or none (reached by path on any host of the target's ingress). */
  readonly host: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly workerReplicas: number;
}

/**
 * The sample application as three workloads of one image: `web` (public) records work in its schema, `worker`
 * processes it (FOR UPDATE SKIP LOCKED), and the nightly `prune` CronJob deletes what is done. Each has its own
 * database role: web owns the schema, the other two may read and write it.
 */
export function sampleWorkloads(sizing: SampleSizing): Workload[] {
  const onWebSchema = { schemas: [{ workload: 'web', access: 'readWrite' as const }] };
  return [
    {
      kind: 'service',
      name: 'web',
      image: SAMPLE_IMAGE,
      exposure: { kind: 'public', host: sizing.host },
      minReplicas: sizing.minReplicas,
      maxReplicas: sizing.maxReplicas,
      cpuMillis: sizing.cpuMillis,
      memoryMiB: sizing.memoryMiB,
      database: { ownSchema: true },
      storage: { access: 'readWrite' },
    },
    {
      kind: 'worker',
      name: 'worker',
      image: SAMPLE_IMAGE,
      args: ['/app/server.js', 'worker'],
      replicas: sizing.workerReplicas,
      cpuMillis: 50,
      memoryMiB: 128,
      database: onWebSchema,
    },
    {
      kind: 'cronJob',
      name: 'prune',
      image: SAMPLE_IMAGE,
      args: ['/app/server.js', 'prune'],
      schedule: '15 3 * * *',
      cpuMillis: 50,
      memoryMiB: 128,
      database: onWebSchema,
    },
  ];
}

export const platformConfig: PlatformConfig = {
  project: 'platform',
  github: { owner: 'example-org', repository: 'platform' },
  // Placeholders: replace with your GitLab project, Bitbucket workspace/repository/deployment UUIDs and Jenkins agent roles (docs/delivery.md#one-time-setup-per-system-a-pipeline-cannot-do-it).
  delivery: {
    releaseTagPattern: 'v*',
    gitlab: { url: 'https://gitlab.com', projectPath: 'example-org/platform' },
    bitbucket: {
      workspace: 'example-org',
      workspaceUuid: '{00000000-0000-4000-8000-000000000000}',
      repositoryUuid: '{00000000-0000-4000-8000-000000000001}',
      deploymentEnvironmentUuids: {
        images: '{00000000-0000-4000-8000-00000000000a}',
        dev: '{00000000-0000-4000-8000-00000000000d}',
        staging: '{00000000-0000-4000-8000-00000000000e}',
        prod: '{00000000-0000-4000-8000-00000000000f}',
      },
    },
    jenkins: {
      agentRoleNames: {
        images: 'platform-images-jenkins-agent',
        dev: 'platform-dev-jenkins-agent',
        staging: 'platform-staging-jenkins-agent',
        prod: 'platform-prod-jenkins-agent',
      },
    },
  },
  dns: { zoneName: 'example.com', hostedZoneId: 'Z0123456789EXAMPLE' },
  identity: { region: 'eu-west-1', domainPrefix: 'example-platform-auth', mfa: 'optional' },
  certificates: {
    'eu-west-1': { domainName: '*.eu-west-1.example.com' },
    'eu-central-1': { domainName: 'app.example.com' },
  },
  // Build context: the repository root (the image bundles config/ with the app); app/Dockerfile.dockerignore lets in only
  // what the build reads, so only a change to those files rebuilds it (scripts/image-plan.ts).
  images: [{ name: SAMPLE_IMAGE, context: '.', dockerfile: 'app/Dockerfile', repositoryName: 'platform/web' }],
  environments: [
    {
      name: 'dev',
      region: 'eu-west-1',
      production: false,
      deployFrom: { kind: 'branch', branch: 'develop' },
      vpcCidr: '10.10.0.0/16',
      natGateways: 1,
      cluster: nonProductionCluster,
      database: {
        instanceType: 't4g.micro',
        allocatedStorageGiB: 20,
        maxAllocatedStorageGiB: 50,
        multiAz: false,
        backupRetentionDays: 1,
      },
      namespace: 'web',
      workloads: sampleWorkloads({ host: 'dev.eu-west-1.example.com', minReplicas: 1, maxReplicas: 3, cpuMillis: 100, memoryMiB: 128, workerReplicas: 1 }),
      dataRetention: { deletionProtection: false, removal: 'destroy' },
      apiThrottleRatePerSecond: 20,
      apiThrottleBurst: 40,
      operations: { notifications: [{ kind: 'email', endpoint: 'platform-dev-alarms@example.com' }], containerLogRetentionDays: 14, databaseLogRetentionDays: 14 },
    },
    {
      name: 'staging',
      region: 'eu-west-1',
      production: false,
      deployFrom: { kind: 'branch', branch: 'staging' },
      vpcCidr: '10.20.0.0/16',
      natGateways: 1,
      cluster: nonProductionCluster,
      database: {
        instanceType: 't4g.small',
        allocatedStorageGiB: 20,
        maxAllocatedStorageGiB: 100,
        multiAz: false,
        backupRetentionDays: 7,
      },
      namespace: 'web',
      workloads: sampleWorkloads({ host: 'staging.eu-west-1.example.com', minReplicas: 2, maxReplicas: 4, cpuMillis: 200, memoryMiB: 256, workerReplicas: 2 }),
      dataRetention: { deletionProtection: false, removal: 'snapshot' },
      apiThrottleRatePerSecond: 50,
      apiThrottleBurst: 100,
      operations: { notifications: [{ kind: 'email', endpoint: 'platform-staging-alarms@example.com' }] },
    },
    {
      name: 'prod',
      region: 'eu-central-1',
      production: true,
      deployFrom: { kind: 'release' },
      vpcCidr: '10.30.0.0/16',
      natGateways: 2,
      cluster: {
        ...nonProductionCluster,
        nodeInstanceTypes: ['m7g.large'],
        minNodes: 3,
        desiredNodes: 3,
        maxNodes: 9,
      },
      database: {
        instanceType: 'm7g.large',
        allocatedStorageGiB: 100,
        maxAllocatedStorageGiB: 500,
        multiAz: true,
        backupRetentionDays: 30,
      },
      namespace: 'web',
      workloads: sampleWorkloads({ host: 'app.example.com', minReplicas: 3, maxReplicas: 10, cpuMillis: 250, memoryMiB: 512, workerReplicas: 2 }),
      dataRetention: { deletionProtection: true, removal: 'snapshot' },
      apiThrottleRatePerSecond: 200,
      apiThrottleBurst: 400,
      operations: {
        // Placeholders: your paging service's CloudWatch/SNS integration URL and the team's address.
        notifications: [
          { kind: 'pager', endpoint: 'https://events.pagerduty.com/integration/REPLACE-WITH-INTEGRATION-KEY/enqueue' },
          { kind: 'email', endpoint: 'platform-prod-alarms@example.com' },
        ],
        alarms: { databaseConnections: 400 },
        containerLogRetentionDays: 90,
        databaseLogRetentionDays: 90,
        // Sunday 03:30-04:30 UTC: outside business hours, after the 02:00-03:00 backup window.
        maintenanceWindow: 'sun:03:30-sun:04:30',
        backup: { retentionDays: 35 },
      },
    },
  ],
  portableTargets: [
    {
      name: 'generic',
      ingressClassName: 'nginx',
      tlsSecretName: 'web-tls',
      namespace: 'web',
      workloads: sampleWorkloads({ host: 'web.example.internal', minReplicas: 2, maxReplicas: 4, cpuMillis: 100, memoryMiB: 128, workerReplicas: 1 }),
    },
  ],
};
