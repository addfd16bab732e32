import { Checker } from './check';

/**
 * Names and rules every layer shares about the workloads' namespace and sizing (infra, charts, deploy): defined once
 * here, imported everywhere. What each workload is lives in the declarations (config/workloads.ts).
 */

/** The database the RDS instance creates and every workload's own role connects to (each in its own schema). */
export const WORKLOAD_DATABASE_NAME = 'app';
/** PostgreSQL's port: the RDS instance listens on it, the network policy allows it, the app defaults to it. */
export const DATABASE_PORT = 5432;

/** The AWS Load Balancer Controller's ServiceAccount (Helm chart defaults): Pod Identity, the chart, the OIDC Secret reader. */
export const ALB_CONTROLLER_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'aws-load-balancer-controller' } as const;

/**
 * The Secret (keys `clientID`, `clientSecret`) the AWS Load Balancer Controller reads for `auth-type: oidc`: one per
 * namespace, shared by the environment's public services; created by the deploy command from Secrets Manager.
 */
export const OIDC_CLIENT_SECRET_NAME = 'alb-oidc-client';

/**
 * Label of a workload's content-addressed configuration (its immutable ConfigMaps, named after a hash of their
 * content): the value is the workload. They live outside the workload's ApplySet, so a release never prunes the
 * configuration an older ReplicaSet (the one a rollback returns to) still reads; the deploy command deletes them
 * once nothing references them.
 */
export const CONFIG_OF_LABEL = 'platform.local/config-of';

/**
 * Annotation of the objects the deploy command runs in a phase of its own instead of applying them with the
 * workload's ApplySet: `migration` (the migration Job and its NetworkPolicy), before the workload's pods change.
 */
export const PHASE_ANNOTATION = 'platform.local/phase';
export const MIGRATION_PHASE = 'migration';

/** Pod Security Standards level enforced, audited and warned on in the workload namespace. */
export const POD_SECURITY_LEVEL = 'restricted';
/** Makes the AWS Load Balancer Controller inject its pod readiness gate (a pod is Ready once its ALB target is). */
export const READINESS_GATE_LABEL = 'elbv2.k8s.aws/pod-readiness-gate-inject';

export interface NamespaceLabelOptions {
  /** Pinned in the `*-version` labels, e.g. "v1.35" or "latest". */
  readonly podSecurityVersion: string;
  /** Adds READINESS_GATE_LABEL=enabled (EKS with the controller only). */
  readonly albPodReadinessGate: boolean;
}

/** The workload namespace's labels, built the same way by infra (which creates it on EKS) and the charts. */
export function workloadNamespaceLabels(options: NamespaceLabelOptions): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ['enforce', 'audit', 'warn']) {
    labels[`pod-security.kubernetes.io/${mode}`] = POD_SECURITY_LEVEL;
    labels[`pod-security.kubernetes.io/${mode}-version`] = options.podSecurityVersion;
  }
  if (options.albPodReadinessGate) labels[READINESS_GATE_LABEL] = 'enabled';
  return labels;
}

/**
 * The order objects are applied in, by kind: what others depend on first (a Role before the RoleBinding that binds
 * it, ConfigMaps and Secrets before the Deployment that reads them). Used by the charts (manifest order) and the
 * deploy command (apply order). Other kinds come last.
 */
export const APPLY_ORDER: readonly string[] = [
  'Namespace',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'Role',
  'RoleBinding',
  'NetworkPolicy',
  'Service',
  'Deployment',
  'CronJob',
  // A migration Job: run by the deploy command in its own phase, never applied with the others.
  'Job',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'Ingress',
];

/** Position of a kind in APPLY_ORDER (unknown kinds after every known one). */
export function applyRank(kind: string): number {
  const i = APPLY_ORDER.indexOf(kind);
  return i === -1 ? APPLY_ORDER.length : i;
}

/** Bounds of a workload's sizing, checked by config validation and by the charts alike. */
export const WORKLOAD_LIMITS = {
  minReplicas: { min: 1, max: 100 },
  maxReplicas: { min: 1, max: 1000 },
  cpuMillis: { min: 10, max: 16000 },
  memoryMiB: { min: 32, max: 65536 },
} as const satisfies Record<string, { min: number; max: number }>;

/** Production needs at least this many replicas (a rollout, a drain or a node loss never takes it down). */
export const PRODUCTION_MIN_REPLICAS = 2;

/**
 * Problems of a workload's sizing, each naming the field (as `<prefix>minReplicas` …), the value and what is allowed
 * (config/check.ts' vocabulary). Empty when valid.
 */
export function workloadSizingProblems(
  workload: { readonly minReplicas: number; readonly maxReplicas: number; readonly cpuMillis: number; readonly memoryMiB: number },
  production: boolean,
  prefix = '',
): string[] {
  const check = new Checker();
  const sized = (['minReplicas', 'maxReplicas', 'cpuMillis', 'memoryMiB'] as const).map((field) =>
    check.integer('', `${prefix}${field}`, workload[field], WORKLOAD_LIMITS[field].min, WORKLOAD_LIMITS[field].max),
  );
  if (!sized.every(Boolean)) return [...check.problems];
  if (workload.maxReplicas < workload.minReplicas) check.fail('', `${prefix}maxReplicas is ${workload.maxReplicas}; it must be at least minReplicas (${workload.minReplicas})`);
  if (production && workload.minReplicas < PRODUCTION_MIN_REPLICAS) {
    check.fail(
      '',
      `${prefix}minReplicas is ${workload.minReplicas} in production; production needs at least ${PRODUCTION_MIN_REPLICAS} replicas so a rollout, a drain or a node loss never takes the service down`,
    );
  }
  return [...check.problems];
}
