import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { APP_ENV, DEFAULT_PROBES, DEFAULT_WORKLOAD_PORT, METRICS_PORT, PRODUCTION_MIN_REPLICAS, WORKLOAD_LIMITS, type ProbePaths, type WorkloadMigration } from '../config';
import { ChartInputError } from './errors';
import { checkInteger } from './validation';
import { MigrationJob } from './migration-job';
import { buildWorkloadPod, rollingDeployment, rolloutPacing, startupBudgetSeconds, type WorkloadPodProps } from './workload-pod';

export { LIVENESS_PROBE, READINESS_PROBE, RUN_AS_ID, startupBudgetSeconds, type SecretEnvVar, type SecretFiles } from './workload-pod';

/** Port the application listens on by default (env `PORT`), named `http` on the container. */
export const CONTAINER_PORT = DEFAULT_WORKLOAD_PORT;
export const CONTAINER_PORT_NAME = 'http';
/** Port of the ClusterIP Service (→ `http`). */
export const SERVICE_PORT = 80;

/** Margin of the default progress deadline over the slowest good rollout step (scheduling, controller latency). */
export const PROGRESS_DEADLINE_MARGIN_SECONDS = 15;

/** What a new pod's way to available is made of, in seconds (a rollout step; see `rolloutStepSeconds`). */
export interface RolloutStep {
  /** Startup probe window plus the first readiness probe (`startupBudgetSeconds`). */
  readonly startupSeconds: number;
  /** Readiness gate (e.g. ALB registration + healthy threshold × interval); 0 without one. */
  readonly readinessGateSeconds: number;
  /** minReadySeconds: Ready for this long before the pod counts as available. */
  readonly minReadySeconds: number;
}

/** Seconds the slowest step of a good rollout may take: a new pod from creation to available. */
export function rolloutStepSeconds(step: RolloutStep): number {
  return step.startupSeconds + step.readinessGateSeconds + step.minReadySeconds;
}

export interface WebServiceProps extends WorkloadPodProps {
  /** Minimum number of pods, kept by the HorizontalPodAutoscaler (which owns `spec.replicas`). */
  readonly minReplicas: number;
  /** Upper bound for the HorizontalPodAutoscaler. */
  readonly maxReplicas: number;
  /**
   * Port the application listens on (its env PORT; the Service's target).
   * @default 8080
   */
  readonly port?: number;
  /**
   * Paths of the HTTP probes on `port`.
   * @default - "/healthz" (startup, liveness) and "/readyz" (readiness)
   */
  readonly probes?: ProbePaths;
  /**
   * Production: at least 2 replicas are required.
   * @default false
   */
  readonly production?: boolean;
  /**
   * Seconds the container waits in preStop (Kubernetes `sleep` action: the image has no shell) before SIGTERM,
   * so load balancers stop sending new requests first. Must exceed the ALB target deregistration delay.
   * @default 25
   */
  readonly preStopSleepSeconds?: number;
  /**
   * Seconds the application needs after SIGTERM to finish in-flight requests (readiness fails at once).
   * Passed to the app as SHUTDOWN_TIMEOUT_SECONDS. The termination grace period is preStop + drain + 5 s.
   * @default 10
   */
  readonly drainSeconds?: number;
  /**
   * Seconds a new pod must stay Ready before it counts as available (catches pods that crash right after start).
   * @default 10
   */
  readonly minReadySeconds?: number;
  /**
   * Seconds a new container may take to start (its startup probe's window). Counted into the default progress deadline.
   * @default 60
   */
  readonly startupSeconds?: number;
  /**
   * Seconds a new pod may need, after its own probes pass, until it is Ready: the time a readiness gate takes to turn
   * true (behind an ALB with the pod readiness gate: target registration plus the health checks that make the
   * target healthy). Counted into the default progress deadline.
   * @default 0 (no readiness gate)
   */
  readonly readinessGateSeconds?: number;
  /**
   * Seconds without rollout progress after which the Deployment reports ProgressDeadlineExceeded (and the deploy
   * command rolls back). Kubernetes' default is 600. Must cover the slowest step of a good rollout, a new pod's way
   * to available (`rolloutStepSeconds`): startup budget + readinessGateSeconds + minReadySeconds.
   * @default rolloutStepSeconds + 15 (90 with no readiness gate)
   */
  readonly progressDeadlineSeconds?: number;
  /**
   * Average CPU utilization (percent of the request) the HorizontalPodAutoscaler aims for.
   * @default 70
   */
  readonly targetCpuUtilization?: number;
  /**
   * A migration the deploy command runs as a Job before the pods change (`MigrationJob`).
   * @default - none
   */
  readonly migration?: Required<WorkloadMigration>;
}

/**
 * The web service: ServiceAccount, ConfigMap, Deployment, Service, HorizontalPodAutoscaler and
 * PodDisruptionBudget, with zero-downtime rolling updates and the Pod Security `restricted` profile.
 * Portable: nothing in it is specific to a cloud.
 */
export class WebService extends Construct {
  readonly name: string;
  /** Port the container listens on (the Service's target). */
  readonly port: number;
  readonly deployment: kplus.Deployment;
  readonly service: kplus.Service;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly configMap: kplus.ConfigMap;
  readonly autoscaler: kplus.HorizontalPodAutoscaler;
  readonly podDisruptionBudget: k8s.KubePodDisruptionBudget;
  /** Labels that select the pods (immutable once deployed). */
  readonly selectorLabels: Readonly<Record<string, string>>;
  readonly preStopSleepSeconds: number;
  readonly terminationGracePeriodSeconds: number;
  /** The parts of a new pod's way to available that the progress deadline covers. */
  readonly rolloutStep: RolloutStep;
  readonly progressDeadlineSeconds: number;
  /** The migration Job, when the service declares a migration. */
  readonly migration?: MigrationJob;

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id);
    validateReplicas(props);
    const port = props.port ?? CONTAINER_PORT;
    checkInteger('port', port, 1, 65535);
    if (port === METRICS_PORT) throw new ChartInputError(`port is ${port}, the metrics port; give the service a port of its own`);
    const probes = { ...DEFAULT_PROBES, ...props.probes };
    const { preStop, drain, minReady, startup, rolloutStep, progressDeadline } = rolloutTiming(props);
    this.rolloutStep = rolloutStep;
    this.progressDeadlineSeconds = progressDeadline;
    const targetCpu = props.targetCpuUtilization ?? 70;
    checkInteger('targetCpuUtilization', targetCpu, 10, 100);

    // SHUTDOWN_TIMEOUT_SECONDS bounds the app's own drain after SIGTERM, so it always ends inside the grace period.
    const pod = buildWorkloadPod(this, props, { [APP_ENV.port]: String(port), [APP_ENV.shutdownTimeoutSeconds]: String(drain) });
    const name = props.name;
    this.name = name;
    this.port = port;
    this.preStopSleepSeconds = preStop;
    this.terminationGracePeriodSeconds = preStop + drain + 5;
    this.selectorLabels = pod.selectorLabels;
    this.serviceAccount = pod.serviceAccount;
    this.configMap = pod.configMap;
    if (props.migration) this.migration = new MigrationJob(this, 'Migration', { workload: props, pod, migration: props.migration });
    const metadata = { name, namespace: props.namespace };

    this.deployment = rollingDeployment(this, props, pod, {
      minReadySeconds: minReady,
      startupSeconds: startup,
      progressDeadlineSeconds: progressDeadline,
      terminationGracePeriodSeconds: this.terminationGracePeriodSeconds,
      port: { number: port, name: CONTAINER_PORT_NAME },
      probes,
    });
    // The distroless image has no shell and no sleep binary: the kubelet's own sleep action (Kubernetes 1.29+, on by
    // default since 1.30), which cdk8s-plus' Handler does not offer. Load balancers stop sending first.
    ApiObject.of(this.deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/lifecycle', { preStop: { sleep: { seconds: preStop } } }));

    this.service = this.addService(metadata, port);
    this.autoscaler = this.addAutoscaler(props, metadata, targetCpu);
    this.podDisruptionBudget = this.addDisruptionBudget(metadata);
  }

  /** The ClusterIP Service in front of the pods, on the named container port. */
  private addService(metadata: { name: string; namespace: string }, port: number): kplus.Service {
    const service = new kplus.Service(this, 'Service', {
      metadata,
      type: kplus.ServiceType.CLUSTER_IP,
      selector: this.deployment,
      ports: [{ name: CONTAINER_PORT_NAME, port: SERVICE_PORT, targetPort: port, protocol: kplus.Protocol.TCP }],
    });
    ApiObject.of(service).addJsonPatch(
      // Select by the explicit labels (cdk8s-plus would use its internal address label) and target the named port.
      JsonPatch.replace('/spec/selector', { ...this.selectorLabels }),
      JsonPatch.add('/spec/ports/0/targetPort', k8s.IntOrString.fromString(CONTAINER_PORT_NAME)),
      JsonPatch.remove('/spec/externalIPs'),
    );
    return service;
  }

  private addAutoscaler(props: WebServiceProps, metadata: { name: string; namespace: string }, targetCpu: number): kplus.HorizontalPodAutoscaler {
    // The HPA owns spec.replicas (cdk8s-plus omits it from the Deployment), so an apply never resets a scaled-out
    // Deployment to minReplicas; a new Deployment starts at 1 and the HPA raises it to minReplicas at once.
    return new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
      metadata,
      target: this.deployment,
      minReplicas: props.minReplicas,
      maxReplicas: props.maxReplicas,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(targetCpu))],
    });
  }

  private addDisruptionBudget(metadata: { name: string; namespace: string }): k8s.KubePodDisruptionBudget {
    // Voluntary disruptions (node drains, upgrades) take at most one pod at a time. maxUnavailable (not minAvailable)
    // so a single-replica dev environment can still be drained. Rolling updates do not go through the eviction API and
    // are governed by the Deployment strategy (maxUnavailable 0) instead.
    return new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata,
      spec: {
        maxUnavailable: k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: { ...this.selectorLabels } },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  }
}

/** The sizing bounds config validation uses too (config/workload.ts); production keeps a spare replica. */
function validateReplicas(props: WebServiceProps): void {
  checkInteger('minReplicas', props.minReplicas, WORKLOAD_LIMITS.minReplicas.min, WORKLOAD_LIMITS.minReplicas.max);
  checkInteger('maxReplicas', props.maxReplicas, WORKLOAD_LIMITS.maxReplicas.min, WORKLOAD_LIMITS.maxReplicas.max);
  if (props.maxReplicas < props.minReplicas) {
    throw new ChartInputError(`maxReplicas is ${props.maxReplicas}; it must be at least minReplicas (${props.minReplicas})`);
  }
  if (props.production && props.minReplicas < PRODUCTION_MIN_REPLICAS) {
    throw new ChartInputError(
      `minReplicas is ${props.minReplicas} in production; production needs at least ${PRODUCTION_MIN_REPLICAS} replicas so a rollout, a drain or a node loss never takes the service down`,
    );
  }
}

/**
 * The shutdown and rollout timing: preStop wait, the app's drain, minReadySeconds, and a progress deadline that
 * outlasts one new pod's whole way to available.
 */
function rolloutTiming(props: WebServiceProps): { preStop: number; drain: number; minReady: number; startup: number; rolloutStep: RolloutStep; progressDeadline: number } {
  const preStop = props.preStopSleepSeconds ?? 25;
  checkInteger('preStopSleepSeconds', preStop, 1, 300);
  const drain = props.drainSeconds ?? 10;
  checkInteger('drainSeconds', drain, 1, 300);
  const { minReadySeconds: minReady, startupSeconds: startup } = rolloutPacing(props);
  const readinessGate = props.readinessGateSeconds ?? 0;
  checkInteger('readinessGateSeconds', readinessGate, 0, 1800);
  // The Deployment controller counts progress when a new pod is created, turns Ready or turns available; the
  // deadline has to outlast one new pod's whole way to available, or a good release is declared failed.
  const rolloutStep: RolloutStep = { startupSeconds: startupBudgetSeconds(startup), readinessGateSeconds: readinessGate, minReadySeconds: minReady };
  const step = rolloutStepSeconds(rolloutStep);
  const progressDeadline = props.progressDeadlineSeconds ?? step + PROGRESS_DEADLINE_MARGIN_SECONDS;
  if (!Number.isInteger(progressDeadline) || progressDeadline < step || progressDeadline > 3600) {
    throw new ChartInputError(
      `progressDeadlineSeconds is ${progressDeadline}; it must be an integer from ${step} to 3600: a new pod may need ${step} s to become available ` +
        `(startup ${rolloutStep.startupSeconds} s + readiness gate ${readinessGate} s + minReadySeconds ${minReady} s), and a shorter deadline fails good releases`,
    );
  }
  return { preStop, drain, minReady, startup, rolloutStep, progressDeadline };
}
