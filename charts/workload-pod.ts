/**
 * What every kind of workload's pods share: their ServiceAccount, their settings ConfigMap (immutable, named after a
 * hash of its content, so every ReplicaSet keeps the configuration it was created with), and a container that
 * meets Pod Security `restricted` (non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp),
 * with a writable /tmp, secrets by reference, and requests and limits. The kinds (service.ts' WebService, worker.ts,
 * cron-job.ts) add their controller and probes.
 */
import { createHash } from 'node:crypto';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import {
  CONFIG_OF_LABEL,
  DEFAULT_MIN_READY_SECONDS,
  DEFAULT_STARTUP_SECONDS,
  ENV_VAR_NAME,
  METRICS_PORT,
  METRICS_PORT_NAME,
  MIN_READY_SECONDS_LIMITS,
  STARTUP_SECONDS_LIMITS,
  WORKLOAD_LIMITS,
} from '../config';
import { ChartInputError } from './errors';
import { addFinalJsonPatch } from './escape-hatch';
import { checkImage } from './image';
import { checkDnsLabel, checkInteger } from './validation';

/** uid/gid of the distroless `nonroot` user. */
export const RUN_AS_ID = 65532;

/** The container's startup probe (on /healthz) is called this often; `startupProbe` sets how many calls it gets. */
const STARTUP_PROBE_PERIOD = { periodSeconds: 2, timeoutSeconds: 2 } as const;
/** The readiness probe (on /readyz): fails as soon as SIGTERM arrives; 2 × 5 s takes an unhealthy pod out. */
export const READINESS_PROBE = { periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 } as const;
/** The liveness probe (on /healthz): three misses 10 s apart restart a hung process. */
export const LIVENESS_PROBE = { periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 } as const;

/** The startup probe that gives a container `startupSeconds` (rounded up to whole periods) to start. */
export function startupProbe(startupSeconds: number): { periodSeconds: number; failureThreshold: number; timeoutSeconds: number } {
  return { ...STARTUP_PROBE_PERIOD, failureThreshold: Math.ceil(startupSeconds / STARTUP_PROBE_PERIOD.periodSeconds) };
}

/** A rolled-out workload's pacing settings, defaulted and checked (`rolloutPacing`). */
export interface RolloutPacing {
  readonly minReadySeconds: number;
  readonly startupSeconds: number;
}

/** minReadySeconds and startupSeconds of a service or worker, with their defaults; refuses values out of bounds. */
export function rolloutPacing(props: { readonly minReadySeconds?: number; readonly startupSeconds?: number }): RolloutPacing {
  const minReadySeconds = props.minReadySeconds ?? DEFAULT_MIN_READY_SECONDS;
  checkInteger('minReadySeconds', minReadySeconds, MIN_READY_SECONDS_LIMITS.min, MIN_READY_SECONDS_LIMITS.max);
  const startupSeconds = props.startupSeconds ?? DEFAULT_STARTUP_SECONDS;
  checkInteger('startupSeconds', startupSeconds, STARTUP_SECONDS_LIMITS.min, STARTUP_SECONDS_LIMITS.max);
  return { minReadySeconds, startupSeconds };
}

/**
 * Startup budget of a new pod: the startup probe's whole window, then the first readiness probe. (Crashes and image
 * pull errors show in the pod's status long before: the deploy command need not wait for the deadline to see them.)
 */
export function startupBudgetSeconds(startupSeconds: number): number {
  const probe = startupProbe(startupSeconds);
  return probe.periodSeconds * probe.failureThreshold + READINESS_PROBE.periodSeconds;
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

/** The container and pod settings every kind of workload takes. */
export interface WorkloadPodProps {
  /** Name of the workload's objects and container; its pods carry `app.kubernetes.io/name: <name>`. */
  readonly name: string;
  /** Namespace of every object. */
  readonly namespace: string;
  /**
   * Container image: `registry/repository:tag` with an immutable tag (not `latest`), or `repository@sha256:<digest>`.
   * The offline placeholder `<placeholder:image…>` is accepted too; the deploy command refuses to apply it.
   */
  readonly image: string;
  /** CPU request per pod in millicores. */
  readonly cpuMillis: number;
  /** Memory request and limit per pod in MiB (equal, so the pod is never OOM-killed for using what it asked for). */
  readonly memoryMiB: number;
  /**
   * Entrypoint.
   * @default - the image's
   */
  readonly command?: readonly string[];
  /**
   * Arguments.
   * @default - the image's CMD
   */
  readonly args?: readonly string[];
  /**
   * Value of the `app.kubernetes.io/part-of` label.
   * @default - no part-of label
   */
  readonly partOf?: string;
  /**
   * Non-secret settings: stored in an immutable ConfigMap named `<name>-config-<hash of the settings>` and exposed as
   * environment variables. New settings are a new ConfigMap, so a new pod template (the pods roll), and the previous
   * ReplicaSet keeps reading its own: a rollback restores the configuration with the image.
   * @default - none
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
   * CPU limit per pod in millicores.
   * @default - 4 × cpuMillis (bursts allowed, a runaway process is capped)
   */
  readonly cpuLimitMillis?: number;
  /**
   * Size limit of the writable `/tmp` (emptyDir; the root filesystem is read-only).
   * @default 64
   */
  readonly tmpSizeMiB?: number;
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
}

/** The pieces a workload's controller is built from. */
export interface WorkloadPod {
  readonly serviceAccount: kplus.ServiceAccount;
  /** The settings, content-addressed (`configMapName`). */
  readonly configMap: kplus.ConfigMap;
  /** Labels that select the pods (immutable once deployed). */
  readonly selectorLabels: Readonly<Record<string, string>>;
  readonly podLabels: Readonly<Record<string, string>>;
  /** Pod template annotations (the default container). */
  readonly podAnnotations: Readonly<Record<string, string>>;
  readonly volumes: kplus.Volume[];
  /** The container, without ports and probes (the kind adds them). */
  readonly container: kplus.ContainerProps;
  /** The pod-level security context (restricted). */
  readonly securityContext: kplus.PodSecurityContextProps;
  /** Ephemeral storage in MiB, patched in after synthesis (see `ephemeralStoragePatches`). */
  readonly ephemeralStorage: { readonly requestMiB: number; readonly limitMiB: number };
}

/** The checks and objects every kind shares: ServiceAccount, ConfigMap, volumes, a restricted container. */
export function buildWorkloadPod(scope: Construct, props: WorkloadPodProps, extraSettings: Readonly<Record<string, string>> = {}): WorkloadPod {
  const { cpuLimitMillis, tmpSize, ephemeral, ephemeralLimit } = checkPodInputs(props);
  const name = props.name;
  const metadata = { name, namespace: props.namespace };
  const selectorLabels = { 'app.kubernetes.io/name': name };
  const podLabels = { ...selectorLabels, ...(props.partOf ? { 'app.kubernetes.io/part-of': props.partOf } : {}) };

  // Pod Identity (EKS) injects its own projected token through its webhook; the Kubernetes API token is not needed.
  const serviceAccount = new kplus.ServiceAccount(scope, 'ServiceAccount', { metadata, automountToken: false });

  const settings: Record<string, string> = { ...props.settings, ...extraSettings };
  const sortedSettings = Object.fromEntries(
    Object.keys(settings)
      .sort()
      .map((k) => [k, settings[k]]),
  );
  const configMap = new kplus.ConfigMap(scope, 'ConfigMap', {
    metadata: { name: configMapName(name, sortedSettings), namespace: props.namespace, labels: { [CONFIG_OF_LABEL]: name } },
    data: sortedSettings,
    immutable: true,
  });

  const tmp = kplus.Volume.fromEmptyDir(scope, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(tmpSize) });
  const volumes: kplus.Volume[] = [tmp];
  const volumeMounts: kplus.VolumeMount[] = [{ path: '/tmp', volume: tmp }];
  if (props.secretFiles) {
    const volume = secretFilesVolume(scope, props.secretFiles);
    volumes.push(volume);
    volumeMounts.push({ path: props.secretFiles.mountPath, volume, readOnly: true });
  }
  const secretEnv = secretEnvValues(scope, props.secretEnv ?? {});
  const container = restrictedContainer(props, { cpuLimitMillis, configMap, secretEnv, volumeMounts });
  return {
    serviceAccount,
    configMap,
    selectorLabels,
    podLabels,
    podAnnotations: { 'kubectl.kubernetes.io/default-container': name },
    volumes,
    container,
    securityContext: {
      ensureNonRoot: true,
      user: RUN_AS_ID,
      group: RUN_AS_ID,
      fsGroup: RUN_AS_ID,
      fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
    },
    ephemeralStorage: { requestMiB: ephemeral, limitMiB: ephemeralLimit },
  };
}

/** Checks the shared inputs (naming the value and what is allowed) and resolves the defaults that depend on others. */
function checkPodInputs(props: WorkloadPodProps): { cpuLimitMillis: number; tmpSize: number; ephemeral: number; ephemeralLimit: number } {
  checkDnsLabel('name', props.name);
  checkDnsLabel('namespace', props.namespace);
  checkImage(props.image);
  checkInteger('cpuMillis', props.cpuMillis, WORKLOAD_LIMITS.cpuMillis.min, WORKLOAD_LIMITS.cpuMillis.max);
  checkInteger('memoryMiB', props.memoryMiB, WORKLOAD_LIMITS.memoryMiB.min, WORKLOAD_LIMITS.memoryMiB.max);
  const cpuLimitMillis = props.cpuLimitMillis ?? 4 * props.cpuMillis;
  checkInteger('cpuLimitMillis', cpuLimitMillis, props.cpuMillis, 256000);
  const tmpSize = props.tmpSizeMiB ?? 64;
  checkInteger('tmpSizeMiB', tmpSize, 1, 65536);
  const ephemeral = props.ephemeralStorageMiB ?? tmpSize + 64;
  checkInteger('ephemeralStorageMiB', ephemeral, tmpSize, 1048576);
  const ephemeralLimit = props.ephemeralStorageLimitMiB ?? 2 * ephemeral;
  checkInteger('ephemeralStorageLimitMiB', ephemeralLimit, ephemeral, 1048576);
  for (const key of Object.keys(props.settings ?? {})) {
    if (!ENV_VAR_NAME.test(key)) throw new ChartInputError(`settings key ${JSON.stringify(key)} is not an environment variable name (A-Z, 0-9, _)`);
  }
  for (const field of ['command', 'args'] as const) {
    const value = props[field];
    if (value !== undefined && (value.length === 0 || value.some((v) => typeof v !== 'string' || v.length === 0))) {
      throw new ChartInputError(`${field} is ${JSON.stringify(value)}; expected a non-empty list of non-empty strings`);
    }
  }
  return { cpuLimitMillis, tmpSize, ephemeral, ephemeralLimit };
}

/** Chosen keys of a Secret as read-only files (0440) at `mountPath`. */
function secretFilesVolume(scope: Construct, files: NonNullable<WorkloadPodProps['secretFiles']>): kplus.Volume {
  checkDnsLabel('secretFiles.secretName', files.secretName);
  if (!/^\/[A-Za-z0-9._/-]+$/.test(files.mountPath) || files.mountPath === '/tmp') {
    throw new ChartInputError(`secretFiles.mountPath is ${JSON.stringify(files.mountPath)}; it must be an absolute path other than /tmp`);
  }
  if (files.keys.length === 0 || files.keys.some((k) => !/^[A-Za-z0-9._-]+$/.test(k))) {
    throw new ChartInputError(`secretFiles.keys is ${JSON.stringify(files.keys)}; give at least one Secret key (A-Z, a-z, 0-9, ., _, -)`);
  }
  const secret = kplus.Secret.fromSecretName(scope, 'SecretFilesSecret', files.secretName);
  return kplus.Volume.fromSecret(scope, 'SecretFiles', secret, {
    name: 'secret-files',
    defaultMode: 0o440,
    optional: false,
    items: Object.fromEntries(files.keys.map((k) => [k, { path: k }])),
  });
}

/** Environment variables from Secret keys, sorted by name. */
function secretEnvValues(scope: Construct, refs: NonNullable<WorkloadPodProps['secretEnv']>): Record<string, kplus.EnvValue> {
  const secretEnv: Record<string, kplus.EnvValue> = {};
  for (const variable of Object.keys(refs).sort()) {
    const ref = refs[variable];
    checkDnsLabel(`secretEnv.${variable}.secretName`, ref.secretName);
    const secret = kplus.Secret.fromSecretName(scope, `Secret-${variable}`, ref.secretName);
    secretEnv[variable] = kplus.EnvValue.fromSecretValue({ secret, key: ref.key }, { optional: ref.optional ?? false });
  }
  return secretEnv;
}

/** The workload's container: settings from the ConfigMap, Secret references, and the restricted security context. */
function restrictedContainer(
  props: WorkloadPodProps,
  parts: { cpuLimitMillis: number; configMap: kplus.ConfigMap; secretEnv: Record<string, kplus.EnvValue>; volumeMounts: kplus.VolumeMount[] },
): kplus.ContainerProps {
  const { cpuLimitMillis, configMap, secretEnv, volumeMounts } = parts;
  return {
    name: props.name,
    image: props.image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    ...(props.command ? { command: [...props.command] } : {}),
    ...(props.args ? { args: [...props.args] } : {}),
    envFrom: [kplus.Env.fromConfigMap(configMap)],
    envVariables: secretEnv,
    volumeMounts,
    resources: {
      cpu: { request: kplus.Cpu.millis(props.cpuMillis), limit: kplus.Cpu.millis(cpuLimitMillis) },
      memory: { request: Size.mebibytes(props.memoryMiB), limit: Size.mebibytes(props.memoryMiB) },
    },
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
  };
}

/** Hex digits of a content hash in an object name: 40 bits, enough to tell a workload's configurations apart. */
export const NAME_HASH_LENGTH = 10;

/** A short, stable hash of JSON-shaped data (object keys in the order given). */
export function nameHash(content: unknown): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, NAME_HASH_LENGTH);
}

/** `<workload>-config-<hash>` of settings given with sorted keys: the same settings, the same name, in every synth. */
export function configMapName(workload: string, sortedSettings: Readonly<Record<string, string>>): string {
  return `${workload}-config-${nameHash(sortedSettings)}`;
}

/** HTTP probe on the container's port, with the timing in seconds. */
export function httpProbe(path: string, port: number, timing: { periodSeconds: number; failureThreshold: number; timeoutSeconds: number; successThreshold?: number }): kplus.Probe {
  return kplus.Probe.fromHttpGet(path, {
    port,
    periodSeconds: Duration.seconds(timing.periodSeconds),
    failureThreshold: timing.failureThreshold,
    timeoutSeconds: Duration.seconds(timing.timeoutSeconds),
    ...(timing.successThreshold !== undefined ? { successThreshold: timing.successThreshold } : {}),
  });
}

/** Preferences, not hard rules: spread over zones and nodes, counting only pods of the same ReplicaSet. */
export function topologySpread(labels: Readonly<Record<string, string>>): object[] {
  return ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
    topologyKey,
    maxSkew: 1,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: { ...labels } },
    matchLabelKeys: ['pod-template-hash'],
  }));
}

/** Ephemeral storage in MiB: cdk8s-plus renders it in whole GiB only, and its L1 class drops a plain quantity added by an ordinary patch. */
export function ephemeralStoragePatches(storage: { readonly requestMiB: number; readonly limitMiB: number }, containerPath = '/spec/template/spec/containers/0'): JsonPatch[] {
  return [
    JsonPatch.add(`${containerPath}/resources/requests/ephemeral-storage`, `${storage.requestMiB}Mi`),
    JsonPatch.add(`${containerPath}/resources/limits/ephemeral-storage`, `${storage.limitMiB}Mi`),
  ];
}

/** How a service's or a worker's Deployment rolls and how its pods are probed. */
export interface RollingDeploymentOptions {
  /** Fixed replicas (a worker); none where a HorizontalPodAutoscaler owns them (a service). */
  readonly replicas?: number;
  readonly minReadySeconds: number;
  /** The startup probe's window (`startupProbe`). */
  readonly startupSeconds: number;
  readonly progressDeadlineSeconds: number;
  readonly terminationGracePeriodSeconds: number;
  /** The port the probes call, and its name on the container. */
  readonly port: { readonly number: number; readonly name: string };
  readonly probes: { readonly liveness: string; readonly readiness: string };
}

/**
 * A Deployment of the workload's pods that never lowers availability in a rollout (surge 25 %, maxUnavailable 0),
 * with startup, readiness and liveness probes on its port and the metrics port beside it, selecting its pods by
 * explicit labels and spreading them over zones and nodes.
 */
export function rollingDeployment(scope: Construct, props: WorkloadPodProps, pod: WorkloadPod, options: RollingDeploymentOptions): kplus.Deployment {
  const { port, probes } = options;
  const deployment = new kplus.Deployment(scope, 'Deployment', {
    metadata: { name: props.name, namespace: props.namespace },
    select: false,
    ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
    podMetadata: { labels: pod.podLabels, annotations: pod.podAnnotations },
    strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.percent(25), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
    minReady: Duration.seconds(options.minReadySeconds),
    revisionHistoryLimit: 10,
    progressDeadline: Duration.seconds(options.progressDeadlineSeconds),
    serviceAccount: pod.serviceAccount,
    automountServiceAccountToken: false,
    terminationGracePeriod: Duration.seconds(options.terminationGracePeriodSeconds),
    securityContext: pod.securityContext,
    volumes: pod.volumes,
    containers: [
      {
        ...pod.container,
        ports: [
          { number: port.number, name: port.name, protocol: kplus.Protocol.TCP },
          // Read through the API server's pod proxy only (the canary analysis); no Service port routes to it.
          { number: METRICS_PORT, name: METRICS_PORT_NAME, protocol: kplus.Protocol.TCP },
        ],
        // Up to startupSeconds to start; liveness and readiness only begin once startup succeeded.
        startup: httpProbe(probes.liveness, port.number, startupProbe(options.startupSeconds)),
        // Readiness fails as soon as SIGTERM arrives; 2 × 5 s takes an unhealthy pod out.
        readiness: httpProbe(probes.readiness, port.number, { ...READINESS_PROBE, successThreshold: 1 }),
        liveness: httpProbe(probes.liveness, port.number, LIVENESS_PROBE),
      },
    ],
  });
  deployment.select(kplus.LabelSelector.of({ labels: pod.selectorLabels }));
  const object = ApiObject.of(deployment);
  object.addJsonPatch(
    // cdk8s-plus' internal address label is not needed: the selector above is explicit and stable.
    JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    // Preferences, not hard rules: never leave a pod (or a surge pod) pending on a small or zone-less cluster;
    // matchLabelKeys spreads a rollout's new pods on their own instead of around the old ones.
    JsonPatch.add('/spec/template/spec/topologySpreadConstraints', topologySpread(pod.selectorLabels)),
  );
  addFinalJsonPatch(object, ...ephemeralStoragePatches(pod.ephemeralStorage));
  return deployment;
}
