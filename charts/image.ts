import { placeholder } from '../config';
import { ChartInputError } from './errors';

/**
 * Image reference rules, after the distribution/reference grammar:
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

/** Tags that name a moving target rather than one build. */
export const MUTABLE_TAGS: readonly string[] = ['latest', 'stable', 'edge', 'main', 'master', 'develop', 'nightly', 'head'];

/** The image carried by the offline (committed) manifests; the deploy command refuses to apply it. */
export const PLACEHOLDER_IMAGE = placeholder('image');

export interface ImageReference {
  readonly name: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Parses and checks an image reference; throws `ChartInputError` naming the value and the allowed forms. */
export function parseImageReference(image: string): ImageReference {
  const allowed = 'allowed: "registry/repository:tag" with an immutable tag (not latest), or "repository@sha256:<64 hex digits>"';
  if (typeof image !== 'string' || image.length === 0) {
    throw new ChartInputError(`image reference is ${JSON.stringify(image)}; ${allowed}`);
  }
  const match = REFERENCE.exec(image);
  if (!match || image.length > 512) {
    throw new ChartInputError(`image reference ${JSON.stringify(image)} is malformed; ${allowed}`);
  }
  const [, name, tag, digest] = match;
  if (!digest) {
    if (!tag) throw new ChartInputError(`image reference ${JSON.stringify(image)} has neither tag nor digest; ${allowed}`);
    if (MUTABLE_TAGS.includes(tag.toLowerCase())) {
      throw new ChartInputError(`image reference ${JSON.stringify(image)} uses the mutable tag "${tag}"; a rollout must be reproducible: ${allowed}`);
    }
    if (!name.includes('/')) {
      throw new ChartInputError(`image reference ${JSON.stringify(image)} has no registry; ${allowed}`);
    }
  }
  return { name, tag, digest };
}

/** Like `parseImageReference`, but also accepts the offline placeholder (synth without a built image). */
export function checkImage(image: string): void {
  if (image !== PLACEHOLDER_IMAGE) parseImageReference(image);
}
