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

/** Longest reference accepted. */
export const MAX_IMAGE_REFERENCE_LENGTH = 512;

/** Tags that name a moving target rather than one build. */
export const MUTABLE_TAGS: readonly string[] = ['latest', 'stable', 'edge', 'main', 'master', 'develop', 'nightly', 'head'];

/** The forms an image reference may take (part of every error message). */
export const IMAGE_REFERENCE_FORMS =
  'allowed: "registry/repository:tag" with an immutable tag (not latest), or "repository@sha256:<64 hex digits>"';

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

/**
 * Tags of released images start with this prefix (GitHub release tags such as "v1.4.2"; build tags are commit SHAs,
 * which are hexadecimal). ECR's lifecycle keeps every image carrying such a tag out of the count-based expiry of
 * builds (infra/stacks/regional-stack.ts); .github/scripts/push-image.sh refuses a release tag without it.
 */
export const RELEASE_TAG_PREFIX = 'v';
