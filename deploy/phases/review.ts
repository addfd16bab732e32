/**
 * What a reviewer sees: the redacted copy of what is applied (`.deploy/<target>/manifests.yaml`), and the `--diff`
 * and `--dry-run` modes, which change nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterContext, DeployContext } from '../context';
import { clusterError, inputError } from '../errors';
import { toYaml, type KubeObject } from '../manifests';
import { redact } from '../rules/secrets';
import { indent } from '../text';
import { allObjects, namespaceApplySet, type ReleasePlan } from './plan';

/** Writes the review copy, every Secret redacted (the OIDC client Secret and any Secret of --manifests alike). */
export function writeReviewCopy({ workdir }: DeployContext, plan: ReleasePlan, origin: string): string {
  const dir = join(workdir, '.deploy', plan.target.name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'manifests.yaml');
  const canaries = plan.workloads.flatMap((w) => (w.kind !== 'cronJob' && w.canary ? [w.canary] : []));
  const canary = canaries.length ? `---\n# the canary Deployment, for the analysis only (not part of the release's ApplySet)\n${toYaml(canaries)}` : '';
  writeFileSync(file, `# ${origin} — what npm run deploy applies (Secret values redacted)\n${toYaml(allObjects(plan).map(redact))}${canary}`);
  return file;
}

/** `kubectl diff --server-side` of every object, the canary Deployment of a canary release included (Secret values masked by kubectl). */
export async function diffRelease({ cluster, log }: ClusterContext, plan: ReleasePlan, deferred: readonly KubeObject[]): Promise<void> {
  const canaries = plan.workloads.flatMap((w) => (w.kind !== 'cronJob' && w.canary ? [w.canary] : []));
  const diff = await cluster.diff([...allObjects(plan).filter((o) => !deferred.includes(o)), ...canaries]);
  if (!diff.ok) throw clusterError(`kubectl diff failed: ${diff.error}`);
  log(diff.value === '' ? 'diff: no changes' : diff.value);
}

/** Server-side dry run of each ApplySet's apply, pruning included (what would be pruned is listed). */
export async function dryRunRelease(context: ClusterContext, plan: ReleasePlan, deferred: readonly KubeObject[]): Promise<void> {
  if (plan.namespaceExists) {
    const set = plan.namespaceSet;
    if (set) await dryRun(context, set.objects, deferred, set.pruned ? namespaceApplySet(plan) : undefined);
    for (const w of plan.workloads) {
      await dryRun(context, w.objects, deferred, w.applySet);
      // The canary lives outside the ApplySet (created for the analysis, removed after): dry-run on its own.
      if (w.kind !== 'cronJob' && w.canary) {
        const share = w.strategy.kind === 'canary' ? w.strategy.sharePercent : 0;
        await dryRun(context, [w.canary], [], undefined, ` (canary: ${share} % of the pods during the analysis)`);
      }
    }
  }
  context.log('dry run: nothing was changed');
}

async function dryRun(
  { cluster, log }: ClusterContext,
  objects: readonly KubeObject[],
  deferred: readonly KubeObject[],
  applySet: { name: string; namespace: string } | undefined,
  note = '',
): Promise<void> {
  const dry = await cluster.apply(
    objects.filter((o) => !deferred.includes(o)),
    { ...(applySet ? { applySet } : {}), dryRun: true },
  );
  if (!dry.ok) throw inputError(`server-side dry run${applySet ? ` of ApplySet ${applySet.name}` : ''} failed:\n${indent(dry.error)}`);
  log(`${dry.value}${note}`);
}
