/**
 * The seams of the configuration and migration phases in a release (deploy/run.ts): split the plan (the ApplySet
 * gets its members only), then before any pod changes apply the configuration and run the migrations, and after a
 * successful release prune the configuration nothing uses any more.
 */
import { CONFIG_OF_LABEL } from '../../config';
import type { ClusterContext } from '../context';
import { EXIT, inputError } from '../errors';
import { secretValues } from '../rules/migration-job';
import { splitReleasePhases, type ReleasePhases } from '../rules/release-phases';
import { applyConfigs, pruneConfigs } from './configuration';
import { migrationFailureReport, runMigration } from './migrate';
import type { ReleasePlan } from './plan';
import type { DeployResult } from './report';

/** The plan whose ApplySet holds its members only, and the objects of the other phases. */
export function withReleasePhases(plan: ReleasePlan): { readonly plan: ReleasePlan; readonly phases: ReleasePhases } {
  let phases: ReleasePhases;
  try {
    phases = splitReleasePhases(plan.objects);
  } catch (e) {
    throw inputError(`the manifests are not a valid release (nothing applied): ${(e as Error).message}`);
  }
  return { plan: { ...plan, objects: phases.members }, phases };
}

/**
 * Before any pod of the release changes (the canary included): the configuration, then each migration in turn. A
 * failed migration stops the release: its result (exit 1, nothing rolled back, the Job's last lines in the report).
 */
export async function beforePodsChange(context: ClusterContext, plan: ReleasePlan, phases: ReleasePhases): Promise<DeployResult | undefined> {
  await applyConfigs(context, phases.configs);
  const secrets = secretValues(plan.objects);
  for (const migration of phases.migrations) {
    const outcome = await runMigration(context, plan.namespace, migration, secrets);
    if (outcome.kind === 'complete') continue;
    context.log(migrationFailureReport(plan.target.name, migration.workload, outcome));
    return { outcome: 'migration-failed', exitCode: EXIT.rolledBack, reason: `migration of ${migration.workload}: ${outcome.reason}` };
  }
  return undefined;
}

/** After a successful release: each released workload's configuration that nothing references any more is deleted. */
export async function afterRelease(context: ClusterContext, plan: ReleasePlan, phases: ReleasePhases): Promise<void> {
  const keep = phases.configs.map((c) => c.metadata.name);
  const workloads = [...new Set(phases.configs.map((c) => c.metadata.labels?.[CONFIG_OF_LABEL]).filter((w): w is string => w !== undefined))];
  for (const workload of workloads) await pruneConfigs(context, plan.namespace, workload, keep);
}
