/**
 * Container image references: the one parser for the charts and the deploy command (no runtime dependencies).
 *
 * Rules, after the distribution/reference grammar:
 * - `registry/repository:tag` — a registry-qualified name and a tag that looks immutable (a version or a commit,
 *   not `latest` or a branch name), or
 * - `repository@sha256:<64 hex>` (optionally `repository:tag@sha256:…`) — pinned by digest, the safest form.
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]{1,5})?)`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);

/**
 * The reference grammar as a regular expression source without capture groups, in the syntax both JavaScript and
 * RE2 (Go: Helm's values.schema.json) read. The mutable-tag and registry rules are checked separately.
 */
export const IMAGE_REFERENCE_PATTERN = `^${NAME}(?::${TAG})?(?:@${DIGEST})?$`;

/** Longest reference accepted. */
export const MAX_IMAGE_REFERENCE_LENGTH = 512;

/** Tags that name a moving target rather than one build. */
export const MUTABLE_TAGS: readonly string[] = ['latest', 'stable', 'edge', 'main', 'master', 'develop', 'nightly', 'head'];

/** The forms an image reference may take (part of every error message). */
export const IMAGE_REFERENCE_FORMS = 'allowed: "registry/repository:tag" with an immutable tag (not latest), or "repository@sha256:<64 hex digits>"';

export interface ImageReference {
  /** Everything before the tag/digest, registry included (`ghcr.io/org/web`). */
  readonly name: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** A malformed or mutable image reference. The message names the value and the allowed forms. */
export class ImageReferenceError extends Error {
  constructor(
    message: string,
    /** The rejected value. */
    readonly image: unknown,
  ) {
    super(message);
    this.name = 'ImageReferenceError';
  }
}

/** Parses and checks an image reference; throws `ImageReferenceError` naming the value and the allowed forms. */
export function parseImageReference(image: string): ImageReference {
  const fail = (problem: string) => new ImageReferenceError(`image reference ${JSON.stringify(image)} ${problem}; ${IMAGE_REFERENCE_FORMS}`, image);
  if (typeof image !== 'string' || image.length === 0) {
    throw new ImageReferenceError(`image reference is ${JSON.stringify(image)}; ${IMAGE_REFERENCE_FORMS}`, image);
  }
  if (image.length > MAX_IMAGE_REFERENCE_LENGTH) throw fail(`is malformed (longer than ${MAX_IMAGE_REFERENCE_LENGTH} characters)`);
  const match = REFERENCE.exec(image);
  if (!match) throw fail('is malformed');
  const [, name, tag, digest] = match;
  if (!digest) {
    if (!tag) throw fail('has neither tag nor digest');
    if (MUTABLE_TAGS.includes(tag.toLowerCase())) throw fail(`uses the mutable tag "${tag}"; a rollout must be reproducible`);
    if (!name.includes('/')) throw fail('has no registry');
  }
  return { name, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** An Amazon ECR registry host (`<account>.dkr.ecr.<region>.amazonaws.com`, `.com.cn` in China). */
const ECR_REGISTRY = /^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//;

/** What the deploy command may ship to an environment: the image policy, as a pure function (no I/O). */
export interface DeployImageCheck {
  /** Warnings to print (the deploy goes on). */
  readonly warnings: readonly string[];
}

/**
 * The image rules of a deployment, on top of `parseImageReference`:
 * - production environments accept only images pinned by digest: what was scanned and tested is what runs;
 * - elsewhere a tag is allowed; outside ECR (whose repository here has immutable tags) it warns that the tag can
 *   move, so the same command could deploy different bytes tomorrow.
 * Throws `ImageReferenceError` naming the image, the environment and what is allowed.
 */
export function checkDeployImage(image: string, target: { readonly name: string; readonly production: boolean }): DeployImageCheck {
  const reference = parseImageReference(image);
  if (reference.digest) return { warnings: [] };
  if (target.production) {
    throw new ImageReferenceError(
      `image reference ${JSON.stringify(image)} is pinned by tag; environment "${target.name}" is production and accepts only images by digest ("repository@sha256:<64 hex digits>", e.g. the digest the build pushed)`,
      image,
    );
  }
  if (!ECR_REGISTRY.test(image)) {
    return {
      warnings: [`image ${image} is referenced by tag "${reference.tag}" outside ECR: such a tag can be moved to other content; prefer ${reference.name}@sha256:<digest>`],
    };
  }
  return { warnings: [] };
}

/**
 * Tags of released images start with this prefix (GitHub release tags such as "v1.4.2"; build tags are commit SHAs,
 * which are hexadecimal). ECR's lifecycle keeps every image carrying such a tag out of the count-based expiry of
 * builds (infra/stacks/regional-stack.ts); .github/scripts/push-image.sh refuses a release tag without it.
 */
export const RELEASE_TAG_PREFIX = 'v';
