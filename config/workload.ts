/**
 * Names and rules every layer shares about the workload (infra, charts, deploy, the sample app): defined once here,
 * imported everywhere, so a change reaches every user. test/config/workload.test.ts and the layer tests check
 * that the infra's and the charts' copies of these values agree.
 */
import type { WorkloadConfig } from './types';

/**
 * The workload's objects (Deployment, ServiceAccount, Service, ConfigMap, HPA, PDB, Ingress, NetworkPolicy) and its
 * container are named WORKLOAD_NAME: infra binds the Pod Identity role to that ServiceAccount, the deploy command
 * watches that Deployment.
 */
export const WORKLOAD_NAME = 'web';
/** The database the RDS instance creates and the application connects to. */
export const WORKLOAD_DATABASE_NAME = 'app';
/**
 * The application's own PostgreSQL role and schema. The platform creates the role (infra DatabaseRole, at
 * `cdk deploy`); the workload logs in as it (IAM authentication on AWS), never as the master user, whose secret
 * is not a workload output.
 */
export const WORKLOAD_DATABASE_USER = 'web';
export const WORKLOAD_DATABASE_SCHEMA = 'web';
/** Port the sample service listens on (PORT; the image's default and the chart's container port). */
export const WORKLOAD_PORT = 8080;
/** PostgreSQL's port: the RDS instance listens on it, the network policy allows it, the app defaults to it. */
export const DATABASE_PORT = 5432;

/** The AWS Load Balancer Controller's ServiceAccount (Helm chart defaults): Pod Identity, the chart, the OIDC Secret reader. */
export const ALB_CONTROLLER_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'aws-load-balancer-controller' } as const;

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
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'Ingress',
];

/** Position of a kind in APPLY_ORDER (unknown kinds after every known one). */
export function applyRank(kind: string): number {
  const i = APPLY_ORDER.indexOf(kind);
  return i === -1 ? APPLY_ORDER.length : i;
}

/** Bounds of the workload's sizing, checked by config validation and by the chart's WebService alike. */
export const WORKLOAD_LIMITS = {
  minReplicas: { min: 1, max: 100 },
  maxReplicas: { min: 1, max: 1000 },
  cpuMillis: { min: 10, max: 16000 },
  memoryMiB: { min: 32, max: 65536 },
} as const satisfies Record<string, { min: number; max: number }>;

/** Production needs at least this many replicas (a rollout, a drain or a node loss never takes it down). */
export const PRODUCTION_MIN_REPLICAS = 2;

/**
 * Problems of a workload's sizing, each naming the field (as `<prefix>minReplicas` …), the value and what is allowed.
 * Empty when valid.
 */
export function workloadSizingProblems(workload: Pick<WorkloadConfig, 'minReplicas' | 'maxReplicas' | 'cpuMillis' | 'memoryMiB'>, production: boolean, prefix = ''): string[] {
  const problems: string[] = [];
  for (const field of ['minReplicas', 'maxReplicas', 'cpuMillis', 'memoryMiB'] as const) {
    const { min, max } = WORKLOAD_LIMITS[field];
    const value = workload[field] as unknown;
    if (value === undefined || value === null) problems.push(`${prefix}${field} is missing; it is required`);
    else if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      problems.push(`${prefix}${field} is ${JSON.stringify(value)}; expected a whole number from ${min} to ${max}`);
    }
  }
  if (problems.length > 0) return problems;
  if (workload.maxReplicas < workload.minReplicas) problems.push(`${prefix}maxReplicas is ${workload.maxReplicas}; it must be at least minReplicas (${workload.minReplicas})`);
  if (production && workload.minReplicas < PRODUCTION_MIN_REPLICAS) {
    problems.push(
      `${prefix}minReplicas is ${workload.minReplicas} in production; production needs at least ${PRODUCTION_MIN_REPLICAS} replicas so a rollout, a drain or a node loss never takes the service down`,
    );
  }
  return problems;
}
