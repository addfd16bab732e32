import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { APP_ENV, DEFAULT_PROBES, DEFAULT_WORKLOAD_PORT, METRICS_PORT, METRICS_PORT_NAME, PRODUCTION_MIN_REPLICAS, WORKLOAD_LIMITS, type ProbePaths } from '../config';
import { ChartInputError } from './errors';
import { addFinalJsonPatch } from './escape-hatch';
import { checkInteger } from './validation';
import { buildWorkloadPod, httpProbe, topologySpread, type WorkloadPodProps } from './workload-pod';

export { RUN_AS_ID, type SecretEnvVar, type SecretFiles } from './workload-pod';

/** Port the application listens on by default (env `PORT`), named `http` on the container. */
export const CONTAINER_PORT = DEFAULT_WORKLOAD_PORT;
export const CONTAINER_PORT_NAME = 'http';
/** Port of the ClusterIP Service (→ `http`). */
export const SERVICE_PORT = 80;

/** The container's startup probe (on /healthz): up to periodSeconds × failureThreshold = 60 s to start. */
export const STARTUP_PROBE = { periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 2 } as const;
/** The readiness probe (on /readyz): fails as soon as SIGTERM arrives; 2 × 5 s takes an unhealthy pod out. */
export const READINESS_PROBE = { periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 } as const;
/** The liveness probe (on /healthz): three misses 10 s apart restart a hung process. */
export const LIVENESS_PROBE = { periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 } as const;
/**
 * Startup budget of a new pod: the startup probe's whole window, then the first readiness probe. (Crashes and image
 * pull errors show in the pod's status long before: the deploy command need not wait for the deadline to see them.)
 */
export const STARTUP_BUDGET_SECONDS = STARTUP_PROBE.periodSeconds * STARTUP_PROBE.failureThreshold + READINESS_PROBE.periodSeconds;
/** Margin of the default progress deadline over the slowest good rollout step (scheduling, controller latency). */
export const PROGRESS_DEADLINE_MARGIN_SECONDS = 15;

/** What a new pod's way to available is made of, in seconds (a rollout step; see `rolloutStepSeconds`). */
export interface RolloutStep {
  /** Startup probe window plus the first readiness probe (`STARTUP_BUDGET_SECONDS`). */
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

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id);
    // The sizing bounds config validation uses too (config/workload.ts).
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
    const port = props.port ?? CONTAINER_PORT;
    checkInteger('port', port, 1, 65535);
    if (port === METRICS_PORT) throw new ChartInputError(`port is ${port}, the metrics port; give the service a port of its own`);
    const probes = { ...DEFAULT_PROBES, ...props.probes };
    const preStop = props.preStopSleepSeconds ?? 25;
    checkInteger('preStopSleepSeconds', preStop, 1, 300);
    const drain = props.drainSeconds ?? 10;
    checkInteger('drainSeconds', drain, 1, 300);
    const minReady = props.minReadySeconds ?? 10;
    checkInteger('minReadySeconds', minReady, 0, 300);
    const readinessGate = props.readinessGateSeconds ?? 0;
    checkInteger('readinessGateSeconds', readinessGate, 0, 1800);
    // The Deployment controller counts progress when a new pod is created, turns Ready or turns available; the
    // deadline has to outlast one new pod's whole way to available, or a good release is declared failed.
    this.rolloutStep = { startupSeconds: STARTUP_BUDGET_SECONDS, readinessGateSeconds: readinessGate, minReadySeconds: minReady };
    const step = rolloutStepSeconds(this.rolloutStep);
    const progressDeadline = props.progressDeadlineSeconds ?? step + PROGRESS_DEADLINE_MARGIN_SECONDS;
    if (!Number.isInteger(progressDeadline) || progressDeadline < step || progressDeadline > 3600) {
      throw new ChartInputError(
        `progressDeadlineSeconds is ${progressDeadline}; it must be an integer from ${step} to 3600: a new pod may need ${step} s to become available ` +
          `(startup ${STARTUP_BUDGET_SECONDS} s + readiness gate ${readinessGate} s + minReadySeconds ${minReady} s), and a shorter deadline fails good releases`,
      );
    }
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
    const metadata = { name, namespace: props.namespace };

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata,
      select: false,
      podMetadata: { labels: pod.podLabels, annotations: pod.podAnnotations },
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.percent(25),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      minReady: Duration.seconds(minReady),
      revisionHistoryLimit: 10,
      progressDeadline: Duration.seconds(progressDeadline),
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(this.terminationGracePeriodSeconds),
      securityContext: pod.securityContext,
      volumes: pod.volumes,
      containers: [
        {
          ...pod.container,
          ports: [
            { number: port, name: CONTAINER_PORT_NAME, protocol: kplus.Protocol.TCP },
            // Read through the API server's pod proxy only (the canary analysis); no Service port routes to it.
            { number: METRICS_PORT, name: METRICS_PORT_NAME, protocol: kplus.Protocol.TCP },
          ],
          // Up to 60 s to start; liveness and readiness only begin once startup succeeded.
          startup: httpProbe(probes.liveness, port, STARTUP_PROBE),
          // /readyz fails as soon as SIGTERM arrives; 2 × 5 s takes an unhealthy pod out of the Service.
          readiness: httpProbe(probes.readiness, port, { ...READINESS_PROBE, successThreshold: 1 }),
          liveness: httpProbe(probes.liveness, port, LIVENESS_PROBE),
        },
      ],
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: this.selectorLabels }));

    // Escape hatches for what cdk8s-plus does not model.
    const deployment = ApiObject.of(this.deployment);
    deployment.addJsonPatch(
      // cdk8s-plus' internal address label is not needed: the selector above is explicit and stable.
      JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
      // Preferences, not hard rules: never leave a pod (or a surge pod) pending on a small or zone-less cluster;
      // matchLabelKeys spreads a rollout's new pods on their own instead of around the old ones.
      JsonPatch.add('/spec/template/spec/topologySpreadConstraints', topologySpread(this.selectorLabels)),
      // The distroless image has no shell and no sleep binary: the kubelet's own sleep action (Kubernetes 1.29+, on
      // by default since 1.30), which cdk8s-plus' Handler does not offer.
      JsonPatch.add('/spec/template/spec/containers/0/lifecycle', { preStop: { sleep: { seconds: preStop } } }),
    );
    addFinalJsonPatch(deployment, ...ephemeralStoragePatches(pod.ephemeralStorage));

    this.service = new kplus.Service(this, 'Service', {
      metadata,
      type: kplus.ServiceType.CLUSTER_IP,
      selector: this.deployment,
      ports: [{ name: CONTAINER_PORT_NAME, port: SERVICE_PORT, targetPort: port, protocol: kplus.Protocol.TCP }],
    });
    ApiObject.of(this.service).addJsonPatch(
      // Select by the explicit labels (cdk8s-plus would use its internal address label) and target the named port.
      JsonPatch.replace('/spec/selector', { ...this.selectorLabels }),
      JsonPatch.add('/spec/ports/0/targetPort', k8s.IntOrString.fromString(CONTAINER_PORT_NAME)),
      JsonPatch.remove('/spec/externalIPs'),
    );

    // The HPA owns spec.replicas (cdk8s-plus omits it from the Deployment), so an apply never resets a scaled-out
    // Deployment to minReplicas; a new Deployment starts at 1 and the HPA raises it to minReplicas at once.
    this.autoscaler = new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
      metadata,
      target: this.deployment,
      minReplicas: props.minReplicas,
      maxReplicas: props.maxReplicas,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(targetCpu))],
    });

    // Voluntary disruptions (node drains, upgrades) take at most one pod at a time. maxUnavailable (not minAvailable)
    // so a single-replica dev environment can still be drained. Rolling updates do not go through the eviction API and
    // are governed by the Deployment strategy (maxUnavailable 0) instead.
    this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata,
      spec: {
        maxUnavailable: k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: { ...this.selectorLabels } },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  }
}

/** Ephemeral storage in MiB: cdk8s-plus renders it in whole GiB only, and its L1 class drops a plain quantity added by an ordinary patch. */
export function ephemeralStoragePatches(storage: { readonly requestMiB: number; readonly limitMiB: number }, containerPath = '/spec/template/spec/containers/0'): JsonPatch[] {
  return [
    JsonPatch.add(`${containerPath}/resources/requests/ephemeral-storage`, `${storage.requestMiB}Mi`),
    JsonPatch.add(`${containerPath}/resources/limits/ephemeral-storage`, `${storage.limitMiB}Mi`),
  ];
}
