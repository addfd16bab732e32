/**
 * A workload's migration as a Job the deploy command runs before the workload's pods change: the workload's pod (its
 * image, ServiceAccount — so its own database role and Pod Identity —, configuration, secrets and restricted security
 * context) running the migration's command once. Annotated `platform.local/phase: migration`, so the deploy command
 * runs it in a phase of its own and never applies it with the workload's ApplySet. Its pods carry labels of their
 * own: no Service, PodDisruptionBudget or workload NetworkPolicy selects them (`MIGRATION_POD_LABEL`).
 */
import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { MIGRATION_PHASE, MIGRATION_TIMEOUT_LIMITS, PHASE_ANNOTATION, type WorkloadMigration } from '../config';
import { ChartInputError } from './errors';
import { addFinalJsonPatch } from './escape-hatch';
import { checkInteger } from './validation';
import { ephemeralStoragePatches, nameHash, type WorkloadPod, type WorkloadPodProps } from './workload-pod';

/** Label of a migration's pods: the workload they migrate (selected by the migration's NetworkPolicy only). */
export const MIGRATION_POD_LABEL = 'platform.local/migration-of';

/** A finished migration Job (and its pod, with its logs) is kept this long for inspection, then removed by Kubernetes. */
export const MIGRATION_TTL_SECONDS = 86400;

export interface MigrationJobProps {
  /** The workload's pod settings (name, namespace, image, entrypoint …). */
  readonly workload: WorkloadPodProps;
  /** The workload's pod, built once (buildWorkloadPod): the Job runs the same container. */
  readonly pod: WorkloadPod;
  /** The migration, defaults applied (config `workloadMigration`). */
  readonly migration: Required<WorkloadMigration>;
}

/** The labels of a workload's migration pods. */
export function migrationPodLabels(workload: string, partOf?: string): Record<string, string> {
  return { 'app.kubernetes.io/name': `${workload}-migration`, [MIGRATION_POD_LABEL]: workload, ...(partOf ? { 'app.kubernetes.io/part-of': partOf } : {}) };
}

export class MigrationJob extends Construct {
  /** `<workload>-migrate-<hash>`: a new name for every other pod spec (Jobs are immutable), the same one when a release is repeated. */
  readonly name: string;
  readonly job: kplus.Job;

  constructor(scope: Construct, id: string, props: MigrationJobProps) {
    super(scope, id);
    const { workload, pod, migration } = props;
    if (migration.command.length === 0 || migration.command.some((v) => typeof v !== 'string' || v.length === 0)) {
      throw new ChartInputError(`migration.command is ${JSON.stringify(migration.command)}; expected a non-empty list of non-empty strings`);
    }
    checkInteger('migration.timeoutSeconds', migration.timeoutSeconds, MIGRATION_TIMEOUT_LIMITS.min, MIGRATION_TIMEOUT_LIMITS.max);
    const container: kplus.ContainerProps = { ...pod.container, args: [...migration.command] };
    // Everything the pod runs with: the image, the command, the configuration's content-addressed name, the secrets' references.
    this.name = `${workload.name}-migrate-${nameHash({
      image: workload.image,
      command: workload.command ?? null,
      args: migration.command,
      config: pod.configMap.name,
      secretEnv: workload.secretEnv ?? null,
      secretFiles: workload.secretFiles ?? null,
      timeoutSeconds: migration.timeoutSeconds,
    })}`;
    const labels = migrationPodLabels(workload.name, workload.partOf);
    this.job = new kplus.Job(this, 'Job', {
      metadata: { name: this.name, namespace: workload.namespace, labels, annotations: { [PHASE_ANNOTATION]: MIGRATION_PHASE } },
      select: false,
      podMetadata: { labels, annotations: { 'kubectl.kubernetes.io/default-container': workload.name } },
      // One attempt: a failed migration stops the release; the deploy command reports its last lines.
      backoffLimit: 0,
      activeDeadline: Duration.seconds(migration.timeoutSeconds),
      ttlAfterFinished: Duration.seconds(MIGRATION_TTL_SECONDS),
      restartPolicy: kplus.RestartPolicy.NEVER,
      serviceAccount: pod.serviceAccount,
      automountServiceAccountToken: false,
      securityContext: pod.securityContext,
      volumes: pod.volumes,
      containers: [container],
    });
    const object = ApiObject.of(this.job);
    object.addJsonPatch(
      JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    );
    addFinalJsonPatch(object, ...ephemeralStoragePatches(pod.ephemeralStorage));
  }
}
