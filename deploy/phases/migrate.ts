/**
 * The migration phase: before a workload's pods change, its migration Job (charts/migration-job.ts) runs with the
 * release's image as the workload's ServiceAccount, and the release waits for it. A failed or timed-out migration
 * stops the release (exit 1): nothing of the workload is applied, the running version is untouched, and the report
 * holds the Job's last log lines (redacted). A successful Job is left to its TTL.
 */
import { seconds } from '../clock';
import type { ClusterContext } from '../context';
import { DeployError, EXIT } from '../errors';
import { objectRef, type KubeObject } from '../manifests';
import { jobState, redactLogLines, stuckPodReason } from '../rules/migration-job';
import type { Migration } from '../rules/release-phases';
import { indent } from '../text';

/** Log lines of a failed migration shown in the report. */
export const MIGRATION_LOG_LINES = 20;
/** Margin over the Job's own deadline (activeDeadlineSeconds) before the deploy stops waiting: the Job controller's latency. */
export const MIGRATION_DEADLINE_MARGIN_MS = 30_000;

export type MigrationOutcome =
  | { readonly kind: 'complete'; readonly job: string; readonly ms: number; readonly reused: boolean }
  | { readonly kind: 'failed' | 'timeout'; readonly job: string; readonly ms: number; readonly reason: string; readonly logs: readonly string[] };

/** The Job's own timeout (activeDeadlineSeconds), in ms. */
function deadlineMs(job: KubeObject): number {
  return ((job.spec as { activeDeadlineSeconds?: number } | undefined)?.activeDeadlineSeconds ?? 300) * 1000;
}

/**
 * Runs one workload's migration and waits for it. `secrets`: values that must never appear in the report. Throws a
 * DeployError (exit 5) only when the cluster refuses the Job or its prerequisites.
 */
export async function runMigration(context: ClusterContext, namespace: string, migration: Migration, secrets: readonly string[] = []): Promise<MigrationOutcome> {
  const { cluster, clock, log } = context;
  const name = migration.job.metadata.name;
  const started = clock.now();
  await ensurePrerequisites(context, namespace, migration);
  const existing = await cluster.get('job.batch', name, namespace);
  if (!existing.ok)
    throw new DeployError(`cannot read job/${name} of ${migration.workload}'s migration (nothing of ${migration.workload} applied): ${existing.error}`, EXIT.applyFailed);
  if (existing.value && jobState(existing.value).phase === 'complete') {
    log(`migration of ${migration.workload}: job/${name} already completed for this release; not run again`);
    return { kind: 'complete', job: name, ms: 0, reused: true };
  }
  if (existing.value && jobState(existing.value).phase === 'failed') {
    // Same image, command and configuration as a failed attempt (Jobs are immutable): a new attempt replaces it.
    const removed = await cluster.delete('job.batch', name, namespace);
    if (!removed.ok) throw new DeployError(`cannot delete the failed job/${name} to run ${migration.workload}'s migration again: ${removed.error}`, EXIT.applyFailed);
    await waitUntilGone(context, namespace, name);
  }
  if (!existing.value || jobState(existing.value).phase === 'failed') {
    const created = await cluster.create(migration.job);
    if (!created.ok)
      throw new DeployError(
        `creating job/${name} (${migration.workload}'s migration) failed; nothing of ${migration.workload} applied:\n${indent(created.error)}`,
        EXIT.applyFailed,
      );
  }
  log(`migration of ${migration.workload}: job/${name} started; waiting up to ${seconds(deadlineMs(migration.job))}s`);
  return waitForJob(context, namespace, migration, started, secrets);
}

/** The migration's NetworkPolicy (applied, not an ApplySet member), and the workload's ServiceAccount when it does not exist yet. */
async function ensurePrerequisites({ cluster, log }: ClusterContext, namespace: string, migration: Migration): Promise<void> {
  const objects = [...migration.prerequisites];
  if (migration.serviceAccount) {
    const exists = await cluster.exists('serviceaccount', migration.serviceAccount.metadata.name, namespace);
    // The ApplySet apply later adopts it (same field manager); an existing one is left to that apply.
    if (!exists.ok || !exists.value) objects.unshift(migration.serviceAccount);
  }
  if (objects.length === 0) return;
  const applied = await cluster.apply(objects);
  if (!applied.ok)
    throw new DeployError(
      `applying ${objects.map(objectRef).join(', ')} for ${migration.workload}'s migration failed; nothing of ${migration.workload} applied:\n${indent(applied.error)}`,
      EXIT.applyFailed,
    );
  log(applied.value);
}

async function waitUntilGone(context: ClusterContext, namespace: string, name: string): Promise<void> {
  const { cluster, clock } = context;
  const until = clock.now() + 60_000;
  while (clock.now() < until) {
    const read = await cluster.get('job.batch', name, namespace);
    if (read.ok && !read.value) return;
    await clock.sleep(context.pollMs);
  }
  throw new DeployError(`job/${name} was deleted but is still there after 60s; run the deploy again`, EXIT.applyFailed);
}

async function waitForJob(context: ClusterContext, namespace: string, migration: Migration, started: number, secrets: readonly string[]): Promise<MigrationOutcome> {
  const { cluster, clock, log } = context;
  const name = migration.job.metadata.name;
  const limit = deadlineMs(migration.job) + MIGRATION_DEADLINE_MARGIN_MS;
  let lastProgress = clock.now();
  for (;;) {
    const elapsed = clock.now() - started;
    const read = await cluster.get('job.batch', name, namespace);
    const state = read.ok && read.value ? jobState(read.value) : undefined;
    if (state?.phase === 'complete') {
      log(`migration of ${migration.workload}: job/${name} completed in ${seconds(clock.now() - started)}s`);
      return { kind: 'complete', job: name, ms: clock.now() - started, reused: false };
    }
    const pods = await cluster.list('pods', namespace, { 'job-name': name });
    const stuck = pods.ok ? pods.value.map(stuckPodReason).find((r) => r !== undefined) : undefined;
    if (state?.phase === 'failed' || stuck) {
      const reason = state?.phase === 'failed' ? `${state.reason}${state.message ? `: ${state.message}` : ''}` : stuck!;
      const kind = state?.phase === 'failed' && state.reason === 'DeadlineExceeded' ? 'timeout' : 'failed';
      const logs = await lastLines(context, namespace, pods.ok ? pods.value : [], secrets);
      if (stuck) await cluster.delete('job.batch', name, namespace); // it would only wait for its deadline
      return { kind, job: name, ms: clock.now() - started, reason, logs };
    }
    if (elapsed > limit) {
      const logs = await lastLines(context, namespace, pods.ok ? pods.value : [], secrets);
      await cluster.delete('job.batch', name, namespace);
      return { kind: 'timeout', job: name, ms: elapsed, reason: `not finished after ${seconds(limit)}s (the Job's deadline and a margin); the Job was deleted`, logs };
    }
    if (clock.now() - lastProgress >= 15_000) {
      log(`  [${seconds(elapsed).toFixed(1).padStart(5)}s] migration of ${migration.workload}: job/${name} still running`);
      lastProgress = clock.now();
    }
    await clock.sleep(context.pollMs);
  }
}

/** The last log lines of the Job's newest pod, redacted; a line saying why when there are none. */
async function lastLines({ cluster }: ClusterContext, namespace: string, pods: readonly KubeObject[], secrets: readonly string[]): Promise<string[]> {
  const pod = [...pods].sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')))[0];
  if (!pod) return ['(no pod was created: see `kubectl describe job` for why)'];
  const got = await cluster.logs(pod.metadata.name, namespace, MIGRATION_LOG_LINES);
  if (!got.ok) return [`(cannot read the logs of pod ${pod.metadata.name}: ${got.error})`];
  const lines = got.value.split('\n').filter((l) => l.trim() !== '');
  return lines.length > 0 ? redactLogLines(lines.slice(-MIGRATION_LOG_LINES), secrets) : [`(pod ${pod.metadata.name} printed nothing)`];
}

/** The report of a migration that stopped the release. */
export function migrationFailureReport(target: string, workload: string, outcome: Extract<MigrationOutcome, { kind: 'failed' | 'timeout' }>): string {
  return [
    `✗ ${target}: the migration of ${workload} ${outcome.kind === 'timeout' ? 'timed out' : 'failed'} (job/${outcome.job}, ${seconds(outcome.ms)}s): ${outcome.reason}`,
    `  nothing was rolled back: ${workload}'s Deployment and pods are unchanged (only its new configuration and the migration's own objects were created)`,
    `  last ${outcome.logs.length} log line${outcome.logs.length === 1 ? '' : 's'} of the migration (values that look like secrets redacted):`,
    ...outcome.logs.map((l) => `    | ${l}`),
  ].join('\n');
}
