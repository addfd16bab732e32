/**
 * Entry points of the workload manifests (no aws-cdk-lib: only config/ and cdk8s).
 *
 * - `synthManifests`: offline, every target into `<outdir>/<target>/web.k8s.yaml` (committed, reviewed in PRs).
 *   AWS environments carry `<placeholder:…>` markers where a value only exists after `cdk deploy`, and every
 *   target carries `<placeholder:image>`: the committed files document the desired state; they are never applied.
 * - `renderTarget`: in memory, one target with a real image and, for AWS environments, the real stack outputs
 *   (`readWorkloadOutputs` on the `cdk deploy --outputs-file` document). This is what the deploy command applies.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { dump } from 'js-yaml';
import { applyRank, findTarget, placeholderOutputs, type PlatformConfig, type WorkloadOutputs } from '../config';
import { AwsWebChart } from './aws-chart';
import { ChartInputError } from './errors';
import { GenericWebChart } from './generic-chart';
import { PLACEHOLDER_IMAGE, parseImageReference } from './image';

/** File written per target. */
export const MANIFEST_FILE = 'web.k8s.yaml';

export type TargetKind = 'aws' | 'generic';

export interface TargetInfo {
  /** Folder name under manifests/: the environment or portable target name. */
  readonly name: string;
  readonly kind: TargetKind;
}

/** Every target: the AWS environments, then the portable targets. */
export function listTargets(config: PlatformConfig): TargetInfo[] {
  return [...config.environments.map((e) => ({ name: e.name, kind: 'aws' as const })), ...(config.portableTargets ?? []).map((t) => ({ name: t.name, kind: 'generic' as const }))];
}

export interface RenderOptions {
  /** Container image: `registry/repository:tag` (immutable tag, not latest) or `repository@sha256:<64 hex>`. */
  readonly image: string;
  /**
   * Real outputs of the environment's stack (AWS targets only).
   * @default - placeholders (`placeholderOutputs`); such manifests must not be applied
   */
  readonly outputs?: WorkloadOutputs;
}

export interface RenderedTarget {
  /** Multi-document YAML, deterministic. */
  readonly yaml: string;
  /** The Kubernetes objects, in apply order (Namespace first). */
  readonly objects: object[];
}

/** Renders one target in memory. Throws `ChartInputError` for an unknown target, a bad image or mismatched outputs. */
export function renderTarget(config: PlatformConfig, target: string, options: RenderOptions): RenderedTarget {
  parseImageReference(options.image);
  return render(config, target, options.image, options.outputs);
}

/**
 * Synthesizes every target offline into `<outdir>/<target>/`, removing stale manifest files (`*.yaml`) there and
 * the folders of removed targets that hold nothing but such files. Nothing else is deleted: a misconfigured outdir
 * (e.g. CDK8S_OUTDIR=.) must not cost anyone a folder. Returns the files written.
 */
export function synthManifests(config: PlatformConfig, options: { outdir: string }): { files: string[] } {
  const targets = listTargets(config);
  const files: string[] = [];
  mkdirSync(options.outdir, { recursive: true });
  for (const target of targets) {
    const yaml = REVIEW_HEADER + render(config, target.name, PLACEHOLDER_IMAGE, undefined).yaml;
    const dir = join(options.outdir, target.name);
    mkdirSync(dir, { recursive: true });
    for (const entry of readdirSync(dir)) {
      if (entry !== MANIFEST_FILE && isManifestFile(dir, entry)) rmSync(join(dir, entry));
    }
    const file = join(dir, MANIFEST_FILE);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== yaml) writeFileSync(file, yaml);
    files.push(file);
  }
  // Folders of targets that no longer exist, when they hold nothing but manifests.
  const names = new Set(targets.map((t) => t.name));
  for (const entry of readdirSync(options.outdir)) {
    const dir = join(options.outdir, entry);
    if (names.has(entry) || !statSync(dir).isDirectory()) continue;
    if (readdirSync(dir).every((f) => isManifestFile(dir, f))) rmSync(dir, { recursive: true, force: true });
  }
  return { files };
}

/** A file synth could have written (the only kind it removes). */
function isManifestFile(dir: string, entry: string): boolean {
  return entry.endsWith('.yaml') && statSync(join(dir, entry)).isFile();
}

function render(config: PlatformConfig, target: string, image: string, outputs: WorkloadOutputs | undefined): RenderedTarget {
  const app = new App({ outdir: 'manifests' });
  let chart: Chart;
  const found = findTarget(config, target);
  if (found?.kind === 'aws') {
    const { env } = found;
    const values = outputs ?? placeholderOutputs(env.name, env.region, env.workload.namespace, config.identity.region);
    chart = new AwsWebChart(app, target, { config, environment: env, outputs: values, image });
  } else if (found?.kind === 'portable') {
    if (outputs) {
      throw new ChartInputError(`target "${target}" is a portable (non-AWS) target; it takes no AWS stack outputs`);
    }
    chart = new GenericWebChart(app, target, { config, target: found.target, image });
  } else {
    const allowed = listTargets(config)
      .map((t) => `"${t.name}"`)
      .join(', ');
    throw new ChartInputError(`unknown target ${JSON.stringify(target)}; allowed: ${allowed}`);
  }
  const objects = sortForApply(chart.toJson() as KubeObject[]);
  return { yaml: toYaml(objects), objects };
}

interface KubeObject {
  readonly kind: string;
  readonly metadata: { readonly name: string };
}

/** The shared apply order of kinds (config/workload.ts, which the deploy command applies in too), then by name. */
function sortForApply(objects: KubeObject[]): KubeObject[] {
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => applyRank(a.o.kind) - applyRank(b.o.kind) || a.o.metadata.name.localeCompare(b.o.metadata.name) || a.i - b.i)
    .map(({ o }) => o);
}

/** First lines of every committed manifest file: what it is for, and why it cannot be applied as it is. */
export const REVIEW_HEADER =
  '# FOR REVIEW ONLY, cannot be applied as it is: values marked <placeholder:…> (the image among them) exist only at deploy time.\n' +
  '# Generated by charts/ (cdk8s) with `npm run synth`; do not edit. Apply-ready manifests: npm run render -- --env <name> --image <ref> [--outputs cdk-outputs.json] --out <dir>\n';

/** js-yaml: no anchors (each object stands alone), no folded lines, double quotes where a string needs them (YAML 1.1 compatible, as kubectl reads it). */
function toYaml(objects: object[]): string {
  return objects.map((o) => `---\n${dump(o, { noRefs: true, lineWidth: -1, quoteStyle: 'double' })}`).join('');
}
