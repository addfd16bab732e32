/**
 * Which workloads a release holds, offline: from the images given (`--image <name>=<ref>`, or a bare `--image <ref>`
 * for a target of one image) and `--workload <name>`, or, with `--manifests`, from the files of the folder (one file
 * per workload, as `npm run render` writes them). Every refusal names the value and the allowed names (exit 2).
 */
import { imagesInUse, type PlatformConfig, type Workload } from '../../config';
import { inputError } from '../errors';
import { parseManifests, type KubeObject, type ManifestSource } from '../manifests';
import type { DeployOptions } from '../args';

/** What the selection reads of a target (phases/prepare.ts ResolvedTarget). */
interface ResolvedTarget {
  readonly name: string;
  readonly workloads: readonly Workload[];
}

/** What the selection reads of the options (phases/prepare.ts PrepareOptions). */
type PrepareOptions = Pick<DeployOptions, 'image' | 'images' | 'workloads'>;

/** What a rendered release holds: a reference per image name and the workloads released (config order). */
export interface Selection {
  readonly images: Readonly<Record<string, string>>;
  readonly workloads: readonly Workload[];
}

/** The kind of object that runs a workload's pods. */
const OWNER_KIND: Record<Workload['kind'], string> = { service: 'Deployment', worker: 'Deployment', cronJob: 'CronJob' };

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

/** The images the target's workloads run, in the order of the configuration's `images`. */
export function targetImages(config: PlatformConfig, target: ResolvedTarget): string[] {
  return imagesInUse(config.images, target.workloads).map((i) => i.name);
}

/** A reference per image name from `images`, or the bare `image` for a target of one image. */
function givenImages(config: PlatformConfig, target: ResolvedTarget, options: PrepareOptions): Record<string, string> {
  if (options.images) return { ...options.images };
  if (options.image === undefined) return {};
  const used = targetImages(config, target);
  if (used.length !== 1) {
    throw inputError(`--image ${options.image}: "${target.name}" runs ${used.length} images (${quoted(used)}); name each: ${used.map((n) => `--image ${n}=<ref>`).join(' ')}`);
  }
  return { [used[0]]: options.image };
}

/**
 * The workloads to release: those named by `--workload` (each one's image must be given: it is what the release
 * changes), else every workload that runs a given image. `everyImage` (render): every image the target runs needs one.
 */
export function selectWorkloads(config: PlatformConfig, target: ResolvedTarget, options: PrepareOptions & { readonly everyImage?: boolean }): Selection {
  const images = givenImages(config, target, options);
  const used = targetImages(config, target);
  const declared = config.images.map((i) => i.name);
  const problems: string[] = [];
  for (const name of Object.keys(images)) {
    if (!declared.includes(name)) problems.push(`--image ${name}=…: the configuration declares no image "${name}"; allowed: ${quoted(used)}`);
    else if (!used.includes(name)) problems.push(`--image ${name}=…: no workload of "${target.name}" runs image "${name}"; allowed: ${quoted(used)}`);
  }
  if (options.everyImage)
    for (const name of used) if (!(name in images)) problems.push(`image "${name}" (run by ${runBy(target, name)}) has no reference: add --image ${name}=<ref>`);
  problems.push(...unknownWorkloads(target, options.workloads));
  const named = options.workloads && target.workloads.filter((w) => options.workloads!.includes(w.name));
  for (const w of named ?? []) {
    if (!(w.image in images))
      problems.push(`--workload ${w.name}: it runs image "${w.image}", which was not given: add --image ${w.image}=<ref> (a release changes a workload's image)`);
  }
  for (const name of named?.length ? Object.keys(images).filter((i) => used.includes(i)) : []) {
    if (!named!.some((w) => w.image === name)) problems.push(`--image ${name}=…: no workload named by --workload (${named!.map((w) => w.name).join(', ')}) runs it`);
  }
  if (problems.length > 0) throw inputError(problems.join('\n'));
  return { images, workloads: named ?? target.workloads.filter((w) => w.image in images) };
}

function unknownWorkloads(target: ResolvedTarget, names: readonly string[] | undefined): string[] {
  const allowed = target.workloads.map((w) => w.name);
  return (names ?? []).filter((n) => !allowed.includes(n)).map((n) => `--workload ${n}: "${target.name}" declares no workload "${n}"; allowed: ${quoted(allowed)}`);
}

function runBy(target: ResolvedTarget, image: string): string {
  return target.workloads
    .filter((w) => w.image === image)
    .map((w) => `workload "${w.name}"`)
    .join(', ');
}

/** One file of a release: the namespace-level objects (no `workload`), or one workload's. */
export interface SelectedFile {
  readonly file: string;
  readonly workload?: Workload;
  readonly objects: readonly KubeObject[];
}

/**
 * `--manifests`: each file is one workload's — the one whose Deployment or CronJob it holds (a declared workload of
 * the target, of the matching kind) — or, holding neither, namespace-level objects. `--workload` keeps those
 * workloads' files (and the namespace-level ones); the other workloads' files are left out.
 */
export function classifyManifestFiles(sources: readonly ManifestSource[], target: ResolvedTarget, workloads: readonly string[] | undefined): SelectedFile[] {
  const problems = unknownWorkloads(target, workloads);
  const files = sources.map((source) => ({ source, objects: parseManifests([source]) }));
  const seen = new Map<string, string>();
  const selected: SelectedFile[] = [];
  for (const { source, objects } of files) {
    const owners = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'CronJob');
    if (owners.length === 0) {
      selected.push({ file: source.name, objects });
      continue;
    }
    const workload = ownerWorkload(source.name, owners, target, problems);
    if (!workload) continue;
    if (seen.has(workload.name)) problems.push(`${source.name}: workload "${workload.name}" is in ${seen.get(workload.name)} too; give each workload one file`);
    seen.set(workload.name, source.name);
    if (!workloads || workloads.includes(workload.name)) selected.push({ file: source.name, workload, objects });
  }
  for (const name of workloads ?? []) if (target.workloads.some((w) => w.name === name) && !seen.has(name)) problems.push(`--workload ${name}: no file of the folder holds it`);
  if (problems.length > 0)
    throw inputError(`the manifests are not a release of "${target.name}" (one file per workload, as npm run render writes them):\n  - ${problems.join('\n  - ')}`);
  if (!selected.some((f) => f.workload))
    throw inputError(`the manifests hold no workload of "${target.name}" (a Deployment or CronJob named ${quoted(target.workloads.map((w) => w.name))})`);
  return selected;
}

/** The declared workload a file's one Deployment or CronJob runs, or undefined with the problem recorded. */
function ownerWorkload(file: string, owners: readonly KubeObject[], target: ResolvedTarget, problems: string[]): Workload | undefined {
  const refs = owners.map((o) => `${o.kind} ${o.metadata.name}`);
  if (owners.length > 1) {
    problems.push(`${file} holds ${refs.join(', ')}: one workload per file`);
    return undefined;
  }
  const workload = target.workloads.find((w) => w.name === owners[0].metadata.name);
  if (!workload) problems.push(`${file}: ${refs[0]} is no workload of "${target.name}"; allowed: ${quoted(target.workloads.map((w) => w.name))}`);
  else if (OWNER_KIND[workload.kind] !== owners[0].kind)
    problems.push(`${file}: ${refs[0]}, but workload "${workload.name}" is a ${workload.kind} (a ${OWNER_KIND[workload.kind]})`);
  return workload && OWNER_KIND[workload.kind] === owners[0].kind ? workload : undefined;
}

/** The Deployment or CronJob that runs a workload's pods. */
export function ownerOf(workload: Workload, objects: readonly KubeObject[]): KubeObject | undefined {
  return objects.find((o) => o.kind === OWNER_KIND[workload.kind] && o.metadata.name === workload.name);
}
