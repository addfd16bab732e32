import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  calleesOf,
  callersOf,
  cronJobSettings,
  METRICS_PORT,
  MIGRATION_PHASE,
  PHASE_ANNOTATION,
  workloadMigration,
  workloadPort,
  type ServiceWorkload,
  type Workload,
} from '../config';
import { ScheduledJob } from './cron-job';
import { ChartInputError } from './errors';
import { migrationPodLabels } from './migration-job';
import { WebNamespace } from './namespace';
import { DefaultDenyPolicy, WorkloadNetworkPolicy, type WorkloadPeer } from './network-policy';
import type { TargetProfile } from './target';
import { WebService } from './web-service';
import { Worker } from './worker';

const LABELS = (profile: TargetProfile) => ({ 'app.kubernetes.io/part-of': profile.partOf, 'app.kubernetes.io/managed-by': 'cdk8s' });

/** The namespace-level objects of a target: the Namespace (Pod Security restricted), its default deny, and the target's own. */
export class NamespaceChart extends Chart {
  constructor(scope: Construct, id: string, profile: TargetProfile) {
    super(scope, id, { labels: LABELS(profile) });
    new WebNamespace(this, 'Namespace', { name: profile.namespace, podSecurityVersion: profile.podSecurityVersion, albPodReadinessGate: profile.albPodReadinessGate });
    new DefaultDenyPolicy(this, 'DefaultDeny', { namespace: profile.namespace });
    profile.addNamespaceObjects(this);
  }
}

export interface WorkloadChartProps {
  readonly profile: TargetProfile;
  readonly workload: Workload;
  /** The container image reference of the workload's image. */
  readonly image: string;
}

/**
 * One workload's objects: its kind's construct (WebService, Worker or ScheduledJob), its NetworkPolicy (exactly
 * the declared edges) and, for a public service, its Ingress.
 */
export class WorkloadChart extends Chart {
  constructor(scope: Construct, id: string, props: WorkloadChartProps) {
    const { profile, workload } = props;
    super(scope, id, { labels: LABELS(profile) });
    const environment = profile.environmentOf(workload);
    const common = {
      name: workload.name,
      namespace: profile.namespace,
      image: props.image,
      partOf: profile.partOf,
      cpuMillis: workload.cpuMillis,
      memoryMiB: workload.memoryMiB,
      command: workload.command,
      args: workload.args,
      settings: environment.settings,
      secretEnv: environment.secretEnv,
      secretFiles: environment.secretFiles,
    };
    const migration = workloadMigration(workload);
    const isPublic = workload.kind === 'service' && workload.exposure.kind === 'public';
    let podLabels: Readonly<Record<string, string>>;
    if (workload.kind === 'service') {
      const service = new WebService(this, 'Service', {
        ...common,
        production: profile.production,
        minReplicas: workload.minReplicas,
        maxReplicas: workload.maxReplicas,
        port: workload.port,
        probes: workload.probes,
        minReadySeconds: workload.minReadySeconds,
        startupSeconds: workload.startupSeconds,
        // Behind the ALB's readiness gate a public service's progress deadline is sized for it.
        readinessGateSeconds: isPublic ? profile.readinessGateSeconds : 0,
        migration,
      });
      podLabels = service.selectorLabels;
      if (isPublic) profile.exposePublic(this, service, workload as ServiceWorkload);
    } else if (workload.kind === 'worker') {
      podLabels = new Worker(this, 'Worker', {
        ...common,
        production: profile.production,
        replicas: workload.replicas,
        healthPort: workload.healthPort,
        probes: workload.probes,
        minReadySeconds: workload.minReadySeconds,
        startupSeconds: workload.startupSeconds,
        migration,
      }).selectorLabels;
    } else {
      podLabels = new ScheduledJob(this, 'CronJob', { ...common, ...cronJobSettings(workload) }).selectorLabels;
    }
    this.addNetworkPolicy(profile, workload, podLabels, isPublic);
    if (migration) this.addMigrationNetworkPolicy(profile, workload);
  }

  /**
   * The migration pods' allow-list: no ingress; egress to DNS, the database and the workload's own destinations (AWS
   * APIs, the Pod Identity agent, named CIDRs), not to other workloads. Applied by the deploy command's migration
   * phase, before the Job (the workload's own policy does not select the migration's pods).
   */
  private addMigrationNetworkPolicy(profile: TargetProfile, workload: Workload): void {
    new WorkloadNetworkPolicy(this, 'MigrationNetworkPolicy', {
      namespace: profile.namespace,
      name: `${workload.name}-migration`,
      podLabels: migrationPodLabels(workload.name),
      annotations: { [PHASE_ANNOTATION]: MIGRATION_PHASE },
      ...(workload.database ? { database: profile.database } : {}),
      egress: profile.egressOf(workload),
    });
  }

  private addNetworkPolicy(profile: TargetProfile, workload: Workload, podLabels: Readonly<Record<string, string>>, isPublic: boolean): void {
    const byName = new Map(profile.workloads.map((w) => [w.name, w]));
    const peer = (name: string): WorkloadPeer => {
      if (!byName.has(name)) throw new ChartInputError(`workload "${workload.name}": "${name}" is no workload of target "${profile.name}"`);
      return { name, podLabels: { 'app.kubernetes.io/name': name } };
    };
    new WorkloadNetworkPolicy(this, 'NetworkPolicy', {
      namespace: profile.namespace,
      name: workload.name,
      podLabels,
      ...(workload.kind === 'service' ? { port: workloadPort(workload) } : {}),
      ...(isPublic ? { ingressFromCidrs: profile.publicIngressFrom.cidrs, ingressFromNamespaces: profile.publicIngressFrom.namespaces } : {}),
      ingressFromWorkloads: callersOf(workload).map(peer),
      // The API server's pod proxy reads the metrics port (canary analysis); a CronJob's pods have none to read.
      ...(workload.kind !== 'cronJob' ? { metrics: { port: METRICS_PORT, fromCidrs: profile.metricsScrapeCidrs } } : {}),
      ...(workload.database ? { database: profile.database } : {}),
      egressToWorkloads: calleesOf(workload.name, profile.workloads).map((callee) => ({ ...peer(callee.name), port: workloadPort(callee)! })),
      egress: profile.egressOf(workload),
    });
  }
}
