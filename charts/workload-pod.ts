/**
 * What every kind of workload's pods share: their ServiceAccount, their settings ConfigMap, and a container that
 * meets Pod Security `restricted` (non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp),
 * with a writable /tmp, secrets by reference, and requests and limits. The kinds (service.ts' WebService, worker.ts,
 * cron-job.ts) add their controller and probes.
 */
import { createHash } from 'node:crypto';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { ENV_VAR_NAME, WORKLOAD_LIMITS } from '../config';
import { ChartInputError } from './errors';
import { checkImage } from './image';
import { checkDnsLabel, checkInteger } from './validation';

/** uid/gid of the distroless `nonroot` user. */
export const RUN_AS_ID = 65532;

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
   * Non-secret settings: stored in the ConfigMap (named like the workload) and exposed as environment variables. A
   * checksum of them on the pod template rolls the pods when they change.
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
  readonly configMap: kplus.ConfigMap;
  /** Labels that select the pods (immutable once deployed). */
  readonly selectorLabels: Readonly<Record<string, string>>;
  readonly podLabels: Readonly<Record<string, string>>;
  /** Pod template annotations (default container, settings checksum). */
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
  const configMap = new kplus.ConfigMap(scope, 'ConfigMap', { metadata, data: sortedSettings });
  const settingsChecksum = createHash('sha256').update(JSON.stringify(sortedSettings)).digest('hex');

  const tmp = kplus.Volume.fromEmptyDir(scope, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(tmpSize) });
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
    const secret = kplus.Secret.fromSecretName(scope, 'SecretFilesSecret', files.secretName);
    const volume = kplus.Volume.fromSecret(scope, 'SecretFiles', secret, {
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
    const secret = kplus.Secret.fromSecretName(scope, `Secret-${variable}`, ref.secretName);
    secretEnv[variable] = kplus.EnvValue.fromSecretValue({ secret, key: ref.key }, { optional: ref.optional ?? false });
  }

  const container: kplus.ContainerProps = {
    name,
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
  return {
    serviceAccount,
    configMap,
    selectorLabels,
    podLabels,
    podAnnotations: { 'kubectl.kubernetes.io/default-container': name, 'checksum/config': settingsChecksum },
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
