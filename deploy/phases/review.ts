/**
 * What a reviewer sees: the redacted copy of what is applied (`.deploy/<target>/manifests.yaml`), and the `--diff`
 * and `--dry-run` modes, which change nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../cluster';
import { clusterError, inputError } from '../errors';
import { toYaml, type KubeObject } from '../manifests';
import { redact } from '../secrets';
import { allObjects, applySetOf, type ReleasePlan } from './plan';
import { indent } from './preflight';

/** Writes the review copy, every Secret redacted (the OIDC client Secret and any Secret of --manifests alike). */
export function writeReviewCopy(workdir: string, plan: ReleasePlan, origin: string): string {
  const dir = join(workdir, '.deploy', plan.target.name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'manifests.yaml');
  writeFileSync(file, `# ${origin} — what npm run deploy applies (Secret values redacted)\n${toYaml(allObjects(plan).map(redact))}`);
  return file;
}

/** `kubectl diff --server-side` of every object (Secret values masked by kubectl). */
export async function diffRelease(cluster: Cluster, plan: ReleasePlan, deferred: readonly KubeObject[], log: (line: string) => void): Promise<void> {
  const diff = await cluster.diff(allObjects(plan).filter((o) => !deferred.includes(o)));
  if (!diff.ok) throw clusterError(`kubectl diff failed: ${diff.error}`);
  log(diff.value === '' ? 'diff: no changes' : diff.value);
}

/** Server-side dry run of the ApplySet apply, pruning included (what would be pruned is listed). */
export async function dryRunRelease(cluster: Cluster, plan: ReleasePlan, deferred: readonly KubeObject[], log: (line: string) => void): Promise<void> {
  if (plan.namespaceExists) {
    const dry = await cluster.apply(
      plan.objects.filter((o) => !deferred.includes(o)),
      { applySet: applySetOf(plan), dryRun: true },
    );
    if (!dry.ok) throw inputError(`server-side dry run failed:\n${indent(dry.error)}`);
    log(dry.value);
  }
  log('dry run: nothing was changed');
}
