/**
 * Phase 1, offline: everything that can be checked without a cluster or AWS. Resolves the target, reads and checks
 * the outputs, renders (or reads --manifests), refuses placeholders and mutable images, and returns the release to
 * apply. Throws DeployError (exit 2) on any refusal. Reusable on its own (e.g. a `render` command).
 */
import { readFileSync } from 'node:fs';
import {
  checkDeployImage,
  environmentStackName,
  findTarget,
  ImageReferenceError,
  outputMismatches,
  OutputsError,
  parseImageReference,
  readWorkloadOutputs,
  type DeployTarget,
  type EnvironmentConfig,
  type PlatformConfig,
  type Workload,
  type WorkloadOutputs,
} from '../../config';
import type { DeployOptions } from '../args';
import { inputError } from '../errors';
import { assertNoPlaceholders, podImages, prepareRelease, readManifestDir, toYaml, type KubeObject, type ManifestSource, type ReleaseSet } from '../manifests';
import { classifyManifestFiles, ownerOf, selectWorkloads, type Selection, type SelectedFile } from './select';
import { oidcSecretNames } from '../rules/secrets';

/** One rendered file (charts/app.ts RenderedFile): the namespace-level objects, or one workload's. */
export interface RenderedFileSource {
  readonly file: string;
  readonly workload?: string;
  readonly objects: readonly object[];
}

export type RenderFn = (
  config: PlatformConfig,
  target: string,
  options: { images: Readonly<Record<string, string>>; outputs?: WorkloadOutputs },
) => { yaml: string; objects?: unknown[]; files?: readonly RenderedFileSource[] };

/** A file of the prepared release: its objects as they are applied (release label, namespace). */
export interface ReleaseFile {
  readonly file: string;
  readonly workload?: string;
  readonly objects: readonly KubeObject[];
}

export type ResolvedTarget = DeployTarget & {
  readonly namespace: string;
  /** The target's workloads, in declaration order (the order releases go in). */
  readonly workloads: readonly Workload[];
};

/** What `prepare` needs: the validated configuration and the chart renderer (charts/app.ts renderTarget). */
export interface PrepareDeps {
  readonly config: PlatformConfig;
  readonly render: RenderFn;
}

/** One workload of the release: its own objects (its ApplySet), and the Deployment or CronJob that runs its pods. */
export interface PreparedWorkload {
  readonly name: string;
  readonly workload: Workload;
  /** Labelled and namespaced, in apply order. */
  readonly objects: readonly KubeObject[];
  /** Its Deployment (service, worker) or CronJob. */
  readonly owner: KubeObject;
}

/** Everything that can be checked without a cluster: the release to apply. */
export interface PreparedRelease {
  readonly target: ResolvedTarget;
  readonly outputs?: WorkloadOutputs;
  /** Every object of the release (the Namespace split off): the namespace-level ones and the released workloads'. */
  readonly release: ReleaseSet;
  /**
   * The namespace-level objects besides the Namespace (default deny, shared RBAC): their own ApplySet.
   * @default - undefined with --manifests when no file holds namespace-level objects: that set is left as it is
   */
  readonly namespaceObjects?: readonly KubeObject[];
  /** The released workloads, in declaration order. */
  readonly workloads: readonly PreparedWorkload[];
  readonly sources: readonly ManifestSource[];
  /** Names of OIDC client Secrets the Ingresses need (created from Secrets Manager). */
  readonly oidcSecrets: readonly string[];
  /** Warnings of the image policy (`checkDeployImage`), printed before anything is applied. */
  readonly imageWarnings: readonly string[];
  /**
   * The release split as the chart renders it (namespace file first, then one file per released workload).
   * @default - undefined with --manifests (the files are the operator's)
   */
  readonly files?: readonly ReleaseFile[];
}

/** The options `prepare` reads (a `render` command passes the same). */
export type PrepareOptions = Pick<DeployOptions, 'env' | 'image' | 'images' | 'workloads' | 'outputsFile' | 'manifestsDir' | 'kubeconfig'> & {
  /**
   * Every image the target runs needs a reference (render writes the whole target).
   * @default false - the workloads that run the given images are released
   */
  readonly everyImage?: boolean;
};

/** A reference that is never applied: the chart renders every workload, the release keeps only the selected ones. */
const UNRELEASED_IMAGE = (name: string) => `unreleased.invalid/${name}:not-released`;

export function prepare(options: PrepareOptions, deps: PrepareDeps): PreparedRelease {
  const target = resolveTarget(deps.config, options.env);
  if (options.image !== undefined) checkImageReference(options.image, '--image');
  for (const [name, ref] of Object.entries(options.images ?? {})) checkImageReference(ref, `--image ${name}=${ref}`);
  const selection = options.manifestsDir ? undefined : selectWorkloads(deps.config, target, options);
  const outputs = cloudOutputs(options, deps.config, target);
  const rendered = selection && renderSelected(selection, outputs, target, deps);
  const files = rendered ? rendered.selected : manifestFiles(options.manifestsDir!, target, options.workloads);
  const sources = files.map((f) => ({ name: selection ? `<rendered ${target.name}>/${f.file}` : f.file, text: toYaml(f.objects) }));
  if (selection) assertNoPlaceholders(sources);
  const release = prepareRelease(
    files.flatMap((f) => f.objects),
    target.namespace,
    target.name,
  );
  const placed = placeObjects(release, files);
  const imageWarnings = checkImages(placed.workloads, target, outputs, options);
  // The shared Secrets the target's Ingresses need, released or not: they are namespace-level (a release of the worker
  // applies the namespace-level set too, and must not prune the Secret web's Ingress reads).
  const oidcSecrets = oidcSecretNames(rendered ? rendered.all : release.objects);
  if (oidcSecrets.length > 0 && !outputs) {
    throw inputError(`the Ingress authenticates through OIDC and needs Secret ${oidcSecrets.join(', ')} from Secrets Manager: pass --outputs <cdk-outputs.json>`);
  }
  const { files: split, ...byWorkload } = placed;
  return { target, outputs, release, sources, oidcSecrets, imageWarnings, ...byWorkload, ...(selection ? { files: split } : {}) };
}

/** `--manifests`: the folder's files, refused while they hold placeholders, each one the namespace's or one workload's. */
function manifestFiles(dir: string, target: ResolvedTarget, workloads: readonly string[] | undefined): SelectedFile[] {
  const sources = readManifestDir(dir);
  assertNoPlaceholders(sources);
  return classifyManifestFiles(sources, target, workloads);
}

/** Renders the target and keeps the namespace-level file and the selected workloads' files. */
function renderSelected(selection: Selection, outputs: WorkloadOutputs | undefined, target: ResolvedTarget, deps: PrepareDeps): { selected: SelectedFile[]; all: KubeObject[] } {
  const images = Object.fromEntries(target.workloads.map((w) => [w.image, selection.images[w.image] ?? UNRELEASED_IMAGE(w.image)]));
  const rendered = renderFiles(images, outputs, target, deps);
  const byName = new Map(selection.workloads.map((w) => [w.name, w]));
  const selected = rendered
    .filter((f) => !f.workload || byName.has(f.workload))
    .map((f) => ({ file: f.file, ...(f.workload ? { workload: byName.get(f.workload)! } : {}), objects: f.objects as KubeObject[] }));
  return { selected, all: rendered.flatMap((f) => f.objects as KubeObject[]) };
}

/**
 * The prepared objects (labelled, namespaced, in apply order) back in their files: the namespace-level ones, and per
 * workload its objects and its Deployment or CronJob. Kind and name identify an object within the namespace.
 */
function placeObjects(release: ReleaseSet, files: readonly SelectedFile[]): Pick<PreparedRelease, 'namespaceObjects' | 'workloads' | 'files'> {
  const key = (o: { kind?: string; metadata?: { name?: string } }) => `${o.kind}/${o.metadata?.name}`;
  const fileOf = new Map<string, SelectedFile>();
  for (const f of files) for (const o of f.objects) fileOf.set(key(o), f);
  const of = (f: SelectedFile) => release.objects.filter((o) => fileOf.get(key(o)) === f);
  const namespaceFiles = files.filter((f) => !f.workload);
  const workloads = files
    .filter((f): f is SelectedFile & { workload: Workload } => f.workload !== undefined)
    .map((f) => ({ name: f.workload.name, workload: f.workload, objects: of(f), owner: ownerOf(f.workload, of(f))! }))
    .sort((a, b) => order(files, a.workload) - order(files, b.workload));
  const withNamespace = (f: SelectedFile) => [...(release.namespaceObject && fileOf.get(key(release.namespaceObject)) === f ? [release.namespaceObject] : []), ...of(f)];
  return {
    ...(namespaceFiles.length > 0 ? { namespaceObjects: namespaceFiles.flatMap(of) } : {}),
    workloads,
    files: files.map((f) => ({ file: f.file, ...(f.workload ? { workload: f.workload.name } : {}), objects: withNamespace(f) })),
  };
}

const order = (files: readonly SelectedFile[], w: Workload) => files.findIndex((f) => f.workload === w);

/**
 * Every image of every released workload: the grammar, the environment's policy (production: by digest), the
 * environment's registry; a bare --image must be what the release runs. Returns the policy's warnings.
 */
function checkImages(workloads: readonly PreparedWorkload[], target: ResolvedTarget, outputs: WorkloadOutputs | undefined, options: PrepareOptions): string[] {
  const warnings: string[] = [];
  for (const w of workloads) {
    const images = podImages(w.owner);
    for (const image of images) checkImageReference(image, `${w.owner.kind} ${w.name}`);
    for (const image of images) warnings.push(...imagePolicy(image, target, w));
    if (outputs) for (const image of images) checkImageRegistry(image, outputs, target.name);
  }
  const running = [...new Set(workloads.flatMap((w) => podImages(w.owner)))];
  if (options.image && !running.includes(options.image)) {
    throw inputError(`the rendered workloads run ${running.join(', ')}, not the requested image ${options.image}`);
  }
  return [...new Set(warnings)];
}

/** Environment (aws) or portable target by name; the error lists every allowed name. */
export function resolveTarget(config: PlatformConfig, name: string): ResolvedTarget {
  const target = findTarget(config, name);
  if (target) {
    const declared = target.kind === 'aws' ? target.env : target.target;
    return { ...target, namespace: declared.namespace, workloads: declared.workloads };
  }
  const allowed = [...config.environments.map((e) => `"${e.name}" (aws)`), ...config.portableTargets.map((t) => `"${t.name}" (portable)`)];
  throw inputError(`unknown environment ${JSON.stringify(name)}; allowed: ${allowed.join(', ')}`);
}

/** The outputs an aws environment needs (portable targets take none); which flags may replace them. */
function cloudOutputs(options: PrepareOptions, config: PlatformConfig, target: ResolvedTarget): WorkloadOutputs | undefined {
  if (target.kind === 'portable') {
    if (options.outputsFile) throw inputError(`--outputs is for aws environments; "${target.name}" is a portable target and takes no cloud outputs`);
    return undefined;
  }
  if (options.outputsFile) return loadOutputs(options.outputsFile, config, target.env);
  if (!options.manifestsDir) {
    throw inputError(`environment "${target.name}" needs --outputs <cdk-outputs.json> (the values "cdk deploy" produced), or --manifests <dir> with rendered manifests`);
  }
  if (!options.kubeconfig) throw inputError(`environment "${target.name}" needs --outputs to find its EKS cluster (or --kubeconfig for another cluster)`);
  return undefined;
}

/** Reads and checks the outputs file for an aws environment (stack, every field, environment, region, namespace). */
export function loadOutputs(file: string, config: PlatformConfig, env: EnvironmentConfig): WorkloadOutputs {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw inputError(`cannot read --outputs ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  let outputs: WorkloadOutputs;
  try {
    outputs = readWorkloadOutputs(doc, environmentStackName(config.project, env.name));
  } catch (e) {
    if (e instanceof OutputsError) throw inputError(`--outputs ${file}: ${e.message}`);
    throw e;
  }
  const expected = { environment: env.name, region: env.region, namespace: env.namespace, userPoolRegion: config.identity.region };
  const problems = outputMismatches(outputs, expected).map(({ field, actual }) =>
    field === 'region'
      ? `region is "${actual}" but environment "${env.name}" is configured in "${env.region}" (wrong region)`
      : `${field} is "${actual}", expected "${expected[field]}"`,
  );
  if (problems.length > 0) throw inputError(`--outputs ${file} does not match environment "${env.name}":\n  - ${problems.join('\n  - ')}`);
  return outputs;
}

function renderFiles(images: Readonly<Record<string, string>>, outputs: WorkloadOutputs | undefined, target: ResolvedTarget, deps: PrepareDeps): readonly RenderedFileSource[] {
  let rendered: ReturnType<RenderFn>;
  try {
    rendered = deps.render(deps.config, target.name, { images, outputs });
  } catch (e) {
    throw inputError(`cannot render "${target.name}": ${(e as Error).message}`);
  }
  if (!rendered.files) throw new Error(`prepare: the renderer returned no files for "${target.name}" (one per workload and the namespace's)`);
  return rendered.files;
}

/** `<account>.dkr.ecr.<region>.<suffix>/<repository>` of an ECR reference (tag and digest dropped). */
const ECR_REPOSITORY = /^(\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?)\/([a-z0-9._/-]+?)(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/**
 * The environment's nodes pull the platform image from the registry of its outputs (`imageRepositoryUri`: the
 * shared-services account's in the multi-account layout). The same repository in another registry (another account or
 * region) is a misconfigured pipeline, refused before anything else (exit 2) with what to set.
 */
function checkImageRegistry(image: string, outputs: WorkloadOutputs, environment: string): void {
  const wanted = ECR_REPOSITORY.exec(outputs.imageRepositoryUri);
  const got = ECR_REPOSITORY.exec(image);
  if (!wanted || !got || got[2] !== wanted[2] || got[1] === wanted[1]) return;
  throw inputError(
    `image ${image} is in registry ${got[1]}, but environment "${environment}" pulls ${wanted[2]} from ${wanted[1]} (outputs imageRepositoryUri); ` +
      'push there or name that registry (multi-account layout: the shared-services account, GitHub variable IMAGE_REGISTRY_ACCOUNT)',
  );
}

/** Production: by digest only; elsewhere a tag outside ECR is allowed with a warning (config/image.ts checkDeployImage). */
function imagePolicy(image: string, target: ResolvedTarget, workload: PreparedWorkload): readonly string[] {
  try {
    return checkDeployImage(image, { name: target.name, production: target.kind === 'aws' && target.env.production }).warnings;
  } catch (e) {
    if (e instanceof ImageReferenceError) throw inputError(`${workload.owner.kind} ${workload.name}: ${e.message}`);
    throw e;
  }
}

/** The shared image grammar (`config/image.ts`); a malformed or mutable reference is invalid input (exit 2). */
function checkImageReference(image: string, what: string): void {
  try {
    parseImageReference(image);
  } catch (e) {
    if (e instanceof ImageReferenceError) throw inputError(`${what}: ${e.message}`);
    throw e;
  }
}

export { targetImages } from './select';
