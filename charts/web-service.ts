import { createHash } from 'node:crypto';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { APP_ENV, METRICS_PORT, METRICS_PORT_NAME, PRODUCTION_MIN_REPLICAS, WORKLOAD_LIMITS, WORKLOAD_NAME, WORKLOAD_PORT } from '../config';
import { ChartInputError } from './errors';
import { addFinalJsonPatch } from './escape-hatch';
import { checkImage } from './image';
import { checkDnsLabel, checkInteger } from './validation';

/** Port the application listens on (env `PORT`), named `http` on the container. */
export const CONTAINER_PORT = WORKLOAD_PORT;
export const CONTAINER_PORT_NAME = 'http';
/** Port of the ClusterIP Service (→ `http`). */
export const SERVICE_PORT = 80;
/** uid/gid of the distroless `nonroot` user. */
export const RUN_AS_ID = 65532;

/** The container's startup probe (on /healthz): up to periodSeconds × failureThreshold = 60 s to start. */
export const STARTUP_PROBE = { periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 2 } as const;
/** The readiness probe (on /readyz): fails as soon as SIGTERM arrives; 2 × 5 s takes an unhealthy pod out. */
export const READINESS_PROBE = { periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 } as const;
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

/** An environment variable read from a key of a Secret that the cluster operator (or the deploy command) creates. */
export interface SecretEnvVar {
  /** Name of the Secret in the namespace. */
  readonly secretName: string;
  /** Key in the Secret. */
  readonly key: string;
  /**
   * Let the pod start when the Secret or key is missing.
   * @default false - the container is not created until the Secret exists (CreateContainerConfigError), so the
   * rollout stalls visibly and the deploy command rolls back instead of shipping pods that fail at the first query.
   */
  readonly optional?: boolean;
}

/** A Secret mounted read-only as files (never as environment variables): the app re-reads them after a rotation. */
export interface SecretFiles {
  /** Name of the Secret in the namespace. */
  readonly secretName: string;
  /** Keys to mount, each as a file of that name. */
  readonly keys: readonly string[];
  /** Absolute directory of the files in the container. */
  readonly mountPath: string;
}

export interface WebServiceProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /**
   * Container image: `registry/repository:tag` with an immutable tag (not `latest`), or `repository@sha256:<digest>`.
   * The offline placeholder `<placeholder:image>` is accepted too; the deploy command refuses to apply it.
   */
  readonly image: string;
  /** Minimum number of pods, kept by the HorizontalPodAutoscaler (which owns `spec.replicas`). */
  readonly minReplicas: number;
  /** Upper bound for the HorizontalPodAutoscaler. */
  readonly maxReplicas: number;
  /** CPU request per pod in millicores. */
  readonly cpuMillis: number;
  /** Memory request and limit per pod in MiB (equal, so the pod is never OOM-killed for using what it asked for). */
  readonly memoryMiB: number;
  /**
   * Name of the Deployment, Service, ServiceAccount, ConfigMap, HPA and PDB; also the container name and the
   * `app.kubernetes.io/name` label.
   * @default WORKLOAD_NAME ("web"; infra binds the Pod Identity role to this ServiceAccount)
   */
  readonly name?: string;
  /**
   * Production: at least 2 replicas are required.
   * @default false
   */
  readonly production?: boolean;
  /**
   * Value of the `app.kubernetes.io/part-of` label.
   * @default - no part-of label
   */
  readonly partOf?: string;
  /**
   * Non-secret settings: stored in the ConfigMap (named like the service) and exposed as environment variables.
   * `PORT` and `SHUTDOWN_TIMEOUT_SECONDS` (= drainSeconds) are always set. A checksum of the settings on the pod template rolls the pods when they change.
   * @default - only PORT and SHUTDOWN_TIMEOUT_SECONDS
   */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * Environment variables read from Secrets (never from the ConfigMap).
   * @default - none
   */
  readonly secretEnv?: Readonly<Record<string, SecretEnvVar>>;
  /**
   * A Secret mounted as files (mode 0440, group = the pod's fsGroup). Not with subPath: the kubelet then updates
   * the files in place when the Secret changes.
   * @default - none
   */
  readonly secretFiles?: SecretFiles;
  /**
   * Ephemeral storage request per pod in MiB (the writable /tmp plus container logs).
   * @default tmpSizeMiB + 64
   */
  readonly ephemeralStorageMiB?: number;
  /**
   * Ephemeral storage limit per pod in MiB: past it the kubelet evicts the pod instead of letting it fill the node's disk.
   * @default 2 × ephemeralStorageMiB
   */
  readonly ephemeralStorageLimitMiB?: number;
  /**
   * CPU limit per pod in millicores.
   * @default - 4 × cpuMillis (bursts allowed, a runaway process is capped)
   */
  readonly cpuLimitMillis?: number;
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
  /**
   * Size limit of the writable `/tmp` (emptyDir; the root filesystem is read-only).
   * @default 64
   */
  readonly tmpSizeMiB?: number;
}

/**
 * The web service: ServiceAccount, ConfigMap, Deployment, Service, HorizontalPodAutoscaler and
 * PodDisruptionBudget, with zero-downtime rolling updates and the Pod Security `restricted` profile.
 * Portable: nothing in it is specific to a cloud.
 */
export class WebService extends Construct {
  readonly name: string;
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
    const name = props.name ?? WORKLOAD_NAME;
    checkDnsLabel('name', name);
    checkDnsLabel('namespace', props.namespace);
    checkImage(props.image);
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
    checkInteger('cpuMillis', props.cpuMillis, WORKLOAD_LIMITS.cpuMillis.min, WORKLOAD_LIMITS.cpuMillis.max);
    checkInteger('memoryMiB', props.memoryMiB, WORKLOAD_LIMITS.memoryMiB.min, WORKLOAD_LIMITS.memoryMiB.max);
    const cpuLimitMillis = props.cpuLimitMillis ?? 4 * props.cpuMillis;
    checkInteger('cpuLimitMillis', cpuLimitMillis, props.cpuMillis, 256000);
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
    const tmpSize = props.tmpSizeMiB ?? 64;
    checkInteger('tmpSizeMiB', tmpSize, 1, 65536);
    const ephemeral = props.ephemeralStorageMiB ?? tmpSize + 64;
    checkInteger('ephemeralStorageMiB', ephemeral, tmpSize, 1048576);
    const ephemeralLimit = props.ephemeralStorageLimitMiB ?? 2 * ephemeral;
    checkInteger('ephemeralStorageLimitMiB', ephemeralLimit, ephemeral, 1048576);
    for (const key of Object.keys(props.settings ?? {})) {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw new ChartInputError(`settings key ${JSON.stringify(key)} is not an environment variable name (A-Z, 0-9, _)`);
    }

    this.name = name;
    this.preStopSleepSeconds = preStop;
    this.terminationGracePeriodSeconds = preStop + drain + 5;
    this.selectorLabels = { 'app.kubernetes.io/name': name };
    const podLabels: Record<string, string> = { ...this.selectorLabels, ...(props.partOf ? { 'app.kubernetes.io/part-of': props.partOf } : {}) };
    const metadata = { name, namespace: props.namespace };

    // Pod Identity (EKS) injects its own projected token through its webhook; the Kubernetes API token is not needed.
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata, automountToken: false });

    // SHUTDOWN_TIMEOUT_SECONDS bounds the app's own drain after SIGTERM, so it always ends inside the grace period.
    const settings: Record<string, string> = { ...props.settings, [APP_ENV.port]: String(CONTAINER_PORT), [APP_ENV.shutdownTimeoutSeconds]: String(drain) };
    const sortedSettings = Object.fromEntries(
      Object.keys(settings)
        .sort()
        .map((k) => [k, settings[k]]),
    );
    this.configMap = new kplus.ConfigMap(this, 'ConfigMap', { metadata, data: sortedSettings });
    const settingsChecksum = createHash('sha256').update(JSON.stringify(sortedSettings)).digest('hex');

    const tmp = kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(tmpSize) });
    const volumes: kplus.Volume[] = [tmp];
    const volumeMounts: kplus.VolumeMount[] = [{ path: '/tmp', volume: tmp }];
    if (props.secretFiles) {
      const files = props.secretFiles;
      checkDnsLabel('secretFiles.secretName', files.secretName);
      if (!/^\/[A-Za-z0-9._/-]+$/.test(files.mountPath) || files.mountPath === '/tmp') {
        throw new ChartInputError(`secretFiles.mountPath is ${JSON.stringify(files.mountPath)}; it must be an absolute path other than /tmp`);
      }
      if (files.keys.length === 0 || files.keys.some((k) => !/^[A-Za-z0-9._-]+$/.test(k))) {
        throw new ChartInputError(`secretFiles.keys is ${JSON.stringify(files.keys)}; give at least one Secret key (A-Z, a-z, 0-9, ., _, -)`);
      }
      const secret = kplus.Secret.fromSecretName(this, 'SecretFilesSecret', files.secretName);
      const volume = kplus.Volume.fromSecret(this, 'SecretFiles', secret, {
        name: 'secret-files',
        defaultMode: 0o440,
        optional: false,
        items: Object.fromEntries(files.keys.map((k) => [k, { path: k }])),
      });
      volumes.push(volume);
      volumeMounts.push({ path: files.mountPath, volume, readOnly: true });
    }
    const secretEnv: Record<string, kplus.EnvValue> = {};
    for (const variable of Object.keys(props.secretEnv ?? {}).sort()) {
      const ref = props.secretEnv![variable];
      checkDnsLabel(`secretEnv.${variable}.secretName`, ref.secretName);
      const secret = kplus.Secret.fromSecretName(this, `Secret-${variable}`, ref.secretName);
      secretEnv[variable] = kplus.EnvValue.fromSecretValue({ secret, key: ref.key }, { optional: ref.optional ?? false });
    }

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata,
      select: false,
      podMetadata: { labels: podLabels, annotations: { 'kubectl.kubernetes.io/default-container': name, 'checksum/config': settingsChecksum } },
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
      securityContext: {
        ensureNonRoot: true,
        user: RUN_AS_ID,
        group: RUN_AS_ID,
        fsGroup: RUN_AS_ID,
        fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
      },
      volumes,
      containers: [
        {
          name,
          image: props.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          ports: [
            { number: CONTAINER_PORT, name: CONTAINER_PORT_NAME, protocol: kplus.Protocol.TCP },
            // Read through the API server's pod proxy only (the canary analysis); no Service port routes to it.
            { number: METRICS_PORT, name: METRICS_PORT_NAME, protocol: kplus.Protocol.TCP },
          ],
          envFrom: [kplus.Env.fromConfigMap(this.configMap)],
          envVariables: secretEnv,
          volumeMounts,
          resources: {
            cpu: { request: kplus.Cpu.millis(props.cpuMillis), limit: kplus.Cpu.millis(cpuLimitMillis) },
            memory: { request: Size.mebibytes(props.memoryMiB), limit: Size.mebibytes(props.memoryMiB) },
          },
          // Up to 60 s to start; liveness and readiness only begin once startup succeeded.
          startup: kplus.Probe.fromHttpGet('/healthz', {
            port: CONTAINER_PORT,
            periodSeconds: Duration.seconds(STARTUP_PROBE.periodSeconds),
            failureThreshold: STARTUP_PROBE.failureThreshold,
            timeoutSeconds: Duration.seconds(STARTUP_PROBE.timeoutSeconds),
          }),
          // /readyz fails as soon as SIGTERM arrives; 2 × 5 s takes an unhealthy pod out of the Service.
          readiness: kplus.Probe.fromHttpGet('/readyz', {
            port: CONTAINER_PORT,
            periodSeconds: Duration.seconds(READINESS_PROBE.periodSeconds),
            failureThreshold: READINESS_PROBE.failureThreshold,
            successThreshold: 1,
            timeoutSeconds: Duration.seconds(READINESS_PROBE.timeoutSeconds),
          }),
          liveness: kplus.Probe.fromHttpGet('/healthz', {
            port: CONTAINER_PORT,
            periodSeconds: Duration.seconds(10),
            failureThreshold: 3,
            timeoutSeconds: Duration.seconds(2),
          }),
          securityContext: {
            ensureNonRoot: true,
            user: RUN_AS_ID,
            group: RUN_AS_ID,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
        },
      ],
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: this.selectorLabels }));

    // Escape hatches for what cdk8s-plus-34 does not model.
    const deployment = ApiObject.of(this.deployment);
    deployment.addJsonPatch(
      // cdk8s-plus' internal address label is not needed: the selector above is explicit and stable.
      JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
      // Preferences, not hard rules: spread over zones and nodes, but never leave a pod (or a surge pod) pending on
      // a small or zone-less cluster. matchLabelKeys counts only pods of the same ReplicaSet, so a rollout's new pods
      // are spread on their own instead of around the old ones.
      JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
        spread('topology.kubernetes.io/zone', this.selectorLabels),
        spread('kubernetes.io/hostname', this.selectorLabels),
      ]),
    );
    // The distroless image has no shell and no sleep binary: the kubelet's own sleep action (Kubernetes 1.29+, on by
    // default since 1.30), which cdk8s-plus' Handler does not offer.
    deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/lifecycle', { preStop: { sleep: { seconds: preStop } } }));
    // Ephemeral storage in MiB: cdk8s-plus renders it in whole GiB only, and the L1 class's toJson drops a plain
    // quantity string added by an ordinary patch.
    addFinalJsonPatch(
      deployment,
      JsonPatch.add('/spec/template/spec/containers/0/resources/requests/ephemeral-storage', `${ephemeral}Mi`),
      JsonPatch.add('/spec/template/spec/containers/0/resources/limits/ephemeral-storage', `${ephemeralLimit}Mi`),
    );

    this.service = new kplus.Service(this, 'Service', {
      metadata,
      type: kplus.ServiceType.CLUSTER_IP,
      selector: this.deployment,
      ports: [{ name: CONTAINER_PORT_NAME, port: SERVICE_PORT, targetPort: CONTAINER_PORT, protocol: kplus.Protocol.TCP }],
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

function spread(topologyKey: string, labels: Readonly<Record<string, string>>): object {
  return {
    topologyKey,
    maxSkew: 1,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: { ...labels } },
    matchLabelKeys: ['pod-template-hash'],
  };
}
