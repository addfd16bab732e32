/**
 * The workloads a platform team declares: the images it builds, and per environment (or portable target) the
 * services, workers and CronJobs that run them. Every layer reads these declarations: charts/ (one set of manifests
 * per workload), infra/ (a Pod Identity role, a database role, alarms per workload; an ECR repository per image),
 * the deploy command and the pipelines. Adding a workload is one entry in a `workloads` list.
 *
 * Rules: config/validate-workloads.ts. Defaults: the `workload*` functions below (one home each).
 */
import type { ReleaseStrategy } from './release-strategy';

/** A container image the platform builds, scans and pushes (one ECR repository each, replicated to every region). */
export interface ImageConfig {
  /** Name the workloads refer to, e.g. "app" (lowercase DNS label). */
  readonly name: string;
  /**
   * Build context, relative to the repository root, e.g. "app" ("." = the root). A change to a file under it that
   * its Docker ignore file lets in (`<dockerfile>.dockerignore`, else `<context>/.dockerignore`) rebuilds the image
   * (`npm run images:plan`, scripts/image-plan.ts).
   */
  readonly context: string;
  /** Dockerfile, relative to the repository root, e.g. "app/Dockerfile". */
  readonly dockerfile: string;
  /** ECR repository name, e.g. "platform/web". */
  readonly repositoryName: string;
}

/** An environment variable read from a key of a Secret that the cluster operator (or the deploy command) creates. */
export interface SecretRef {
  /** Name of the Secret in the namespace. */
  readonly secretName: string;
  /** Key in the Secret. */
  readonly key: string;
}

/** What a workload may do in other workloads' database schemas. */
export type SchemaAccess = 'read' | 'readWrite';

/** A workload's access to the environment's database, as its own PostgreSQL role (IAM authentication on AWS). */
export interface WorkloadDatabaseAccess {
  /**
   * A schema of its own, named after the workload: it owns it (and runs its migrations there).
   * @default false
   */
  readonly ownSchema?: boolean;
  /**
   * Access to other workloads' schemas (each must own one).
   * @default - none
   */
  readonly schemas?: readonly { readonly workload: string; readonly access: SchemaAccess }[];
}

/** A workload's access to the environment's bucket (AWS environments): objects under one prefix. */
export interface WorkloadStorageAccess {
  /**
   * Key prefix, ending in "/", e.g. "uploads/".
   * @default - "<workload name>/"
   */
  readonly prefix?: string;
  readonly access: SchemaAccess;
}

/** A destination outside the cluster, by name (the name appears in the NetworkPolicy and in reviews). */
export interface NamedCidr {
  /** What it is, e.g. "payments-api" (lowercase DNS label). */
  readonly name: string;
  /** IPv4 CIDR. */
  readonly cidr: string;
  /** TCP port. */
  readonly port: number;
}

/** HTTP probe paths on the workload's port. */
export interface ProbePaths {
  /** @default "/healthz" */
  readonly liveness?: string;
  /** @default "/readyz" */
  readonly readiness?: string;
}

/** What every kind of workload declares. */
export interface WorkloadBase {
  /** Name of its objects, ServiceAccount, database role and alarms, e.g. "web" (lowercase DNS label, at most 40 characters). */
  readonly name: string;
  /** The `images` entry it runs. */
  readonly image: string;
  /**
   * Entrypoint (the container's `command`).
   * @default - the image's entrypoint
   */
  readonly command?: readonly string[];
  /**
   * Arguments (the container's `args`); several workloads can run one image in different modes.
   * @default - the image's CMD
   */
  readonly args?: readonly string[];
  /**
   * Non-secret settings, as environment variables (from the workload's ConfigMap).
   * @default - none
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Environment variables from Secrets, by reference (never values in config).
   * @default - none
   */
  readonly secretEnv?: Readonly<Record<string, SecretRef>>;
  /** CPU request per pod in millicores (limits: WORKLOAD_LIMITS). */
  readonly cpuMillis: number;
  /** Memory request and limit per pod in MiB. */
  readonly memoryMiB: number;
  /**
   * Its database role and what that role may do.
   * @default - no database access (no role, no network path to the database)
   */
  readonly database?: WorkloadDatabaseAccess;
  /**
   * Its access to the environment's bucket (AWS environments).
   * @default - none
   */
  readonly storage?: WorkloadStorageAccess;
  /**
   * Destinations outside the cluster it may reach, beside DNS, the database and (AWS) object storage.
   * @default - none
   */
  readonly egress?: readonly NamedCidr[];
}

/**
 * A schema migration the deploy command runs before the workload's pods change: a command of the workload's image,
 * run once per release as a Kubernetes Job with the release's image, the workload's own ServiceAccount (its database
 * role, its Pod Identity) and configuration. It must be idempotent and backward compatible with the running version:
 * the old pods keep running during and after it, and a rollback runs the old code against the migrated schema.
 */
export interface WorkloadMigration {
  /**
   * What to run, as `docker run <image> <command…>` reads it: it replaces the image's CMD (the container's `args`);
   * the entrypoint stays the workload's `command` or the image's. E.g. ["/app/server.js", "migrate"].
   */
  readonly command: readonly string[];
  /**
   * Seconds the migration may take, from the Job's start (pod scheduling and image pull included); past them it is
   * stopped and the release ends with exit 1.
   * @default 300
   */
  readonly timeoutSeconds?: number;
}

/**
 * How long a new pod stays Ready before it counts as available, so that the rolling update goes on to the next pod
 * (a pod that fails soon after its first Ready stops the release there). Bounds and default.
 */
export const MIN_READY_SECONDS_LIMITS = { min: 0, max: 300 } as const;
export const DEFAULT_MIN_READY_SECONDS = 10;

/**
 * How long a new container may take to start: the window of its startup probe, after which the kubelet restarts it
 * and the deploy command counts the pod as failed (plus one readiness period). Bounds and default.
 */
export const STARTUP_SECONDS_LIMITS = { min: 10, max: 600 } as const;
export const DEFAULT_STARTUP_SECONDS = 60;

/** Bounds of a migration's timeoutSeconds. */
export const MIGRATION_TIMEOUT_LIMITS = { min: 10, max: 3600 } as const;
export const DEFAULT_MIGRATION_TIMEOUT_SECONDS = 300;

/** How a service is reached. */
export type ServiceExposure =
  /** Through the environment's ALB (AWS: Cognito sign-in) or the target's ingress controller: its own host and/or path. */
  | { readonly kind: 'public'; readonly host?: string; readonly path?: string }
  /** From inside the cluster only, by the workloads that name it in `allowFrom`. */
  | { readonly kind: 'internal' };

/** An HTTP service: a Service, probes, autoscaling, a PodDisruptionBudget. */
export interface ServiceWorkload extends WorkloadBase {
  readonly kind: 'service';
  readonly exposure: ServiceExposure;
  /**
   * Port the container listens on (env PORT).
   * @default 8080
   */
  readonly port?: number;
  /** Minimum (and initial) pods; at least 2 in production. */
  readonly minReplicas: number;
  /** Upper bound of the HorizontalPodAutoscaler. */
  readonly maxReplicas: number;
  /** @default - "/healthz" and "/readyz" */
  readonly probes?: ProbePaths;
  /**
   * Seconds a new pod stays Ready before it counts as available and the rollout replaces the next one
   * (MIN_READY_SECONDS_LIMITS).
   * @default 10 (DEFAULT_MIN_READY_SECONDS)
   */
  readonly minReadySeconds?: number;
  /**
   * Seconds a new container may take to start (its startup probe's window; STARTUP_SECONDS_LIMITS). A pod not Ready
   * by then, plus one readiness period, fails the release; the progress deadline grows with it.
   * @default 60 (DEFAULT_STARTUP_SECONDS)
   */
  readonly startupSeconds?: number;
  /**
   * Other workloads (by name) whose pods may call it.
   * @default - none (a public service is still reached from its ingress path)
   */
  readonly allowFrom?: readonly string[];
  /**
   * How its releases replace the running one.
   * @default - the environment's release strategy
   */
  readonly release?: ReleaseStrategy;
  /**
   * A schema migration run before its pods change.
   * @default - none
   */
  readonly migration?: WorkloadMigration;
}

/** A long-running process without HTTP traffic (a queue consumer): no Service, but a real health signal. */
export interface WorkerWorkload extends WorkloadBase {
  readonly kind: 'worker';
  /** Pods (at least 2 in production). */
  readonly replicas: number;
  /**
   * Port of its health endpoints (liveness restarts a stuck worker; readiness gates a release).
   * @default 8080
   */
  readonly healthPort?: number;
  /** @default - "/healthz" and "/readyz" */
  readonly probes?: ProbePaths;
  /**
   * Seconds a new pod stays Ready before it counts as available and the rollout replaces the next one
   * (MIN_READY_SECONDS_LIMITS).
   * @default 10 (DEFAULT_MIN_READY_SECONDS)
   */
  readonly minReadySeconds?: number;
  /**
   * Seconds a new container may take to start (its startup probe's window; STARTUP_SECONDS_LIMITS). A pod not Ready
   * by then, plus one readiness period, fails the release; the progress deadline grows with it.
   * @default 60 (DEFAULT_STARTUP_SECONDS)
   */
  readonly startupSeconds?: number;
  /**
   * Only the rolling update: a canary needs HTTP traffic to judge.
   * @default - { kind: "rolling" }
   */
  readonly release?: ReleaseStrategy;
  /**
   * A schema migration run before its pods change.
   * @default - none
   */
  readonly migration?: WorkloadMigration;
}

/** What to do when a run is due and the last one still runs. */
export type ConcurrencyPolicy = 'Forbid' | 'Allow' | 'Replace';

/** A scheduled job. */
export interface CronJobWorkload extends WorkloadBase {
  readonly kind: 'cronJob';
  /** Five-field cron expression, e.g. "15 3 * * *". */
  readonly schedule: string;
  /**
   * IANA time zone of the schedule, e.g. "Europe/Berlin".
   * @default "Etc/UTC"
   */
  readonly timeZone?: string;
  /** @default "Forbid" */
  readonly concurrencyPolicy?: ConcurrencyPolicy;
  /**
   * Seconds after the scheduled time a missed run may still start.
   * @default 300
   */
  readonly startingDeadlineSeconds?: number;
  /**
   * Seconds a run may take before it is stopped.
   * @default 3600
   */
  readonly activeDeadlineSeconds?: number;
  /** Retries of a failed run. @default 2 */
  readonly backoffLimit?: number;
  /** @default 3 */
  readonly successfulJobsHistoryLimit?: number;
  /** @default 3 */
  readonly failedJobsHistoryLimit?: number;
  /** Only the rolling replacement of its template. @default - { kind: "rolling" } */
  readonly release?: ReleaseStrategy;
}

export type Workload = ServiceWorkload | WorkerWorkload | CronJobWorkload;
export type WorkloadKind = Workload['kind'];
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['service', 'worker', 'cronJob'];

/** Port a service or worker listens on when it does not say. */
export const DEFAULT_WORKLOAD_PORT = 8080;
export const DEFAULT_PROBES: Required<ProbePaths> = { liveness: '/healthz', readiness: '/readyz' };
export const DEFAULT_CRON_TIME_ZONE = 'Etc/UTC';

/** The port a workload's pods serve on (HTTP or health), or undefined for a CronJob. */
export function workloadPort(workload: Workload): number | undefined {
  if (workload.kind === 'service') return workload.port ?? DEFAULT_WORKLOAD_PORT;
  if (workload.kind === 'worker') return workload.healthPort ?? DEFAULT_WORKLOAD_PORT;
  return undefined;
}

/** The probe paths of a service or worker. */
export function workloadProbes(workload: ServiceWorkload | WorkerWorkload): Required<ProbePaths> {
  return { ...DEFAULT_PROBES, ...workload.probes };
}

/** The storage prefix a workload was granted (default: its name). */
export function storagePrefix(workload: Workload): string | undefined {
  return workload.storage ? (workload.storage.prefix ?? `${workload.name}/`) : undefined;
}

export type CronJobSettings = Omit<CronJobWorkload, keyof WorkloadBase | 'kind' | 'release'>;

/** The CronJob settings with their defaults (one home: config validation, the declaration and the chart read them). */
export function cronJobSettings(job: CronJobSettings): Required<CronJobSettings> {
  return {
    schedule: job.schedule,
    timeZone: job.timeZone ?? DEFAULT_CRON_TIME_ZONE,
    concurrencyPolicy: job.concurrencyPolicy ?? 'Forbid',
    startingDeadlineSeconds: job.startingDeadlineSeconds ?? 300,
    activeDeadlineSeconds: job.activeDeadlineSeconds ?? 3600,
    backoffLimit: job.backoffLimit ?? 2,
    successfulJobsHistoryLimit: job.successfulJobsHistoryLimit ?? 3,
    failedJobsHistoryLimit: job.failedJobsHistoryLimit ?? 3,
  };
}

/** A workload's migration with its defaults, or undefined when it declares none (a CronJob never does). */
export function workloadMigration(workload: Workload): Required<WorkloadMigration> | undefined {
  const migration = workload.kind === 'cronJob' ? undefined : workload.migration;
  return migration && { command: migration.command, timeoutSeconds: migration.timeoutSeconds ?? DEFAULT_MIGRATION_TIMEOUT_SECONDS };
}

/** The workloads that may call `target` (its `allowFrom`; only services receive calls). */
export function callersOf(target: Workload): readonly string[] {
  return target.kind === 'service' ? (target.allowFrom ?? []) : [];
}

/** The services `caller` may call: those naming it in their `allowFrom` (one declaration per edge). */
export function calleesOf(caller: string, workloads: readonly Workload[]): ServiceWorkload[] {
  return workloads.filter((w): w is ServiceWorkload => w.kind === 'service' && callersOf(w).includes(caller));
}

/** The public services (reached through the ingress). */
export function publicServices(workloads: readonly Workload[]): ServiceWorkload[] {
  return workloads.filter((w): w is ServiceWorkload => w?.kind === 'service' && w.exposure?.kind === 'public');
}

/** The distinct hosts of the public services, in declaration order (certificates, DNS records, sign-in callbacks, CORS). */
export function publicHosts(workloads: readonly Workload[]): string[] {
  const hosts = publicServices(workloads).map((w) => (w.exposure.kind === 'public' ? w.exposure.host : undefined));
  return [...new Set(hosts.filter((h): h is string => h !== undefined))];
}

/** The PostgreSQL role of a workload (its name with "-" as "_", a valid SQL identifier); its own schema has the same name. */
export function databaseRoleName(workload: string): string {
  return workload.replace(/-/g, '_');
}

/** `web-api` → `WebApi`: construct IDs and CloudFormation output keys derived from a workload or image name. */
export function pascalCase(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The images the workloads run, each once, in the order of `images`. */
export function imagesInUse(images: readonly ImageConfig[], workloads: readonly Workload[]): ImageConfig[] {
  const used = new Set(workloads.map((w) => w.image));
  return images.filter((i) => used.has(i.name));
}

/**
 * The first service declared (the stack's `podRoleArn` output names its pod role). The deploy command no longer uses
 * it: it releases each workload on its own. Undefined when the target declares no service.
 */
export function releasedServiceName(workloads: readonly Workload[]): string | undefined {
  return workloads.find((w) => w.kind === 'service')?.name;
}

/**
 * The construct ID of an image's ECR repository, from the repository name's last segment ("platform/web" →
 * "WebRepository"): a repository's identity is its name (renaming it replaces it anyway), so its logical ID follows
 * the name and never an image's order or name. Config validation keeps last segments unique.
 */
export function repositoryConstructId(image: Pick<ImageConfig, 'repositoryName'>): string {
  const last = image.repositoryName.split('/').pop() ?? image.repositoryName;
  return `${pascalCase(last.replace(/[._]/g, '-'))}Repository`;
}

/** A workload's PostgreSQL role as the database-role custom resource takes it (lambda/database-role DatabaseRoleSpec). */
export interface WorkloadDatabaseRole {
  readonly roleName: string;
  readonly databaseName: string;
  readonly schemaName?: string;
  readonly grants?: readonly { readonly schema: string; readonly access: SchemaAccess }[];
}

/**
 * The database roles of the workloads with database access, owners of schemas first (a grant needs its schema): the
 * same specs the AWS custom resource and the local environment converge.
 */
export function databaseRoleSpecs(workloads: readonly Workload[], databaseName: string): WorkloadDatabaseRole[] {
  const withDatabase = workloads.filter((w) => w.database !== undefined);
  const owners = withDatabase.filter((w) => w.database?.ownSchema === true);
  const others = withDatabase.filter((w) => w.database?.ownSchema !== true);
  return [...owners, ...others].map((w) => {
    const role = databaseRoleName(w.name);
    const grants = (w.database?.schemas ?? []).map((g) => ({ schema: databaseRoleName(g.workload), access: g.access }));
    return { roleName: role, databaseName, ...(w.database?.ownSchema ? { schemaName: role } : {}), ...(grants.length > 0 ? { grants } : {}) };
  });
}
