/**
 * Which objects of a release are not ApplySet members (pure): a workload's content-addressed configuration
 * (`CONFIG_OF_LABEL`: applied on its own and pruned only once nothing references it, so a rollback finds the old
 * configuration) and its migration (`PHASE_ANNOTATION: migration`: a Job and its NetworkPolicy, run before the
 * workload's pods change).
 */
import { CONFIG_OF_LABEL, MIGRATION_PHASE, PHASE_ANNOTATION } from '../../config';
import { clone, objectRef, type KubeObject } from '../manifests';

/** A workload's migration: its Job, and what must exist before the Job can run. */
export interface Migration {
  readonly workload: string;
  readonly job: KubeObject;
  /** The migration's NetworkPolicy (and any other object of the migration phase). */
  readonly prerequisites: readonly KubeObject[];
  /** The workload's ServiceAccount the Job runs as (an ApplySet member: created first when it does not exist yet). */
  readonly serviceAccount?: KubeObject;
}

/** What of a workload's objects is not an ApplySet member. */
export interface WorkloadPhases {
  /** Content-addressed configuration, applied before any pod changes and never pruned by the ApplySet. */
  readonly configs: readonly KubeObject[];
  /** The workload's migration, when it declares one. */
  readonly migrations: readonly Migration[];
  /** Values that must never appear in a report (the release's Secrets'). */
  readonly secrets: readonly string[];
}

export interface ReleasePhases extends Omit<WorkloadPhases, 'secrets'> {
  /** The ApplySet members. */
  readonly members: readonly KubeObject[];
}

/** Label of a migration's objects naming the workload (charts/migration-job.ts MIGRATION_POD_LABEL). */
const MIGRATION_OF = 'platform.local/migration-of';

export const isConfigOfWorkload = (o: KubeObject): boolean => o.metadata.labels?.[CONFIG_OF_LABEL] !== undefined;
export const isMigrationObject = (o: KubeObject): boolean => o.metadata.annotations?.[PHASE_ANNOTATION] === MIGRATION_PHASE;

/** Splits a release's objects into ApplySet members, configuration and migrations; throws on a migration object it cannot place. */
export function splitReleasePhases(objects: readonly KubeObject[]): ReleasePhases {
  const members = objects.filter((o) => !isConfigOfWorkload(o) && !isMigrationObject(o));
  const configs = objects.filter(isConfigOfWorkload);
  const phased = objects.filter(isMigrationObject);
  const jobs = phased.filter((o) => o.kind === 'Job');
  const migrations = jobs.map((job) => {
    const workload = job.metadata.labels?.[MIGRATION_OF];
    if (!workload) throw new Error(`${objectRef(job)} is annotated ${PHASE_ANNOTATION}: ${MIGRATION_PHASE} but has no ${MIGRATION_OF} label naming its workload`);
    const account = (job.spec as { template?: { spec?: { serviceAccountName?: string } } } | undefined)?.template?.spec?.serviceAccountName;
    const serviceAccount = members.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === account);
    const prerequisites = phased.filter((o) => o.kind !== 'Job' && (o.metadata.labels?.[MIGRATION_OF] === workload || o.metadata.name === `${workload}-migration`));
    return { workload, job, prerequisites, ...(serviceAccount ? { serviceAccount } : {}) };
  });
  const placed = new Set([...jobs, ...migrations.flatMap((m) => m.prerequisites)]);
  const stray = phased.filter((o) => !placed.has(o));
  if (stray.length > 0) throw new Error(`${stray.map(objectRef).join(', ')}: annotated ${PHASE_ANNOTATION}: ${MIGRATION_PHASE} but belong to no migration Job`);
  return { members, configs, migrations };
}

/**
 * A Pod made from each migration Job's template, for the preflight's server-side dry run: Pod Security is enforced on
 * pods only, so a Job whose pods it would reject is accepted and then never runs. It names no ServiceAccount (a first
 * release has not created the workload's yet; Pod Security does not look at it).
 */
export function migrationAdmissionPods(objects: readonly KubeObject[]): KubeObject[] {
  return objects
    .filter((o) => o.kind === 'Job' && isMigrationObject(o))
    .map((job) => {
      const template = clone((job.spec as { template?: { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> } } | undefined)?.template ?? {});
      const { serviceAccountName: _name, serviceAccount: _account, ...spec } = template.spec ?? {};
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${job.metadata.name}-admission-check`, namespace: job.metadata.namespace, labels: { ...template.metadata?.labels } },
        spec,
      };
    });
}
