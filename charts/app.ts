/**
 * Entry points of the workload manifests (no aws-cdk-lib: only config/ and cdk8s).
 *
 * - `synthManifests`: offline, every target into `<outdir>/<target>/` (one file per workload and the namespace's; committed, reviewed in PRs).
 *   AWS environments carry `<placeholder:…>` markers where a value only exists after `cdk deploy`, and every
 *   target carries `<placeholder:image>`: the committed files document the desired state; they are never applied.
 * - `renderTarget`: in memory, one target with a real image and, for AWS environments, the real stack outputs
 *   (`readWorkloadOutputs` on the `cdk deploy --outputs-file` document). This is what the deploy command applies.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { dump } from 'js-yaml';
import { applyRank, findTarget, placeholder, placeholderOutputs, type PlatformConfig, type WorkloadOutputs } from '../config';
import { awsTarget } from './aws-target';
import { ChartInputError } from './errors';
import { genericTarget } from './generic-target';
import { parseImageReference } from './image';
import type { TargetProfile } from './target';
import { NamespaceChart, WorkloadChart } from './workload-chart';

/** File of the namespace-level objects (Namespace, default deny, shared RBAC) in each target's folder. */
export const NAMESPACE_FILE = 'namespace.k8s.yaml';

/** File of one workload's objects in its target's folder. */
export function workloadFile(workload: string): string {
  return `${workload}.k8s.yaml`;
}

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

/** The image carried by the offline (committed) manifests for an image name; the deploy command refuses to apply it. */
export function placeholderImage(image: string): string {
  return placeholder(`image-${image}`);
}

export interface RenderOptions {
  /**
   * Container image per image name (`images` of the configuration): `registry/repository:tag` (immutable tag, not
   * latest) or `repository@sha256:<64 hex>`. Every image the target's workloads run needs one.
   */
  readonly images: Readonly<Record<string, string>>;
  /**
   * Real outputs of the environment's stack (AWS targets only).
   * @default - placeholders (`placeholderOutputs`); such manifests must not be applied
   */
  readonly outputs?: WorkloadOutputs;
}

/** One manifest file: the namespace-level objects, or one workload's. */
export interface RenderedFile {
  /** File name, e.g. "namespace.k8s.yaml" or "web.k8s.yaml". */
  readonly file: string;
  /** The workload, or undefined for the namespace-level objects. */
  readonly workload?: string;
  /** Multi-document YAML, deterministic. */
  readonly yaml: string;
  /** The Kubernetes objects, in apply order. */
  readonly objects: object[];
}

export interface RenderedTarget {
  /** Every file's YAML, namespace first. */
  readonly yaml: string;
  /** Every object, in apply order (Namespace first). */
  readonly objects: object[];
  /** The namespace-level file, then one file per workload (in declaration order). */
  readonly files: readonly RenderedFile[];
}

/**
 * Renders one target in memory. Throws `ChartInputError` for an unknown target, an image name the configuration does
 * not declare, a missing or bad image, or mismatched outputs.
 */
export function renderTarget(config: PlatformConfig, target: string, options: RenderOptions): RenderedTarget {
  const declared = (config.images ?? []).map((i) => i.name);
  for (const [name, image] of Object.entries(options.images)) {
    if (!declared.includes(name)) throw new ChartInputError(`image name ${JSON.stringify(name)} is not declared; allowed: ${declared.map((n) => `"${n}"`).join(', ')}`);
    parseImageReference(image);
  }
  return render(config, target, options.images, options.outputs, false);
}

/**
 * Synthesizes every target offline into `<outdir>/<target>/` (one file per workload plus the namespace's), removing
 * stale manifest files (`*.yaml`) there and the folders of removed targets that hold nothing but such files. Nothing
 * else is deleted: a misconfigured outdir (e.g. CDK8S_OUTDIR=.) must not cost anyone a folder. Returns the files written.
 */
export function synthManifests(config: PlatformConfig, options: { outdir: string }): { files: string[] } {
  const targets = listTargets(config);
  const files: string[] = [];
  mkdirSync(options.outdir, { recursive: true });
  for (const target of targets) {
    const rendered = render(config, target.name, {}, undefined, true);
    const dir = join(options.outdir, target.name);
    mkdirSync(dir, { recursive: true });
    const wanted = new Set(rendered.files.map((f) => f.file));
    for (const entry of readdirSync(dir)) {
      if (!wanted.has(entry) && isManifestFile(dir, entry)) rmSync(join(dir, entry));
    }
    for (const rendered_file of rendered.files) {
      const file = join(dir, rendered_file.file);
      const yaml = REVIEW_HEADER + rendered_file.yaml;
      if (!existsSync(file) || readFileSync(file, 'utf8') !== yaml) writeFileSync(file, yaml);
      files.push(file);
    }
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

function profileOf(config: PlatformConfig, target: string, outputs: WorkloadOutputs | undefined): TargetProfile {
  const found = findTarget(config, target);
  if (found?.kind === 'aws') {
    const { env } = found;
    return awsTarget({ config, environment: env, outputs: outputs ?? placeholderOutputs(env.name, env.region, env.namespace, config.identity.region) });
  }
  if (found?.kind === 'portable') {
    if (outputs) throw new ChartInputError(`target "${target}" is a portable (non-AWS) target; it takes no AWS stack outputs`);
    return genericTarget({ config, target: found.target });
  }
  const allowed = listTargets(config)
    .map((t) => `"${t.name}"`)
    .join(', ');
  throw new ChartInputError(`unknown target ${JSON.stringify(target)}; allowed: ${allowed}`);
}

function render(config: PlatformConfig, target: string, images: Readonly<Record<string, string>>, outputs: WorkloadOutputs | undefined, placeholders: boolean): RenderedTarget {
  const profile = profileOf(config, target, outputs);
  const app = new App({ outdir: 'manifests' });
  const charts: { file: string; workload?: string; chart: Chart }[] = [{ file: NAMESPACE_FILE, chart: new NamespaceChart(app, `${target}-namespace`, profile) }];
  for (const workload of profile.workloads) {
    const image = images[workload.image] ?? (placeholders ? placeholderImage(workload.image) : undefined);
    if (image === undefined) {
      throw new ChartInputError(`workload "${workload.name}" runs image "${workload.image}", which was given no reference; give --image ${workload.image}=<ref>`);
    }
    charts.push({ file: workloadFile(workload.name), workload: workload.name, chart: new WorkloadChart(app, `${target}-${workload.name}`, { profile, workload, image }) });
  }
  // Synthesizes every chart (and runs their validations) once.
  const documents = app.charts.map((chart) => chart.toJson() as KubeObject[]);
  const files = charts.map(({ file, workload }, i) => {
    const objects = sortForApply(documents[i]);
    return { file, ...(workload ? { workload } : {}), yaml: toYaml(objects), objects };
  });
  // The whole target in the shared apply order (what the deploy command applies); each file in that order too.
  const objects = sortForApply(documents.flat());
  return { yaml: toYaml(objects), objects, files };
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
  '# Generated by charts/ (cdk8s) with `npm run synth`; do not edit. Apply-ready manifests: npm run render -- --env <name> --image <name>=<ref> … [--outputs cdk-outputs.json] --out <dir>\n';

/** js-yaml: no anchors (each object stands alone), no folded lines, double quotes where a string needs them (YAML 1.1 compatible, as kubectl reads it). */
function toYaml(objects: object[]): string {
  return objects.map((o) => `---\n${dump(o, { noRefs: true, lineWidth: -1, quoteStyle: 'double' })}`).join('');
}
