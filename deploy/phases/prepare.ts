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
  imagesInUse,
  releasedServiceName,
  type DeployTarget,
  type EnvironmentConfig,
  type PlatformConfig,
  type WorkloadOutputs,
} from '../../config';
import type { DeployOptions } from '../args';
import { inputError } from '../errors';
import { assertNoPlaceholders, parseManifests, podImages, prepareRelease, readManifestDir, type ManifestSource, type ReleaseSet } from '../manifests';
import { oidcSecretNames } from '../rules/secrets';

export type RenderFn = (
  config: PlatformConfig,
  target: string,
  options: { images: Readonly<Record<string, string>>; outputs?: WorkloadOutputs },
) => { yaml: string; objects?: unknown[] };

export type ResolvedTarget = DeployTarget & {
  readonly namespace: string;
  /** The Deployment this command releases and watches: the target's first service (config releasedServiceName). */
  readonly deploymentName: string;
};

/** What `prepare` needs: the validated configuration and the chart renderer (charts/app.ts renderTarget). */
export interface PrepareDeps {
  readonly config: PlatformConfig;
  readonly render: RenderFn;
}

/** Everything that can be checked without a cluster: the release to apply. */
export interface PreparedRelease {
  readonly target: ResolvedTarget;
  readonly outputs?: WorkloadOutputs;
  readonly release: ReleaseSet;
  readonly sources: readonly ManifestSource[];
  /** Names of OIDC client Secrets the Ingresses need (created from Secrets Manager). */
  readonly oidcSecrets: readonly string[];
  /** Warnings of the image policy (`checkDeployImage`), printed before anything is applied. */
  readonly imageWarnings: readonly string[];
}

/** The options `prepare` reads (a `render` command passes the same). */
export type PrepareOptions = Pick<DeployOptions, 'env' | 'image' | 'outputsFile' | 'manifestsDir' | 'kubeconfig'>;

export function prepare(options: PrepareOptions, deps: PrepareDeps): PreparedRelease {
  const target = resolveTarget(deps.config, options.env);
  if (options.image !== undefined) checkImageReference(options.image, '--image');
  const outputs = cloudOutputs(options, deps.config, target);
  const sources = options.manifestsDir ? readManifestDir(options.manifestsDir) : [renderSource(options.image!, outputs, target, deps)];
  assertNoPlaceholders(sources);
  const release = prepareRelease(parseManifests(sources), target.namespace, target.deploymentName, target.name);
  const images = podImages(release.deployment);
  for (const image of images) checkImageReference(image, `Deployment ${target.deploymentName}`);
  const imageWarnings = images.flatMap((image) => imagePolicy(image, target));
  if (outputs) for (const image of images) checkImageRegistry(image, outputs, target.name);
  if (options.image && !images.includes(options.image)) {
    throw inputError(`the rendered Deployment runs ${images.join(', ')}, not the requested image ${options.image}`);
  }
  const oidcSecrets = oidcSecretNames(release.objects);
  if (oidcSecrets.length > 0 && !outputs) {
    throw inputError(`the Ingress authenticates through OIDC and needs Secret ${oidcSecrets.join(', ')} from Secrets Manager: pass --outputs <cdk-outputs.json>`);
  }
  return { target, outputs, release, sources, oidcSecrets, imageWarnings };
}

/** Environment (aws) or portable target by name; the error lists every allowed name. */
export function resolveTarget(config: PlatformConfig, name: string): ResolvedTarget {
  const target = findTarget(config, name);
  if (target) {
    const declared = target.kind === 'aws' ? target.env : target.target;
    const deploymentName = releasedServiceName(declared.workloads);
    if (!deploymentName)
      throw inputError(`${target.kind === 'aws' ? 'environment' : 'target'} "${name}" declares no service; the deploy command releases a service (with the workloads beside it)`);
    return { ...target, namespace: declared.namespace, deploymentName };
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

function renderSource(image: string, outputs: WorkloadOutputs | undefined, target: ResolvedTarget, deps: PrepareDeps): ManifestSource {
  try {
    return { name: `<rendered ${target.name}>`, text: deps.render(deps.config, target.name, { images: imagesFor(deps.config, target, image), outputs }).yaml };
  } catch (e) {
    throw inputError(`cannot render "${target.name}": ${(e as Error).message}`);
  }
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
function imagePolicy(image: string, target: ResolvedTarget): readonly string[] {
  try {
    return checkDeployImage(image, { name: target.name, production: target.kind === 'aws' && target.env.production }).warnings;
  } catch (e) {
    if (e instanceof ImageReferenceError) throw inputError(`Deployment ${target.deploymentName}: ${e.message}`);
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

/**
 * The one --image for the image the target's workloads run. A target whose workloads run several images is released
 * image by image (`--image <name>=<ref>`), which this command does not do yet: refused, nothing applied.
 */
function imagesFor(config: PlatformConfig, target: ResolvedTarget, image: string): Record<string, string> {
  const workloads = target.kind === 'aws' ? target.env.workloads : target.target.workloads;
  const used = imagesInUse(config.images, workloads).map((i) => i.name);
  if (used.length !== 1) {
    throw inputError(
      `target "${target.name}" runs ${used.length} images (${used.join(', ')}); --image names one: release a target of one image, or render its manifests per image (npm run render -- --image <name>=<ref> …) and deploy them with --manifests`,
    );
  }
  return { [used[0]]: image };
}
