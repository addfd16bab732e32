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
import { allObjects, applySetOf, type ReleasePlan } from './plan';

/** Writes the review copy, every Secret redacted (the OIDC client Secret and any Secret of --manifests alike). */
export function writeReviewCopy({ workdir }: DeployContext, plan: ReleasePlan, origin: string): string {
  const dir = join(workdir, '.deploy', plan.target.name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'manifests.yaml');
  const canary = plan.canary ? `---\n# the canary Deployment, for the analysis only (not part of the release's ApplySet)\n${toYaml([plan.canary])}` : '';
  writeFileSync(file, `# ${origin} — what npm run deploy applies (Secret values redacted)\n${toYaml(allObjects(plan).map(redact))}${canary}`);
  return file;
}

/** `kubectl diff --server-side` of every object, the canary Deployment of a canary release included (Secret values masked by kubectl). */
export async function diffRelease({ cluster, log }: ClusterContext, plan: ReleasePlan, deferred: readonly KubeObject[]): Promise<void> {
  const diff = await cluster.diff([...allObjects(plan).filter((o) => !deferred.includes(o)), ...(plan.canary ? [plan.canary] : [])]);
  if (!diff.ok) throw clusterError(`kubectl diff failed: ${diff.error}`);
  log(diff.value === '' ? 'diff: no changes' : diff.value);
}

/** Server-side dry run of the ApplySet apply, pruning included (what would be pruned is listed). */
export async function dryRunRelease({ cluster, log }: ClusterContext, plan: ReleasePlan, deferred: readonly KubeObject[]): Promise<void> {
  if (plan.namespaceExists) {
    const dry = await cluster.apply(
      plan.objects.filter((o) => !deferred.includes(o)),
      { applySet: applySetOf(plan), dryRun: true },
    );
    if (!dry.ok) throw inputError(`server-side dry run failed:\n${indent(dry.error)}`);
    log(dry.value);
    // The canary lives outside the ApplySet (created for the analysis, removed after): dry-run on its own.
    if (plan.canary) {
      const canary = await cluster.apply([plan.canary], { dryRun: true });
      if (!canary.ok) throw inputError(`server-side dry run of the canary failed:\n${indent(canary.error)}`);
      log(`${canary.value} (canary: ${plan.strategy.kind === 'canary' ? plan.strategy.sharePercent : 0} % of the pods during the analysis)`);
    }
  }
  log('dry run: nothing was changed');
}
