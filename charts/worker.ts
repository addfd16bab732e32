import type * as kplus from 'cdk8s-plus-34';
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { APP_ENV, DEFAULT_PROBES, DEFAULT_WORKLOAD_PORT, METRICS_PORT, PRODUCTION_MIN_REPLICAS, WORKLOAD_LIMITS, type ProbePaths, type WorkloadMigration } from '../config';
import { ChartInputError } from './errors';
import { checkInteger } from './validation';
import { MigrationJob } from './migration-job';
import { buildWorkloadPod, rollingDeployment, rolloutPacing, startupBudgetSeconds, type WorkloadPodProps } from './workload-pod';

/** Name of the worker's health port on the container. */
export const HEALTH_PORT_NAME = 'health';

export interface WorkerProps extends WorkloadPodProps {
  /** Pods (a worker is not autoscaled on CPU: queue depth is the signal, and it is the application's). */
  readonly replicas: number;
  /**
   * Port of the health endpoints (env PORT): never a Service, only the kubelet's probes.
   * @default 8080
   */
  readonly healthPort?: number;
  /**
   * Paths of the probes on `healthPort`: liveness restarts a stuck worker, readiness gates a release.
   * @default - "/healthz" and "/readyz"
   */
  readonly probes?: ProbePaths;
  /**
   * Production: at least 2 replicas are required.
   * @default false
   */
  readonly production?: boolean;
  /**
   * Seconds the worker has after SIGTERM to finish its current batch (env SHUTDOWN_TIMEOUT_SECONDS); the grace
   * period is this plus 5 s.
   * @default 30
   */
  readonly drainSeconds?: number;
  /**
   * Seconds a new pod must stay Ready before it counts as available.
   * @default 10
   */
  readonly minReadySeconds?: number;
  /**
   * Seconds a new container may take to start (its startup probe's window).
   * @default 60
   */
  readonly startupSeconds?: number;
  /**
   * A migration the deploy command runs as a Job before the pods change (`MigrationJob`).
   * @default - none
   */
  readonly migration?: Required<WorkloadMigration>;
}

/**
 * A long-running process with no HTTP traffic (a queue consumer): ServiceAccount, ConfigMap, Deployment and
 * PodDisruptionBudget; no Service. Its health port carries the same startup, readiness and liveness probes as a
 * service, so a stuck worker is restarted and a release whose pods never become Ready is caught by the rollout.
 */
export class Worker extends Construct {
  readonly name: string;
  readonly deployment: kplus.Deployment;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly configMap: kplus.ConfigMap;
  readonly podDisruptionBudget: k8s.KubePodDisruptionBudget;
  readonly selectorLabels: Readonly<Record<string, string>>;
  readonly healthPort: number;
  readonly progressDeadlineSeconds: number;
  /** The migration Job, when the worker declares a migration. */
  readonly migration?: MigrationJob;

  constructor(scope: Construct, id: string, props: WorkerProps) {
    super(scope, id);
    checkInteger('replicas', props.replicas, WORKLOAD_LIMITS.minReplicas.min, WORKLOAD_LIMITS.minReplicas.max);
    if (props.production && props.replicas < PRODUCTION_MIN_REPLICAS) {
      throw new ChartInputError(
        `replicas is ${props.replicas} in production; production needs at least ${PRODUCTION_MIN_REPLICAS} so a rollout, a drain or a node loss never stops the work`,
      );
    }
    const healthPort = props.healthPort ?? DEFAULT_WORKLOAD_PORT;
    checkInteger('healthPort', healthPort, 1, 65535);
    if (healthPort === METRICS_PORT) throw new ChartInputError(`healthPort is ${healthPort}, the metrics port; give the health endpoints a port of their own`);
    const drain = props.drainSeconds ?? 30;
    checkInteger('drainSeconds', drain, 1, 600);
    const { minReadySeconds: minReady, startupSeconds: startup } = rolloutPacing(props);
    const probes = { ...DEFAULT_PROBES, ...props.probes };

    const pod = buildWorkloadPod(this, props, { [APP_ENV.port]: String(healthPort), [APP_ENV.shutdownTimeoutSeconds]: String(drain) });
    this.name = props.name;
    this.healthPort = healthPort;
    this.selectorLabels = pod.selectorLabels;
    this.serviceAccount = pod.serviceAccount;
    this.configMap = pod.configMap;
    if (props.migration) this.migration = new MigrationJob(this, 'Migration', { workload: props, pod, migration: props.migration });
    this.progressDeadlineSeconds = startupBudgetSeconds(startup) + minReady + 15;

    this.deployment = rollingDeployment(this, props, pod, {
      replicas: props.replicas,
      minReadySeconds: minReady,
      startupSeconds: startup,
      progressDeadlineSeconds: this.progressDeadlineSeconds,
      terminationGracePeriodSeconds: drain + 5,
      port: { number: healthPort, name: HEALTH_PORT_NAME },
      probes,
    });

    // Drains take one pod at a time; a single-replica worker can still be drained (maxUnavailable, not minAvailable).
    this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata: { name: props.name, namespace: props.namespace },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...this.selectorLabels } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });
  }
}
