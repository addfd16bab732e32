/**
 * The keys each configuration object may have, for the unknown-key rule (a misspelled optional key would otherwise
 * be ignored and its default used). `keyList<T>` takes exactly the keys of T, so TypeScript fails the build when a
 * field is added to an interface and not here, or listed here and not in the interface.
 */
import type { ClusterConfig, DataRetentionConfig, DatabaseConfig, EnvironmentConfig, PlatformConfig, PortableTargetConfig } from './types';
import type { CronJobWorkload, ImageConfig, NamedCidr, ServiceWorkload, WorkerWorkload, WorkloadDatabaseAccess, WorkloadMigration, WorkloadStorageAccess } from './workloads';

function keyList<T>(keys: Record<keyof Required<T>, true>): readonly string[] {
  return Object.keys(keys);
}

export const PLATFORM_KEYS = keyList<PlatformConfig>({
  project: true,
  github: true,
  delivery: true,
  dns: true,
  identity: true,
  certificates: true,
  images: true,
  sharedServicesAccount: true,
  environments: true,
  portableTargets: true,
});

export const ENVIRONMENT_KEYS = keyList<EnvironmentConfig>({
  name: true,
  account: true,
  region: true,
  production: true,
  deployFrom: true,
  vpcCidr: true,
  natGateways: true,
  interfaceEndpoints: true,
  flowLogTraffic: true,
  cluster: true,
  database: true,
  namespace: true,
  workloads: true,
  dataRetention: true,
  release: true,
  apiThrottleRatePerSecond: true,
  apiThrottleBurst: true,
  apiReservedConcurrency: true,
  operations: true,
});

export const CLUSTER_KEYS = keyList<ClusterConfig>({
  kubernetesVersion: true,
  nodeInstanceTypes: true,
  minNodes: true,
  desiredNodes: true,
  maxNodes: true,
  endpointAccess: true,
  publicAccessCidrs: true,
  adminPrincipalArn: true,
  controlPlaneLogTypes: true,
});

export const DATABASE_KEYS = keyList<DatabaseConfig>({ instanceType: true, allocatedStorageGiB: true, maxAllocatedStorageGiB: true, multiAz: true, backupRetentionDays: true });

export const DATA_RETENTION_KEYS = keyList<DataRetentionConfig>({ deletionProtection: true, removal: true });

export const PORTABLE_TARGET_KEYS = keyList<PortableTargetConfig>({
  name: true,
  namespace: true,
  workloads: true,
  ingressClassName: true,
  tlsSecretName: true,
  release: true,
  metricsScrapeCidrs: true,
  databaseCidr: true,
});

export const IMAGE_KEYS = keyList<ImageConfig>({ name: true, context: true, dockerfile: true, repositoryName: true });

const COMMON = {
  kind: true,
  name: true,
  image: true,
  command: true,
  args: true,
  env: true,
  secretEnv: true,
  cpuMillis: true,
  memoryMiB: true,
  database: true,
  storage: true,
  egress: true,
  release: true,
} as const;

/** The keys of each kind of workload. */
export const WORKLOAD_KEYS = {
  service: keyList<ServiceWorkload>({
    ...COMMON,
    exposure: true,
    port: true,
    minReplicas: true,
    maxReplicas: true,
    probes: true,
    minReadySeconds: true,
    startupSeconds: true,
    allowFrom: true,
    migration: true,
  }),
  worker: keyList<WorkerWorkload>({ ...COMMON, replicas: true, healthPort: true, probes: true, minReadySeconds: true, startupSeconds: true, migration: true }),
  cronJob: keyList<CronJobWorkload>({
    ...COMMON,
    schedule: true,
    timeZone: true,
    concurrencyPolicy: true,
    startingDeadlineSeconds: true,
    activeDeadlineSeconds: true,
    backoffLimit: true,
    successfulJobsHistoryLimit: true,
    failedJobsHistoryLimit: true,
  }),
} as const;

export const WORKLOAD_DATABASE_KEYS = keyList<WorkloadDatabaseAccess>({ ownSchema: true, schemas: true });
export const WORKLOAD_STORAGE_KEYS = keyList<WorkloadStorageAccess>({ prefix: true, access: true });
export const WORKLOAD_MIGRATION_KEYS = keyList<WorkloadMigration>({ command: true, timeoutSeconds: true });
export const NAMED_CIDR_KEYS = keyList<NamedCidr>({ name: true, cidr: true, port: true });
export const SECRET_REF_KEYS = ['secretName', 'key'] as const;
export const PROBE_KEYS = ['liveness', 'readiness'] as const;
