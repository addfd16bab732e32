/**
 * The seams of the configuration and migration phases in a release (deploy/run.ts): split each workload's objects
 * (its ApplySet gets its members only), then before a workload's pods change apply its configuration and run its
 * migration, and after its successful release prune its configuration nothing uses any more.
 */
import type { ClusterContext } from '../context';
import { EXIT, inputError } from '../errors';
import { secretValues } from '../rules/migration-job';
import { splitReleasePhases } from '../rules/release-phases';
import { applyConfigs, pruneConfigs } from './configuration';
import { migrationFailureReport, runMigration } from './migrate';
import { allObjects, type ReleasePlan, type WorkloadPlan } from './plan';
import type { DeployResult } from './report';

/** The plan whose workloads' ApplySets hold their members only, each with the objects of its other phases (`outside`). */
export function withReleasePhases(plan: ReleasePlan): ReleasePlan {
  const secrets = secretValues(allObjects(plan));
  const workloads = plan.workloads.map((w) => {
    try {
      const { members, configs, migrations } = splitReleasePhases(w.objects);
      return { ...w, objects: members, outside: { configs, migrations, secrets } };
    } catch (e) {
      throw inputError(`the manifests of workload ${w.name} are not a valid release (nothing applied): ${(e as Error).message}`);
    }
  });
  return { ...plan, workloads };
}

/**
 * Before any pod of the workload changes (its canary included): its configuration, then its migration. A failed
 * migration stops the workload's release: its result (exit 1, nothing rolled back, the Job's last lines in the report).
 */
export async function beforePodsChange(context: ClusterContext, plan: WorkloadPlan): Promise<DeployResult | undefined> {
  if (!plan.outside) return undefined;
  await applyConfigs(context, plan.outside.configs);
  for (const migration of plan.outside.migrations) {
    const outcome = await runMigration(context, plan.namespace, migration, plan.outside.secrets);
    if (outcome.kind === 'complete') continue;
    context.log(migrationFailureReport(plan.target.name, migration.workload, outcome));
    return { outcome: 'migration-failed', exitCode: EXIT.rolledBack, reason: `migration of ${migration.workload}: ${outcome.reason}` };
  }
  return undefined;
}

/** After the workload's successful release: its configuration that nothing references any more is deleted. */
export async function afterRelease(context: ClusterContext, plan: WorkloadPlan): Promise<void> {
  if (!plan.outside || plan.outside.configs.length === 0) return;
  await pruneConfigs(
    context,
    plan.namespace,
    plan.name,
    plan.outside.configs.map((c) => c.metadata.name),
  );
}
