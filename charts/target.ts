/**
 * What differs between where workloads run (an AWS environment, or a portable target on any cluster), as one
 * object the charts consult per workload: its settings and secrets, its network destinations, how a public
 * service is exposed. aws-target.ts and generic-target.ts build it; namespace-chart.ts and workload-chart.ts use it.
 */
import type { Construct } from 'constructs';
import type { ServiceWorkload, Workload } from '../config';
import type { EgressDestination } from './network-policy';
import type { SecretEnvVar, SecretFiles } from './workload-pod';
import type { WebService } from './web-service';

/** A workload's settings and secret references on a target. */
export interface WorkloadEnvironment {
  readonly settings: Readonly<Record<string, string>>;
  readonly secretEnv?: Readonly<Record<string, SecretEnvVar>>;
  readonly secretFiles?: SecretFiles;
}

export interface TargetProfile {
  /** Manifest folder / target name. */
  readonly name: string;
  readonly namespace: string;
  readonly production: boolean;
  /** The workloads (validated declarations). */
  readonly workloads: readonly Workload[];
  /** `app.kubernetes.io/part-of` of every object. */
  readonly partOf: string;
  /** Pod Security version label of the namespace, e.g. "v1.35" or "latest". */
  readonly podSecurityVersion: string;
  /** The ALB's pod readiness gate (EKS with the AWS Load Balancer Controller). */
  readonly albPodReadinessGate: boolean;
  /** Seconds a new public-service pod may need for its readiness gate (0 without one). */
  readonly readinessGateSeconds: number;
  /** Where the API server's pod proxy connects from (the canary analysis reads metrics through it). */
  readonly metricsScrapeCidrs: readonly string[];
  /** Where the database is reachable from the pods. */
  readonly database: EgressDestination;
  /** Who reaches a public service's port on the ingress path. */
  readonly publicIngressFrom: { readonly cidrs?: readonly string[]; readonly namespaces?: readonly string[] };
  /** A workload's settings, secrets by reference and mounted credentials. */
  environmentOf(workload: Workload): WorkloadEnvironment;
  /** Destinations beside DNS, the database and other workloads (AWS APIs, the Pod Identity agent, named CIDRs). */
  egressOf(workload: Workload): EgressDestination[];
  /** Namespace-level objects beside the Namespace and the default deny (e.g. the OIDC client Secret's reader). */
  addNamespaceObjects(scope: Construct): void;
  /** The Ingress of a public service. */
  exposePublic(scope: Construct, service: WebService, declaration: ServiceWorkload): void;
}

/** Named destinations declared by a workload, as policy destinations. */
export function declaredEgress(workload: Workload): EgressDestination[] {
  return (workload.egress ?? []).map((d) => ({ cidr: d.cidr, port: d.port }));
}
